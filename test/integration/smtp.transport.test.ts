import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { createSmtpTransport, type SmtpClientKind } from '../../src/mail/smtp.transport.ts';
import type { MailTransport } from '../../src/mail/transport.ts';
import { signedHeaderNames, verifyDkim } from '../support/dkim.ts';
import { compiled, newsletter, recipient } from '../support/fixtures.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';

const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: Parameters<typeof startTestSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const smtp = await startTestSmtpServer(options);
  cleanups.push(() => smtp.close());
  return smtp;
}
const addressOf = (n: number) => recipient(n).email;
const clients: SmtpClientKind[] = ['newsdesk', 'nodemailer'];

// The same behaviour whichever client speaks SMTP underneath.
describe.each(clients)('SMTP transport (%s client)', (client) => {
  function transport(options: Parameters<typeof createSmtpTransport>[0]): MailTransport {
    const t = createSmtpTransport({ client, ...options });
    cleanups.push(() => t.close());
    return t;
  }

  it('sends the raw message byte for byte and reports the server’s reply and the Message-ID', async () => {
    const smtp = await server({ auth: { user: 'news', pass: 's3cret:/@' } });
    const t = transport({ url: smtp.url });
    await t.verify();
    const msg = message.render(recipient(1, 'Zoë'));
    const outcome = await t.send(msg);
    expect(outcome).toEqual({ status: 'sent', response: '250 OK: queued as 1', messageId: msg.messageId });
    const [got] = smtp.messages;
    expect(got?.raw.equals(msg.raw)).toBe(true);
    expect(got?.from).toBe('news@briefing.example.com');
    expect(got?.to).toEqual([addressOf(1)]);
    expect((await simpleParser(got?.raw as Buffer)).messageId).toBe(msg.messageId);
  });

  it('speaks TLS from the start on smtps://, refusing an unverifiable certificate unless told otherwise', async () => {
    const smtp = await server({ secure: true, auth: { user: 'news', pass: 'pw' } });
    expect(smtp.url.startsWith('smtps://')).toBe(true);
    const strict = await transport({ url: smtp.url }).send(message.render(recipient(1)));
    expect(strict).toMatchObject({ status: 'failed', kind: 'transient' });
    expect(strict.response).toMatch(/certificate/i);
    const lenient = await transport({ url: smtp.url, allowInvalidCertificate: true }).send(message.render(recipient(1)));
    expect(lenient.status).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
  });

  it('reports 421 as transient, and the next try on a fresh connection is sent', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' && e.attempt === 1 ? { code: 421, message: '4.7.0 Try again later' } : undefined) });
    const t = transport({ url: smtp.url, poolSize: 1 });
    const first = await t.send(message.render(recipient(1)));
    expect(first).toEqual({ status: 'failed', kind: 'transient', hardBounce: false, code: 421, enhancedCode: '4.7.0', response: '421 4.7.0 Try again later' });
    expect((await t.send(message.render(recipient(1)))).status).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
    expect(smtp.connections()).toBe(2); // a 421 closes the connection
  });

  it('reports 550 5.1.1 at RCPT as a permanent hard bounce', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'rcpt' ? { code: 550, message: '5.1.1 <reader1@inbox.example.org>: user unknown' } : undefined) });
    const outcome = await transport({ url: smtp.url }).send(message.render(recipient(1)));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'permanent', hardBounce: true, code: 550, enhancedCode: '5.1.1' });
    expect(outcome.response).toBe('550 5.1.1 <reader1@inbox.example.org>: user unknown');
    expect(smtp.messages).toHaveLength(0);
  });

  it('reports 552 after DATA as permanent but not a hard bounce', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' ? { code: 552, message: '5.2.2 mailbox full' } : undefined) });
    const outcome = await transport({ url: smtp.url }).send(message.render(recipient(1)));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'permanent', hardBounce: false, code: 552, enhancedCode: '5.2.2' });
    expect(smtp.dataReplies).toEqual([{ to: [addressOf(1)], code: 552, connection: 1 }]);
  });

  it('reports a refused connection as transient', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    const outcome = await transport({ url: `smtp://127.0.0.1:${port}` }).send(message.render(recipient(1)));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'transient', hardBounce: false });
    expect(outcome.response).toMatch(/ECONNREFUSED/);
  });

  it('reports a connection dropped during DATA as transient, sends it once only, and recovers', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' && e.to[0] === addressOf(2) ? { drop: true } : undefined) });
    const t = transport({ url: smtp.url, poolSize: 1 });
    expect((await t.send(message.render(recipient(2)))).status).toBe('failed');
    expect((await t.send(message.render(recipient(3)))).status).toBe('sent');
    // One attempt at the dropped message: the pool does not retry behind the pipeline's back.
    expect(smtp.messages.map((m) => m.to[0])).toEqual([addressOf(3)]);
    expect(smtp.connections()).toBe(2);
  });

  it('reports a server that goes silent as transient after the socket timeout', async () => {
    const smtp = await server({ reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 3_000 } : undefined) });
    const outcome = await transport({ url: smtp.url, timeouts: { socketMs: 300 } }).send(message.render(recipient(1)));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'transient', hardBounce: false });
    expect(outcome.response).toMatch(/timeout/i);
  });

  it('reuses pooled connections across messages', async () => {
    const smtp = await server();
    const t = transport({ url: smtp.url, poolSize: 2 });
    const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => t.send(message.render(recipient(i)))));
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    expect(smtp.messages).toHaveLength(30);
    expect(smtp.connections()).toBeLessThanOrEqual(2);
    expect(new Set(smtp.messages.map((m) => m.to[0])).size).toBe(30);
  });

  it('signs with DKIM (key from a file) and the message verifies as received', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newsdesk-dkim-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const keyPath = join(dir, 'dkim.pem');
    await writeFile(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const smtp = await server();
    const t = transport({ url: smtp.url, dkim: { domain: 'briefing.example.com', selector: 'nd', privateKey: keyPath } });
    expect((await t.send(message.render(recipient(7)))).status).toBe('sent');
    const [result] = await verifyDkim(smtp.messages[0]?.raw as Buffer, { publicKey, selector: 'nd', domain: 'briefing.example.com' });
    expect(result?.status.result).toBe('pass');
    expect(signedHeaderNames(smtp.messages[0]?.raw as Buffer)).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
  });

  it('refuses bad credentials at verify() with one clear error that hides the password', async () => {
    const smtp = await server({ auth: { user: 'news', pass: 'right' } });
    const t = transport({ url: smtp.url.replace(':right@', ':wrong@') });
    const err = await t.verify().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^SMTP server smtp:\/\/127\.0\.0\.1:\d+ refused the login \(.*535.*\): check the user and password in SMTP_URL/);
    expect(err?.message).not.toContain('wrong');
  });

  it('closes twice without complaint and refuses to send afterwards', async () => {
    const smtp = await server();
    const t = createSmtpTransport({ client, url: smtp.url });
    expect((await t.send(message.render(recipient(1)))).status).toBe('sent');
    await t.close();
    await t.close();
    await expect(t.send(message.render(recipient(2)))).rejects.toThrow(/after close/);
  });
});

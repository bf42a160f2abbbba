import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { createMailTransport } from '../../src/mail/create-transport.ts';
import { startDevOutbox } from '../../src/mail/dev-outbox.ts';
import { compiled, newsletter, recipient } from '../support/fixtures.ts';
import { startTestSmtpServer } from '../support/smtp-server.ts';

const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-outbox-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

describe('dev outbox', () => {
  it('is what the product sends to without SMTP_URL, through the SMTP adapter, one parseable .eml per message', async () => {
    const dir = join(await tempDir(), 'outbox');
    const transport = await createMailTransport(loadConfig({ OUTBOX_DIR: dir }));
    cleanups.push(() => transport.close());
    expect(transport.target).toMatchObject({ kind: 'outbox', dir });
    await transport.verify();

    const sent = [1, 2, 3].map((n) => message.render(recipient(n, `Reader ${n}`)));
    const outcomes = [];
    for (const msg of sent) outcomes.push(await transport.send(msg));
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'sent', 'sent']);

    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(3);
    for (const name of files) expect(name).toMatch(/^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{6}\.eml$/);
    // Sorted names are arrival order; each file is the message exactly as sent.
    for (const [i, name] of files.entries()) {
      const raw = await readFile(join(dir, name));
      expect(raw.equals(sent[i]?.raw as Buffer)).toBe(true);
      const parsed = await simpleParser(raw);
      expect(parsed.messageId).toBe(sent[i]?.messageId);
      expect(parsed.text?.startsWith(`Reader, good morning!`)).toBe(true);
    }
    expect(outcomes[0]).toMatchObject({ response: `250 Ok: saved as ${files[0]}` });
  });

  it('survives a client that resets its connection mid-message, saves nothing of it, and keeps serving', async () => {
    const dir = await tempDir();
    const warnings: string[] = [];
    const logger = { info: () => {}, warn: (_: object, msg?: string) => warnings.push(msg ?? '') };
    const outbox = await startDevOutbox({ dir, logger });
    cleanups.push(() => outbox.close());
    const port = Number(new URL(outbox.url).port);

    // A client killed half-way through DATA (a SIGKILLed worker): the kernel sends a reset.
    const socket = connect(port, '127.0.0.1');
    let heard = '';
    socket.on('data', (d: Buffer) => (heard += d.toString()));
    const reply = async (code: string) => {
      while (!new RegExp(`(^|\\n)${code} `).test(heard)) await new Promise((r) => setTimeout(r, 5));
    };
    await reply('220');
    socket.write('EHLO x\r\n');
    await reply('250');
    socket.write('MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n');
    await reply('354');
    socket.write('Subject: half\r\n\r\nonly the first line');
    await new Promise((r) => setTimeout(r, 50));
    socket.resetAndDestroy();
    await new Promise((r) => setTimeout(r, 100));
    expect(warnings).toContain('dev outbox: a connection failed');

    const transport = await createMailTransport(loadConfig({ SMTP_URL: outbox.url }));
    cleanups.push(() => transport.close());
    expect((await transport.send(message.render(recipient(9)))).status).toBe('sent');
    expect((await readdir(dir)).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('stops listening when the transport closes, and closing twice is fine', async () => {
    const dir = await tempDir();
    const transport = await createMailTransport(loadConfig({ OUTBOX_DIR: dir }));
    if (transport.target.kind !== 'outbox') throw new Error('expected the dev outbox');
    const port = Number(new URL(transport.target.url).port);
    expect((await transport.send(message.render(recipient(1)))).status).toBe('sent');
    await transport.close();
    await transport.close();
    expect(await refuses(port)).toBe(true);
  });

  it('answers 451 (transient) when it cannot save, and leaves no partial file', async () => {
    const dir = join(await tempDir(), 'gone');
    const transport = await createMailTransport(loadConfig({ OUTBOX_DIR: dir }));
    cleanups.push(() => transport.close());
    await rm(dir, { recursive: true });
    const outcome = await transport.send(message.render(recipient(1)));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'transient', code: 451 });
    expect(outcome.response).toMatch(/^451 4\.3\.0 cannot save message/);
    await expect(readdir(dir)).rejects.toThrow(/ENOENT/);
  });

  it('listens on a given port, and a busy port is a clear error', async () => {
    const dir = await tempDir();
    const first = await startDevOutbox({ dir });
    cleanups.push(() => first.close());
    const port = Number(new URL(first.url).port);
    await expect(startDevOutbox({ dir, port })).rejects.toThrow(`dev outbox cannot listen on 127.0.0.1:${port}`);
  });

  it('uses SMTP_URL when it is set', async () => {
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.close());
    const dir = await tempDir();
    const transport = await createMailTransport(loadConfig({ SMTP_URL: smtp.url, OUTBOX_DIR: dir }));
    cleanups.push(() => transport.close());
    expect(transport.target).toEqual({ kind: 'smtp', server: `smtp://127.0.0.1:${smtp.port}` });
    expect((await transport.send(message.render(recipient(1)))).status).toBe('sent');
    expect(smtp.messages).toHaveLength(1);
    expect(await readdir(dir)).toEqual([]);
  });
});

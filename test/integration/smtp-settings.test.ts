/**
 * The relay's settings as an operator gets them wrong or right: a certificate from a private CA
 * (untrusted until SMTP_TLS_CA names the CA), a certificate for another name (SMTP_TLS_SERVERNAME),
 * the explicit opt-out (SMTP_TLS_INSECURE), a wrong password. Against a real TLS server on
 * loopback, for both SMTP clients: verify() refuses with one sentence naming the setting, and a
 * send meets the same failure as a setup problem, not as passing trouble.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { createMailTransport } from '../../src/mail/create-transport.ts';
import { type SmtpClientKind } from '../../src/mail/smtp.transport.ts';
import { runNewsdesk } from '../support/cli.ts';
import { compiled, newsletter, recipient } from '../support/fixtures.ts';
import { openTestRedis } from '../support/redis.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';
import { makeTestCa, type TestCa } from '../support/test-ca.ts';

const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });
const clients: SmtpClientKind[] = ['newsdesk', 'nodemailer'];
let ca: TestCa;
let otherName: TestCa;
beforeAll(() => {
  ca = makeTestCa(['127.0.0.1', 'localhost']);
  otherName = makeTestCa(['mail.relay.test']);
});
afterAll(() => {
  ca.remove();
  otherName.remove();
});
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relay(tls: { key: string; cert: string }, options: { pass?: string } = {}): Promise<TestSmtpServer> {
  const smtp = await startTestSmtpServer({ starttls: true, tls, auth: { user: 'news', pass: options.pass ?? 'right-password' } });
  cleanups.push(() => smtp.close());
  return smtp;
}

describe.each(clients)('SMTP settings (%s client)', (client) => {
  async function transport(env: Record<string, string>) {
    const t = await createMailTransport(loadConfig({ SMTP_CLIENT: client, ...env }));
    cleanups.push(() => t.close());
    return t;
  }
  const urlWith = (smtp: TestSmtpServer, pass: string) => `smtp://news:${pass}@127.0.0.1:${smtp.port}`;

  it('a certificate from a private CA: refused at verify() naming SMTP_TLS_CA; trusted with SMTP_TLS_CA (PEM text or file)', async () => {
    const smtp = await relay(ca);
    const url = urlWith(smtp, 'right-password');
    const untrusted = await transport({ SMTP_URL: url });
    const err = await untrusted.verify().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^the certificate of SMTP server smtp:\/\/127\.0\.0\.1:\d+ is not signed by a trusted CA \(.+\): set SMTP_TLS_CA to /);
    expect(err?.message).not.toContain('right-password');
    // While sending, the same failure is a setup problem, not a passing outage.
    const sent = await untrusted.send(message.render(recipient(1)));
    expect(sent).toMatchObject({ status: 'failed', setupProblem: expect.stringContaining('SMTP_TLS_CA') });

    for (const given of [ca.caPem, ca.caFile]) {
      const trusted = await transport({ SMTP_URL: url, SMTP_TLS_CA: given });
      await trusted.verify();
      expect(await trusted.send(message.render(recipient(2)))).toMatchObject({ status: 'sent' });
    }
    expect(smtp.messages.every((m) => m.secure)).toBe(true);
    expect(smtp.messages).toHaveLength(2);
  });

  it('a certificate for another name: refused naming SMTP_TLS_SERVERNAME; works when it names the certificate', async () => {
    const smtp = await relay(otherName);
    const url = urlWith(smtp, 'right-password');
    const wrongName = await transport({ SMTP_URL: url, SMTP_TLS_CA: otherName.caPem });
    await expect(wrongName.verify()).rejects.toThrow(/does not name that host .*: set SMTP_TLS_SERVERNAME/);
    const named = await transport({ SMTP_URL: url, SMTP_TLS_CA: otherName.caPem, SMTP_TLS_SERVERNAME: 'mail.relay.test' });
    await named.verify();
    expect(await named.send(message.render(recipient(1)))).toMatchObject({ status: 'sent' });
  });

  it('SMTP_TLS_INSECURE=1 is the one way to accept an unverifiable certificate', async () => {
    const smtp = await relay(otherName);
    const t = await transport({ SMTP_URL: urlWith(smtp, 'right-password'), SMTP_TLS_INSECURE: '1' });
    await t.verify();
    expect(await t.send(message.render(recipient(1)))).toMatchObject({ status: 'sent' });
  });

  it('a wrong password: refused at verify() naming SMTP_URL, without the password', async () => {
    const smtp = await relay(ca);
    const t = await transport({ SMTP_URL: urlWith(smtp, 'wrong-password'), SMTP_TLS_CA: ca.caPem });
    const err = await t.verify().then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/^SMTP server smtp:\/\/127\.0\.0\.1:\d+ refused the login \(.*535.*\): check the user and password in SMTP_URL/);
    expect(err?.message).not.toContain('wrong-password');
    expect(await t.send(message.render(recipient(1)))).toMatchObject({ status: 'failed', setupProblem: expect.stringContaining('SMTP_URL') });
  });
});

it('SMTP_TLS_CA that is neither PEM nor a readable file is refused naming the variable', async () => {
  await expect(createMailTransport(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2', SMTP_TLS_CA: '/nonexistent/ca.pem' }))).rejects.toThrow(
    /^SMTP_TLS_CA: not PEM text, and no readable file at \/nonexistent\/ca\.pem/,
  );
  await expect(
    createMailTransport(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2', SMTP_TLS_CA: '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----' })),
  ).rejects.toThrow(/^SMTP_TLS_CA: certificate 1 does not parse/);
});

describe('newsdesk worker checks the SMTP settings before it starts', () => {
  let t: Awaited<ReturnType<typeof openTestRedis>>;
  beforeAll(async () => {
    t = await openTestRedis();
  });
  afterAll(async () => {
    await t.cleanup();
  });
  const secret = randomBytes(32).toString('base64url');
  const run = (args: string[], env: Record<string, string>) =>
    runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...t.env, NEWSDESK_SECRET: secret, LOG_LEVEL: 'warn', ...env } });

  // Each case starts real `newsdesk` processes: on a busy machine that takes a while.
  const PROCESS_MS = 90_000;
  const url = (smtp: TestSmtpServer, pass: string) => `smtp://news:${pass}@127.0.0.1:${smtp.port}`;

  it('an untrusted certificate: worker and campaign test refuse to start with one sentence naming SMTP_TLS_CA', async () => {
    const smtp = await relay(ca);
    const untrusted = await run(['worker', '--exit-when-idle'], { SMTP_URL: url(smtp, 'right-password') });
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/^error: the certificate of SMTP server smtp:\/\/127\.0\.0\.1:\d+ is not signed by a trusted CA \(.+\): set SMTP_TLS_CA to [^\n]+\n$/);
    const test = await run(['campaign', 'test', 'daily-2025-02-13-abcdef', '--to', 'editor@example.com'], { SMTP_URL: url(smtp, 'right-password') });
    expect(test).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: the certificate of SMTP server .*SMTP_TLS_CA/) });
  }, PROCESS_MS);

  it('a wrong password: the worker refuses to start with one sentence naming SMTP_URL, without the password', async () => {
    const smtp = await relay(ca);
    const wrongPassword = await run(['worker', '--exit-when-idle'], { SMTP_URL: url(smtp, 'wrong-password'), SMTP_TLS_CA: ca.caFile });
    expect(wrongPassword.code).toBe(1);
    expect(wrongPassword.stderr).toMatch(/^error: SMTP server smtp:\/\/127\.0\.0\.1:\d+ refused the login \([^\n]*535[^\n]*\): check the user and password in SMTP_URL[^\n]*\n$/);
    expect(wrongPassword.stderr).not.toContain('wrong-password');
  }, PROCESS_MS);

  it('with SMTP_TLS_CA and the right password the worker starts: one check (STARTTLS, AUTH, QUIT), nothing sent', async () => {
    const smtp = await relay(ca);
    const fine = await run(['worker', '--exit-when-idle'], { SMTP_URL: url(smtp, 'right-password'), SMTP_TLS_CA: ca.caFile });
    expect(fine).toMatchObject({ code: 0, stderr: '' });
    expect(smtp.auths.filter((a) => a.ok)).toHaveLength(1);
    expect(smtp.messages).toHaveLength(0);
  }, PROCESS_MS);

  it('SMTP_TLS_INSECURE=1 starts, with a warning at every start', async () => {
    const smtp = await relay(otherName);
    const insecure = await run(['worker', '--exit-when-idle'], { SMTP_URL: `smtp://news:right-password@127.0.0.1:${smtp.port}`, SMTP_TLS_INSECURE: '1' });
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toContain('SMTP_TLS_INSECURE=1: the SMTP server\'s certificate is not checked');
  }, PROCESS_MS);
});

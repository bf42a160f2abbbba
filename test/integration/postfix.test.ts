/**
 * newsdesk against a real MTA: Debian's Postfix, configured by the test on a loopback port with
 * STARTTLS and a certificate from a CA the test makes, discarding everything it accepts. A
 * campaign goes out through a real `newsdesk worker` process with each SMTP client; Postfix's own
 * log must show every message accepted over STARTTLS and no protocol warnings. Then the settings
 * an operator gets wrong: the private CA not given, a wrong password (Dovecot SASL behind
 * Postfix), a relay that will not relay without a login.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { postfixAvailable, postfixVersion, startTestPostfix, type TestPostfix } from '../support/postfix.ts';
import { makeTestCa, type TestCa } from '../support/test-ca.ts';
import { spawnWorker } from '../support/worker-process.ts';

// Postfix's master must start as root; .ci/run installs the package.
describe.skipIf(!postfixAvailable({ login: true }))('a real Postfix relay (STARTTLS, private CA)', () => {
  let ca: TestCa;
  let open: TestPostfix;
  let withLogin: TestPostfix;
  beforeAll(async () => {
    const [major = 0, minor = 0] = (await postfixVersion()).split('.').map(Number);
    // maillog_file (the log this test reads) came with Postfix 3.4.
    expect(major * 100 + minor).toBeGreaterThanOrEqual(304);
    ca = makeTestCa(['127.0.0.1']);
    open = await startTestPostfix({ tls: ca });
    withLogin = await startTestPostfix({ tls: ca, login: { user: 'newsdesk', pass: 'relay-secret' } });
  }, 60_000);
  afterAll(async () => {
    await open?.stop();
    await withLogin?.stop();
    ca?.remove();
  });

  /** Postfix log lines of the smtpd that served the given client connections. */
  const smtpdLines = (log: string) => log.split('\n').filter((l) => /postfix\/smtpd\[\d+\]/.test(l));

  describe.each(['newsdesk', 'nodemailer'] as const)('campaign through a worker process (%s client)', (client) => {
    let p: Pipeline | undefined;
    afterAll(async () => {
      await p?.close();
    });

    it('every message accepted over STARTTLS, none failed, and Postfix logs no protocol warning', async () => {
      const before = open.log().length;
      p = await startPipeline({
        workers: false,
        env: { SMTP_URL: `smtp://127.0.0.1:${open.port}`, SMTP_TLS_CA: ca.caFile, SMTP_CLIENT: client, SMTP_POOL_SIZE: '3', SEND_BATCH_SIZE: '20' },
      });
      await p.addSubscribers('daily', 150);
      const c = await p.createCampaign(['daily']);
      const worker = spawnWorker(p.env, ['--exit-when-idle']);
      expect(await worker.exited).toBe(0);
      const done = await p.waitForStatus(c.id, 'sent', 10_000);
      expect(done.counts).toEqual({ total: 150, sent: 150, failed: 0, skipped: 0, pending: 0 });
      const replies = (await p.app.campaigns.deliveries(c.id, { state: 'sent', limit: 1000 })).map((d) => d.detail);
      expect(replies).toHaveLength(150);
      expect(replies.every((r) => /^250 2\.0\.0 Ok: queued as \w+/.test(r ?? ''))).toBe(true);

      // Postfix's side: every message handed to the discard transport, every connection STARTTLS.
      const discarded = (text: string) => text.match(/postfix\/discard\[\d+\]: \w+: to=<reader\d+@example\.org>, relay=none, .*status=sent/g)?.length ?? 0;
      const ours = (await open.waitForLog((log) => discarded(log.slice(before)) >= 150)).slice(before);
      expect(discarded(ours)).toBe(150);
      const smtpd = smtpdLines(ours);
      const disconnects = smtpd.filter((l) => l.includes(': disconnect from '));
      expect(disconnects.length).toBeGreaterThan(1);
      // Each connection said EHLO, upgraded, said EHLO again (the settings check then says QUIT).
      for (const line of disconnects) expect(line).toMatch(/ ehlo=2 starttls=1 /);
      const count = (what: string) => disconnects.reduce((n, l) => n + Number(new RegExp(` ${what}=(\\d+)`).exec(l)?.[1] ?? 0), 0);
      expect({ mail: count('mail'), rcpt: count('rcpt'), data: count('data') }).toEqual({ mail: 150, rcpt: 150, data: 150 });
      expect(smtpd.filter((l) => l.includes('TLS connection established from'))).toHaveLength(disconnects.length);
      expect(smtpd.filter((l) => /warning:|improper command pipelining|lost connection|timeout after|reject:/.test(l))).toEqual([]);
    }, 90_000);
  });
  describe('settings an operator gets wrong', () => {
    let t: TestRedis;
    const secret = randomBytes(32).toString('base64url');
    beforeAll(async () => {
      t = await openTestRedis();
    });
    afterAll(async () => {
      await t?.cleanup();
    });
    const worker = (env: Record<string, string>) =>
      runNewsdesk(['worker', '--exit-when-idle'], { env: { PATH: process.env.PATH ?? '', ...t.env, NEWSDESK_SECRET: secret, LOG_LEVEL: 'warn', ...env } });

    it('the private CA not given: the worker refuses to start, naming SMTP_TLS_CA; given, it starts', async () => {
      const untrusted = await worker({ SMTP_URL: `smtp://127.0.0.1:${open.port}` });
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/^error: the certificate of SMTP server smtp:\/\/127\.0\.0\.1:\d+ is not signed by a trusted CA \([^\n]+\): set SMTP_TLS_CA to [^\n]+\n$/);
      const trusted = await worker({ SMTP_URL: `smtp://127.0.0.1:${open.port}`, SMTP_TLS_CA: ca.caFile });
      expect(trusted).toMatchObject({ code: 0, stderr: '' });
    }, 90_000);

    it('a wrong password (Dovecot SASL): the worker refuses to start, naming SMTP_URL; the right one logs in', async () => {
      const wrong = await worker({ SMTP_URL: `smtp://newsdesk:not-the-secret@127.0.0.1:${withLogin.port}`, SMTP_TLS_CA: ca.caFile });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^error: SMTP server smtp:\/\/127\.0\.0\.1:\d+ refused the login \(535 5\.7\.8 [^\n]*\): check the user and password in SMTP_URL[^\n]*\n$/);
      expect(wrong.stderr).not.toContain('not-the-secret');
      const right = await worker({ SMTP_URL: `smtp://newsdesk:relay-secret@127.0.0.1:${withLogin.port}`, SMTP_TLS_CA: ca.caFile });
      expect(right).toMatchObject({ code: 0, stderr: '' });
      // The settings check: connect, EHLO, STARTTLS, EHLO, AUTH, QUIT, and no message.
      expect(withLogin.log()).toMatch(/disconnect from \S+ ehlo=2 starttls=1 auth=1 quit=1 commands=5/);
      expect(withLogin.log()).toMatch(/SASL PLAIN authentication failed: .*sasl_username=newsdesk/);
    }, 90_000);

    it('no login where the relay needs one: Postfix answers "Relay access denied" and the campaign pauses with that reason', async () => {
      const p = await startPipeline({ workers: false, env: { SMTP_URL: `smtp://127.0.0.1:${withLogin.port}`, SMTP_TLS_CA: ca.caFile } });
      try {
        await p.addSubscribers('daily', 30);
        const c = await p.createCampaign(['daily']);
        const w = spawnWorker(p.env);
        const paused = await p.waitForStatus(c.id, 'paused', 20_000);
        expect(paused.pauseReason).toMatch(/^SMTP server smtp:\/\/127\.0\.0\.1:\d+ does not relay mail for newsdesk \(554 5\.7\.1 <reader\d+@example\.org>: Relay access denied\): put a user and password that may relay in SMTP_URL/);
        expect(paused.counts).toMatchObject({ sent: 0, failed: 0, pending: 30 });
        w.child.kill('SIGTERM');
        expect(await w.exited).toBe(0);
        expect(w.output()).toContain(`campaign paused: ${paused.pauseReason}`);
      } finally {
        await p.close();
      }
    }, 90_000);
  });
});

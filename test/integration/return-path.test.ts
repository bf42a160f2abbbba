/**
 * Return mail end to end: a campaign is sent through the real pipeline (Redis, workers, SMTP on
 * loopback), then real bounce samples, feedback reports and unsubscribe mail come back to the
 * addresses its messages carried — through the pipe command, the SMTP listener and the service.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signReturnToken } from '../../src/domain/return-token.ts';
import { startReturnListener, type ReturnListener } from '../../src/mail/return-listener.ts';
import { createMetrics } from '../../src/http/metrics.ts';
import { runNewsdesk } from '../support/cli.ts';
import { startPipeline, type Pipeline } from '../support/pipeline.ts';
import { abuseReport, bounceSample, deliverSmtp, sendCampaign, type SentCopy, unsubscribeMail } from '../support/return-mail.ts';
import { snapshot } from '../support/store-fixtures.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
const execFileAsync = promisify(execFile);
let p: Pipeline;
let campaignId: string;
let copies: SentCopy[];
let listener: ReturnListener;
let dir: string;

beforeAll(async () => {
  p = await startPipeline();
  ({ campaignId, copies } = await sendCampaign(p, 'daily', 12));
  // The workers compact an ended campaign's ledger by themselves some seconds later (a delayed
  // job), which would land in the middle of a test's before/after snapshot: done now, that job
  // finds nothing to do, and the return path below reads the compact ledger, as it will in life.
  expect(await p.app.campaigns.ledger.compact(campaignId)).toMatchObject({ state: 'compacted' });
  listener = await startReturnListener({ sink: p.app.returnPath, port: 0, feedbackAddresses: ['feedback@news.example.com'], maxBytes: 25 * 1024 * 1024 });
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-inbound-'));
}, 180_000);

afterAll(async () => {
  await listener?.close();
  await p?.close();
});

const copy = (i: number) => copies[i] as SentCopy;
const status = async (c: SentCopy) => (await p.app.stores.subscribers.get(c.subscriberId))?.status;
async function pipe(raw: Buffer, rcpt: string, name: string) {
  const file = join(dir, name);
  await writeFile(file, raw);
  const run = await runNewsdesk(['inbound', file, '--rcpt', rcpt, '--json'], { env: { ...process.env, ...p.env } });
  return { ...run, json: run.stdout ? (JSON.parse(run.stdout) as { outcome: string; kind: string }) : undefined };
}

describe('return addresses in sent messages', () => {
  it('every message has its own signed envelope sender and List-Unsubscribe mailto, local parts within 64 octets', () => {
    expect(copies).toHaveLength(12);
    const senders = new Set(copies.map((c) => c.mailFrom));
    expect(senders.size).toBe(12);
    for (const c of copies) {
      expect(c.mailFrom).toMatch(/^bounces\+[a-z2-7]{29}[0-9a-z]+@news\.example\.com$/);
      expect(c.unsubscribeAddress).toMatch(/^unsubscribe\+[a-z2-7]{29}[0-9a-z]+@news\.example\.com$/);
      expect((c.unsubscribeAddress.split('@')[0] as string).length).toBeLessThanOrEqual(64);
    }
  });
});

describe('the pipe command (newsdesk inbound <file> --rcpt)', { timeout: 180_000 }, () => {
  it('a real Postfix DSN for 5.1.1 makes the subscriber bounced and suppressed, once', async () => {
    const c = copy(0);
    const first = await pipe(bounceSample('rb-sisimai__postfix-14.eml'), c.mailFrom, 'hard.eml');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json).toMatchObject({ outcome: 'applied', kind: 'bounce' });
    expect(await status(c)).toBe('bounced');
    expect(await p.app.stores.suppression.isSuppressed(c.email)).toBe(true);
    expect(await p.app.returns.annotation(campaignId, c.subscriberId)).toMatch(/^hard\|.*\|5\.1\.1\|/);

    const again = await pipe(bounceSample('rb-sisimai__postfix-14.eml'), c.mailFrom, 'hard.eml');
    expect(again.json?.outcome).toBe('duplicate');
    expect((await p.app.returns.campaignStats(campaignId)).counts.hard).toBe(1);
  });

  it('a token in upper case (an MTA that uppercases local parts) still names the delivery', async () => {
    const c = copy(1);
    const run = await pipe(bounceSample('set-of-emails__rhost-apple-01.eml'), c.mailFrom.toUpperCase(), 'upper.eml');
    expect(run.json?.outcome).toBe('applied');
    expect(await status(c)).toBe('bounced');
  });

  it('an auto-reply, a message with no MIME structure and binary junk are ignored with exit 0 and change nothing', async () => {
    const c = copy(2);
    const before = await snapshot(p.t.redis, p.t.prefix);
    const vacation = await pipe(bounceSample('rb-sisimai__rfc3834-01.eml'), c.mailFrom, 'ooo.eml');
    const bare = await pipe(Buffer.from('just some words, no header at all\n'), c.mailFrom, 'bare.eml');
    const junk = await pipe(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), c.mailFrom, 'junk.eml');
    for (const r of [vacation, bare, junk]) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.json?.outcome).toBe('ignored');
    }
    const after = await snapshot(p.t.redis, p.t.prefix);
    // Only the audit log and the dedupe marks may differ (BullMQ's own keys and the workers'
    // heartbeats tick over by themselves: stalled-job checks, the event stream, liveness).
    const changed = [...new Set([...before.keys(), ...after.keys()])]
      .filter((k) => after.get(k) !== before.get(k))
      .map((k) => k.replace(p.t.keys.tag, ''))
      .filter((k) => !k.startsWith(':bull:') && k !== ':workers' && k !== ':workers:last-seen');
    expect(changed.filter((k) => k !== ':inbound:log' && !k.startsWith(':inbound:seen:'))).toEqual([]);
    expect(changed).toContain(':inbound:log');
    expect(await status(c)).toBe('active');
  });

  it('a forged or altered token, an unknown campaign and a subscriber who does not exist: unverified, nothing changes', async () => {
    const c = copy(3);
    const token = (c.mailFrom.split('+')[1] as string).split('@')[0] as string;
    const altered = c.mailFrom.replace(token, token.slice(0, 12) + (token[12] === 'a' ? 'b' : 'a') + token.slice(13));
    const forged = `bounces+${signReturnToken({ purpose: 'bounce', campaignId, subscriberId: c.subscriberId }, 'not-the-secret-of-this-installation-at-all')}@news.example.com`;
    const unknownCampaign = `bounces+${signReturnToken({ purpose: 'bounce', campaignId: 'daily-1999-01-01-x', subscriberId: c.subscriberId }, SECRET)}@news.example.com`;
    const nobody = `bounces+${signReturnToken({ purpose: 'bounce', campaignId, subscriberId: 987_654 }, SECRET)}@news.example.com`;
    const before = await p.app.stores.subscribers.get(c.subscriberId);
    for (const [i, rcpt] of [altered, forged, unknownCampaign, nobody].entries()) {
      const r = await pipe(bounceSample('rb-sisimai__postfix-14.eml'), rcpt, `forged-${i}.eml`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.json?.outcome, rcpt).toBe('unverified');
    }
    expect(await p.app.stores.subscribers.get(c.subscriberId)).toEqual(before);
    const log = await p.app.returns.recent(4);
    expect(log.map((e) => e.outcome)).toEqual(['unverified', 'unverified', 'unverified', 'unverified']);
    expect(log.map((e) => e.note).join(' ')).toMatch(/no longer exists/);
    expect(log.map((e) => e.note).join(' ')).toMatch(/unknown campaign/);
    // Kept for inspection: what the mail was.
    expect(log[0]?.excerpt).toMatch(/^From: mailer-daemon@2jo\.example\.jp\nSubject: Undelivered Mail Returned to Sender\n/);
  });

  it('refuses an address that is not a return address (exit 67, nothing stored)', async () => {
    const r = await pipe(bounceSample('rb-sisimai__postfix-14.eml'), 'someone@news.example.com', 'other.eml');
    expect(r.code).toBe(67);
    expect(r.stderr).toMatch(/not a bounce, unsubscribe or feedback address/);
  });

  it('exits 75 when Redis cannot be reached, so the MTA retries', async () => {
    const file = join(dir, 'tempfail.eml');
    await writeFile(file, bounceSample('rb-sisimai__postfix-14.eml'));
    const r = await runNewsdesk(['inbound', file, '--rcpt', copy(4).mailFrom], { env: { ...process.env, ...p.env, REDIS_URL: 'redis://127.0.0.1:1' } });
    expect(r.code).toBe(75);
    expect(r.stderr).toMatch(/not stored, try again later/);
    expect(await status(copy(4))).toBe('active');
  });
});

describe('the SMTP listener (newsdesk inbound serve)', () => {
  it('refuses every recipient that is not a return address with a 5xx', async () => {
    const r = await deliverSmtp(listener.port, 'postmaster@news.example.com', bounceSample('rb-sisimai__postfix-14.eml'));
    expect(r.code).toBe(550);
  });

  it('a block about the sender (Gmail DMARC 5.7.26) is counted for the provider and removes nobody', async () => {
    const c = copy(5);
    const r = await deliverSmtp(listener.port, c.mailFrom, bounceSample('p5-sisimai__lhost-postfix-70.eml'));
    expect(r.code, r.response).toBe(250);
    expect(await status(c)).toBe('active');
    const stats = await p.app.returns.campaignStats(campaignId);
    expect(stats.counts.blocked).toBe(1);
    expect(stats.blocksByProvider).toEqual({ gmail: 1 });
  });

  it('an ARF abuse report whose recipient was redacted still finds the delivery (our List-Unsubscribe inside) → complained, off every list', async () => {
    const c = copy(6);
    const r = await deliverSmtp(listener.port, 'feedback@news.example.com', abuseReport(c));
    expect(r.code, r.response).toBe(250);
    expect(await status(c)).toBe('complained');
    expect(await p.app.stores.lists.isMember('daily', c.subscriberId)).toBe(false);
    expect((await p.app.returns.campaignStats(campaignId)).counts.complaint).toBe(1);
  });

  it('an opt-out report unsubscribes; an auth-failure report changes no reader', async () => {
    const optOut = copy(7);
    const auth = copy(8);
    expect((await deliverSmtp(listener.port, 'feedback@news.example.com', abuseReport(optOut, { feedbackType: 'opt-out' }))).code).toBe(250);
    expect((await deliverSmtp(listener.port, 'feedback@news.example.com', abuseReport(auth, { feedbackType: 'auth-failure' }))).code).toBe(250);
    expect(await p.app.stores.lists.isMember('daily', optOut.subscriberId)).toBe(false);
    expect(await status(auth)).toBe('active');
    expect(await p.app.stores.lists.isMember('daily', auth.subscriberId)).toBe(true);
  });

  it('mail to the per-reader unsubscribe address leaves the campaign\'s lists, like the one-click POST', async () => {
    const c = copy(9);
    const r = await deliverSmtp(listener.port, c.unsubscribeAddress, unsubscribeMail(c));
    expect(r.code, r.response).toBe(250);
    expect(await p.app.stores.lists.isMember('daily', c.subscriberId)).toBe(false);
    expect(await status(c)).toBe('active');
  });

  it('offers STARTTLS when given a key and certificate, and takes a report over it', async () => {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await execFileAsync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', keyFile, '-out', certFile]);
    const tls = await startReturnListener({
      sink: p.app.returnPath,
      port: 0,
      feedbackAddresses: [],
      tls: { key: await readFile(keyFile), cert: await readFile(certFile) },
    });
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: tls.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    try {
      const c = copy(4);
      const info = await transport.sendMail({ envelope: { from: '', to: [c.unsubscribeAddress] }, raw: unsubscribeMail(c) });
      expect(info.response).toMatch(/^250/);
      expect(await p.app.stores.lists.isMember('daily', c.subscriberId)).toBe(false);
    } finally {
      transport.close();
      await tls.close();
    }
  });

  it('a 20 MB message is read by its head, answered, and nothing crashes; above the size limit it gets a 552', async () => {
    const c = copy(10);
    const big = Buffer.concat([bounceSample('rb-sisimai__postfix-14.eml'), Buffer.alloc(20 * 1024 * 1024, 'x\r\n')]);
    const r = await deliverSmtp(listener.port, c.mailFrom, big);
    expect(r.code, r.response).toBe(250);
    expect(await status(c)).toBe('bounced');
    const small = await startReturnListener({ sink: p.app.returnPath, port: 0, feedbackAddresses: [], maxBytes: 1024 * 1024 });
    try {
      const refused = await deliverSmtp(small.port, copy(11).mailFrom, big);
      expect(refused.code).toBe(552);
      expect(await status(copy(11))).toBe('active');
    } finally {
      await small.close();
    }
  }, 180_000);
});

describe('the service', { timeout: 180_000 }, () => {
  // The soft-bounce rule (five deliveries, not five reports) is tested in return-identity.test.ts.
  it('campaign status and /metrics report what came back', async () => {
    const report = await p.app.service.status(campaignId, { failures: 0 });
    // Hard: copies 0 (two reports, counted once), 1 and 10.
    expect(report.returns).toMatchObject({ hardBounces: 3, complaints: 1, senderBlocks: 1, senderBlocksByProvider: { gmail: 1 }, breaker: null });
    expect(report.returns.hardBounceRate).toBeCloseTo(3 / 12);
    const text = await createMetrics(p.app).render();
    expect(text).toContain(`newsdesk_campaign_returns{campaign="${campaignId}",kind="hard_bounce"} 3`);
    expect(text).toContain(`newsdesk_campaign_returns{campaign="${campaignId}",kind="complaint"} 1`);
    expect(text).toMatch(new RegExp(`newsdesk_campaign_return_rate_ratio\\{campaign="${campaignId}",kind="hard_bounce"\\} 0\\.25`));
  });

  it('campaign deliveries shows what came back for each delivery', async () => {
    const r = await runNewsdesk(['campaign', 'deliveries', campaignId, '--json', '--limit', '100'], { env: { ...process.env, ...p.env } });
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ subscriberId: number; returned: { kind: string; status?: string } | null }>;
    const of = (c: SentCopy) => rows.find((d) => d.subscriberId === c.subscriberId)?.returned;
    expect(of(copy(0))).toMatchObject({ kind: 'hard', status: '5.1.1' });
    expect(of(copy(6))?.kind).toBe('complaint');
    expect(of(copy(9))?.kind).toBe('unsubscribe');
    expect(of(copy(3))).toBeNull();
  });

  it('newsdesk inbound ls lists what came back, newest first, filtered by kind', async () => {
    const env = { ...process.env, ...p.env };
    const all = await runNewsdesk(['inbound', 'ls', '--json', '--limit', '1000'], { env });
    expect(all.code, all.stderr).toBe(0);
    const rows = JSON.parse(all.stdout) as Array<{ kind: string; outcome: string; at: string; subscriberId?: number }>;
    expect(rows.map((r) => r.at)).toEqual([...rows.map((r) => r.at)].sort().reverse());
    const complaints = JSON.parse((await runNewsdesk(['inbound', 'ls', '--kind', 'complaint', '--json'], { env })).stdout) as typeof rows;
    expect(complaints.length).toBeGreaterThanOrEqual(3);
    expect(complaints.every((r) => r.kind === 'complaint')).toBe(true);
    expect(complaints.some((r) => r.subscriberId === copy(6).subscriberId && r.outcome === 'applied')).toBe(true);
    const text = await runNewsdesk(['inbound', 'ls', '--kind', 'unsubscribe'], { env });
    expect(text.stdout).toMatch(/^AT +SOURCE +KIND +OUTCOME/);
    expect(text.stdout).toContain(`${copy(9).subscriberId}`);
    const bad = await runNewsdesk(['inbound', 'ls', '--kind', 'bogus'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bogus/);
  });

  it('a flood of 10,000 reports (forged, duplicate, ignored) each gets an outcome and changes no subscriber', async () => {
    const c = copy(2);
    const before = await p.app.stores.subscribers.get(c.subscriberId);
    const forgedToken = signReturnToken({ purpose: 'bounce', campaignId, subscriberId: c.subscriberId }, 'someone-else-entirely-signing-these-tokens');
    const outcomes = new Map<string, number>();
    const n = 10_000;
    for (let i = 0; i < n; i += 500) {
      const batch = Array.from({ length: 500 }, (_, j) => {
        const k = i + j;
        const kind = k % 3 === 0 ? 'auto-reply' : 'bounce';
        return p.app.returnPath.accept({
          source: 'smtp',
          kind,
          identity: { kind: 'token', token: forgedToken },
          // A third repeat an earlier key: duplicates.
          dedupeKey: `<flood-${k % 3 === 2 ? k - 1 : k}@example.com>|x`,
          ...(kind === 'bounce' ? { bounce: { severity: 'hard', aboutSender: false, status: '5.1.1' } } : {}),
        });
      });
      for (const o of await Promise.all(batch)) outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(n);
    expect([...outcomes.keys()].sort()).toEqual(['duplicate', 'ignored', 'unverified']);
    expect(await p.app.stores.subscribers.get(c.subscriberId)).toEqual(before);
  }, 180_000);
});

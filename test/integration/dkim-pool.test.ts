import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { createDkimPool, type DkimPool, DkimPoolError } from '../../src/mail/dkim-pool.ts';
import { createSmtpTransport } from '../../src/mail/smtp.transport.ts';
import type { MailTransport, SendOutcome } from '../../src/mail/transport.ts';
import { outcomes, verifyDkim } from '../support/dkim.ts';
import { compiled, newsletter, recipient } from '../support/fixtures.ts';
import { startTestSmtpServer } from '../support/smtp-server.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');
const domain = 'briefing.example.com';
const dkim = {
  domain,
  selector: 'nd2025',
  privateKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  ed25519: { selector: 'nd2025e', privateKey: ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
};
const published = [
  { publicKey: rsa.publicKey, selector: 'nd2025', domain },
  { publicKey: ed.publicKey, selector: 'nd2025e', domain },
];
const message = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'c1', listId: 'main' } });
const render = (n: number) => message.render(recipient(n));
/**
 * A message the renderer would not write: 8-bit UTF-8 in headers (as SMTPUTF8 allows), a long
 * folded Subject, tabs and trailing spaces in the body, more than 4 KB (its own ArrayBuffer).
 */
function handMade(n: number): Buffer {
  const subject = `Grüße aus Zürich — 東京 ${'très longue ligne '.repeat(12)}`.match(/.{1,60}(\s|$)/g)?.join('\r\n ') ?? '';
  const head = [
    `From: "Rédaction Ünïcode" <news@${domain}>`,
    `To: "Zoë Łukasiewicz ${n}" <reader${n}@inbox.example.org>`,
    `Subject: ${subject}`,
    `Message-ID: <hand-${n}@${domain}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].join('\r\n');
  const body = Array.from({ length: 120 }, (_, i) => `Ligne ${i}\tavec  des   espaces — ñ ${'x'.repeat(i % 50)}   `).join('\r\n');
  // Copied into a Buffer that owns its whole ArrayBuffer: Node 24's Buffer.from(string) may hand
  // back a view of a larger one, which the pool then copies rather than moves.
  const text = Buffer.from(`${head}\r\n\r\n${body}\r\n\r\n\r\n`, 'utf8');
  const owned = Buffer.alloc(text.byteLength);
  text.copy(owned);
  return owned;
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
function pool(options: Parameters<typeof createDkimPool>[1] = {}): DkimPool {
  const p = createDkimPool(dkim, options);
  cleanups.push(() => p.close());
  return p;
}
const toOf = (raw: Buffer) => /^To: (.*(?:\r\n[ \t].*)*)/m.exec(raw.toString('latin1'))?.[1];

describe('DKIM signing pool (worker threads)', () => {
  it('signs in parallel on two threads; RSA and Ed25519 both pass mailauth for every message, each its own', async () => {
    const p = pool({ threads: 2 });
    expect(p.threads).toHaveLength(2);
    const inputs = Array.from({ length: 60 }, (_, n) => (n % 2 ? render(n).raw : handMade(n)));
    expect(inputs[0]?.length).toBeGreaterThan(4096);
    const expectedTo = inputs.map((raw) => toOf(raw));
    const expectedBody = inputs.map((raw) => Buffer.from(raw));
    const signed = await Promise.all(inputs.map((raw) => p.sign(raw)));
    for (const [n, raw] of signed.entries()) {
      // Each answer belongs to its own request, and the message under the two fields is untouched.
      expect(toOf(raw)).toBe(expectedTo[n]);
      expect(raw.subarray(raw.length - (expectedBody[n] as Buffer).length).equals(expectedBody[n] as Buffer)).toBe(true);
      const results = await verifyDkim(raw, published);
      expect(outcomes(results)).toEqual([['pass', 'rsa-sha256'], ['pass', 'ed25519-sha256']]);
    }
  });

  it('moves the message to the thread instead of copying it (the caller’s Buffer is handed over)', async () => {
    const p = pool({ threads: 1 });
    const raw = handMade(3);
    expect(raw.byteLength).toBeGreaterThan(4096);
    const signed = await p.sign(raw);
    expect(raw.byteLength).toBe(0);
    expect((await verifyDkim(signed, published))[0]?.status.result).toBe('pass');
    // A small Buffer sliced from Node's shared pool is copied, not moved: its neighbours stay intact.
    const small = Buffer.from('From: a@briefing.example.com\r\nTo: b@x.example\r\n\r\nhi\r\n');
    const neighbour = Buffer.from('still here');
    expect(small.buffer).toBe(neighbour.buffer);
    await p.sign(small);
    expect(neighbour.toString()).toBe('still here');
  });

  it('a thread that dies fails only what it held, transiently; the thread is replaced and signing goes on', async () => {
    const p = pool({ threads: 1, perThread: 4 });
    await p.sign(render(1).raw); // the thread is up and has its key
    const first = p.threads[0];
    const pending = Array.from({ length: 40 }, (_, n) => p.sign(render(n).raw).then((raw) => ({ raw }), (err: Error) => ({ err })));
    await first?.terminate();
    const settled = await Promise.all(pending);
    const failed = settled.filter((s) => 'err' in s);
    // At most what the thread held; the queued rest went to its replacement.
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeLessThanOrEqual(4);
    for (const f of failed) {
      expect((f as { err: Error }).err).toBeInstanceOf(DkimPoolError);
      expect((f as { err: DkimPoolError }).err.broken).toBe(false);
    }
    for (const s of settled) if ('raw' in s) expect((await verifyDkim(s.raw, published))[0]?.status.result).toBe('pass');
    expect(p.threads).toHaveLength(1);
    expect(p.threads[0]).not.toBe(first);
    expect((await verifyDkim(await p.sign(render(99).raw), published))[1]?.status.result).toBe('pass');
  });

  it('bounds its queue: past maxQueue it refuses, transiently', async () => {
    const p = pool({ threads: 1, perThread: 1, maxQueue: 2 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => p.sign(render(n).raw)));
    // One on the thread, two waiting: the other three are refused at once.
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DkimPoolError);
      expect(String((r as PromiseRejectedResult).reason.message)).toMatch(/2 messages already wait/);
    }
  });

  it('gives up after threads keep dying before their key loads: signing refused as a setting problem', async () => {
    // A heap far too small to load the signer: each thread dies of it at start, as in a starved worker.
    // 4 MB: enough for Node to create the thread (at 1 MB, Node 24 aborts the whole process while
    // creating it, an uncatchable out-of-memory), too little to load tsx and the signer (at 8 MB it loads).
    const p = pool({ threads: 1, threadHeapMb: 4, threadStartLimit: 2 });
    // The first message was held by a thread that died: a transient failure, like any crash.
    const first = await p.sign(render(1).raw).then(() => undefined, (e: unknown) => e);
    expect(first).toBeInstanceOf(DkimPoolError);
    while (!p.broken) await new Promise((r) => setTimeout(r, 20));
    const err = await p.sign(render(1).raw).then(() => undefined, (e: unknown) => e);
    expect((err as DkimPoolError).broken).toBe(true);
    expect(p.broken).toMatch(/DKIM signing thread exited \(code \d+\) 2 times before its key loaded/);
    expect(p.threads).toHaveLength(0);
    // Through the transport: no SMTP attempt, a transient failure carrying the setting problem (the pipeline pauses the campaign).
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.close());
    const t = createSmtpTransport({ url: smtp.url, dkim: p });
    cleanups.push(() => t.close());
    const outcome = await t.send(render(2));
    expect(outcome).toMatchObject({ status: 'failed', kind: 'transient', setupProblem: expect.stringMatching(/before its key loaded/) });
    expect(smtp.messages).toHaveLength(0);
  });

  it('refuses bad keys on the calling thread, before any thread starts', () => {
    expect(() => createDkimPool({ ...dkim, privateKey: '/no/such/key.pem' })).toThrow(/DKIM_PRIVATE_KEY: .*\/no\/such\/key\.pem/);
    expect(() => createDkimPool({ ...dkim, ed25519: { selector: 'e', privateKey: dkim.privateKey } })).toThrow(/DKIM_ED25519_PRIVATE_KEY: must be an Ed25519 key/);
  });
});

describe('SMTP transport signing on threads', () => {
  it('sends every message exactly once, signed twice, even when a signing thread dies mid-send', async () => {
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.close());
    const p = pool({ threads: 1 });
    const t: MailTransport = createSmtpTransport({ url: smtp.url, poolSize: 4, dkim: p });
    cleanups.push(() => t.close());
    expect((await t.send(render(0))).status).toBe('sent');

    const n = 30;
    const sends = Array.from({ length: n }, (_, i) => t.send(render(i + 1)));
    await p.threads[0]?.terminate();
    const outcomes: SendOutcome[] = await Promise.all(sends);
    const transient = outcomes.filter((o) => o.status === 'failed' && o.kind === 'transient');
    expect(transient.length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o.status === 'sent').length + transient.length).toBe(n);
    for (const o of transient) expect(o.response).toMatch(/DKIM signing thread exited/);
    // What failed never reached the server; sending it again (as the pipeline does) delivers it once.
    const again = await Promise.all(outcomes.map((o, i) => (o.status === 'failed' ? t.send(render(i + 1)) : Promise.resolve(o))));
    expect(again.every((o) => o.status === 'sent')).toBe(true);
    const got = await smtp.waitForMessages(n + 1);
    const recipients = got.map((m) => m.to[0]);
    expect(recipients.sort()).toEqual(Array.from({ length: n + 1 }, (_, i) => recipient(i).email).sort());
    for (const m of got) expect((await verifyDkim(m.raw, published)).map((r) => r.status.result)).toEqual(['pass', 'pass']);
  });

  it('starts its own pool from DKIM options with dkimThreads, and closes it with the transport', async () => {
    const smtp = await startTestSmtpServer();
    cleanups.push(() => smtp.close());
    const t = createSmtpTransport({ url: smtp.url, dkim, dkimThreads: 2 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => t.send(render(i))));
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true);
    await t.close();
    for (const m of smtp.messages) expect((await verifyDkim(m.raw, published)).map((r) => r.status.result)).toEqual(['pass', 'pass']);
  });
});

/**
 * The bounce-mailbox poller against a real Dovecot started by the test: mail appended over IMAP,
 * read, handed on, and moved — to the done folder, to the unparsed folder, or left in place
 * while the store is away. Nothing is ever deleted: the messages are counted across folders.
 */
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NewsdeskError } from '../../src/domain/errors.ts';
import type { ReturnOutcome } from '../../src/domain/return-event.ts';
import { signReturnToken } from '../../src/domain/return-token.ts';
import { createInboundPoller } from '../../src/inbound-poller.ts';
import { createImapPoller, type ImapPoller } from '../../src/mail/imap-poller.ts';
import { type Dovecot, startDovecot } from '../support/dovecot.ts';
import { runNewsdesk } from '../support/cli.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

const DONE = 'newsdesk-processed';
const UNPARSED = 'newsdesk-unparsed';
const silent = pino({ level: 'silent' });

/** Polls `check` until it holds (no fixed sleeps); fails after 10 s with `what`. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const note = (tag: string, extra = '') => `From: a@example.org\r\nTo: bounces@example.org\r\nSubject: ${tag}\r\nMessage-ID: <${tag}.${Math.random()}@t>\r\nX-Test: ${tag}\r\n${extra}\r\n${tag}\r\n`;
const tagOf = (raw: Buffer) => /^X-Test: (\S+)/m.exec(raw.toString('latin1'))?.[1] ?? '';

describe('IMAP bounce-mailbox poller (real Dovecot)', () => {
  let dovecot: Dovecot;
  let mail: ImapFlow;
  const pollers: ImapPoller[] = [];

  /** Messages in each folder (a missing folder counts as none). */
  async function counts(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const existing = new Set((await mail.list()).map((m) => m.path));
    for (const folder of ['INBOX', DONE, UNPARSED]) out[folder] = existing.has(folder) ? ((await mail.status(folder, { messages: true })) || { messages: 0 }).messages ?? 0 : 0;
    return out;
  }

  const poller = (handle: (raw: Buffer) => Promise<ReturnOutcome>, pollMs = 60_000) => {
    const p = createImapPoller({ url: dovecot.url, doneFolder: DONE, unparsedFolder: UNPARSED, handle, logger: silent, pollMs });
    pollers.push(p);
    return p;
  };

  beforeAll(async () => {
    dovecot = await startDovecot();
    mail = new ImapFlow({ host: '127.0.0.1', port: dovecot.port, secure: false, auth: { user: dovecot.user, pass: dovecot.password }, logger: false });
    await mail.connect();
  });
  afterAll(async () => {
    for (const p of pollers) await p.stop();
    await mail?.logout().catch(() => undefined);
    await dovecot?.stop();
  });

  it('moves handled mail to the done folder, what it did not understand to the unparsed folder, and leaves what could not be stored', async () => {
    for (const tag of ['bounce', 'auto-reply', 'store-down', 'bad-event', 'later']) await mail.append('INBOX', note(tag));
    let storeUp = false;
    const seen: string[] = [];
    const p = poller(async (raw) => {
      const tag = tagOf(raw);
      seen.push(tag);
      if (tag === 'bad-event') throw new NewsdeskError('return_event_invalid', 'return event invalid: kind: bad');
      if (tag === 'store-down' && !storeUp) throw new Error('Connection is closed.');
      return tag === 'auto-reply' ? 'ignored' : 'applied';
    });

    const first = await p.pollOnce();
    expect(first).toEqual({ done: { applied: 1 }, unparsed: 1, left: 3 });
    // The pass stopped at the message it could not store: the rest waits with it.
    expect(seen).toEqual(['bounce', 'auto-reply', 'store-down']);
    expect(await counts()).toEqual({ INBOX: 3, [DONE]: 1, [UNPARSED]: 1 });

    storeUp = true;
    const second = await p.pollOnce();
    expect(second).toEqual({ done: { applied: 2 }, unparsed: 1, left: 0 });
    expect(await counts()).toEqual({ INBOX: 0, [DONE]: 3, [UNPARSED]: 2 });
    expect(seen.slice(3)).toEqual(['store-down', 'bad-event', 'later']);
  });

  it('IDLE: new mail is read at once (the poll interval is a minute); stop finishes and is safe twice', async () => {
    const handled: string[] = [];
    const p = poller(async (raw) => {
      handled.push(tagOf(raw));
      return 'recorded';
    });
    const running = p.run();
    await until('the first (empty) pass to move into IDLE', async () => (await counts()).INBOX === 0);
    const before = (await counts())[DONE] as number;
    await mail.append('INBOX', note('idle-wake'));
    await until('the poller to read the new message', () => handled.includes('idle-wake'));
    await until('the message to reach the done folder', async () => (await counts())[DONE] === before + 1);
    await p.stop();
    await p.stop();
    await running;
  });

  it('stop does not wait for ever on a store that never answers: the connection closes and the message stays', async () => {
    await mail.append('INBOX', note('stuck'));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: (o: ReturnOutcome) => void;
    const p = createImapPoller({
      url: dovecot.url,
      doneFolder: DONE,
      unparsedFolder: UNPARSED,
      logger: silent,
      pollMs: 60_000,
      stopTimeoutMs: 200,
      handle: () => {
        entered();
        return new Promise<ReturnOutcome>((resolve) => (release = resolve));
      },
    });
    const running = p.run();
    await inHandler;
    await p.stop();
    // The store answers only now, after the connection closed: nothing is moved.
    release('applied');
    await running;
    expect((await counts()).INBOX).toBe(1);
    // The next poller reads it again.
    const next = poller(async () => 'duplicate');
    expect(await next.pollOnce()).toEqual({ done: { duplicate: 1 }, unparsed: 0, left: 0 });
  });

  describe('through the app: readReturnMail and the return-path service', () => {
    let pipe: Pipeline;
    beforeAll(async () => {
      pipe = await startPipeline({ workers: false, env: { INBOUND_IMAP_URL: dovecot.url } });
    });
    afterAll(async () => pipe?.close());

    it('a delivery-status report to a reader\'s bounce address marks the reader bounced; binary junk goes to the unparsed folder', async () => {
      const [id] = await pipe.addSubscribers('daily', 1);
      const campaign = await pipe.createCampaign(['daily']);
      const token = signReturnToken({ purpose: 'bounce', campaignId: campaign.id, subscriberId: id as number }, pipe.app.config.secrets[0] as string);
      const dsn = [
        'From: Mail Delivery System <MAILER-DAEMON@mx.example.net>',
        `To: bounces+${token}@news.example.com`,
        `Delivered-To: bounces+${token}@news.example.com`,
        'Subject: Undelivered Mail Returned to Sender',
        `Message-ID: <dsn.${token}@mx.example.net>`,
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain',
        '',
        'I\'m sorry to have to inform you that your message could not be delivered.',
        '',
        '--b1',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.example.net',
        '',
        'Final-Recipient: rfc822; reader1@example.org',
        'Action: failed',
        'Status: 5.1.1',
        'Diagnostic-Code: smtp; 550 5.1.1 <reader1@example.org>: Recipient address rejected: User unknown in virtual mailbox table',
        '',
        '--b1--',
        '',
      ].join('\r\n');
      await mail.append('INBOX', dsn);
      await mail.append('INBOX', Buffer.concat([Buffer.from('\x00\x01\x02\xff\xfe'), Buffer.alloc(2000, 0x9c)]));
      const before = await counts();

      const p = createInboundPoller(pipe.app);
      expect(p).toBeDefined();
      pollers.push(p as ImapPoller);
      const r = await (p as ImapPoller).pollOnce();
      expect(r).toEqual({ done: { applied: 1 }, unparsed: 1, left: 0 });
      expect((await pipe.app.stores.subscribers.get(id as number))?.status).toBe('bounced');
      expect(await counts()).toEqual({ INBOX: 0, [DONE]: (before[DONE] as number) + 1, [UNPARSED]: (before[UNPARSED] as number) + 1 });

      // The same report again (a copy put back in the inbox) changes nothing more.
      await mail.append('INBOX', dsn);
      expect(await (p as ImapPoller).pollOnce()).toEqual({ done: { duplicate: 1 }, unparsed: 0, left: 0 });
    });

    it('`newsdesk inbound poll --once --json` makes one pass; with Redis unreachable it stops with a clear error and leaves the mail', async () => {
      const [id] = await pipe.addSubscribers('daily', 1, 100);
      const campaign = await pipe.createCampaign(['daily']);
      const token = signReturnToken({ purpose: 'unsubscribe-all', campaignId: campaign.id, subscriberId: id as number }, pipe.app.config.secrets[0] as string);
      await mail.append('INBOX', `From: reader@example.org\r\nTo: unsubscribe+${token}@news.example.com\r\nSubject: unsubscribe\r\nMessage-ID: <u.${token}@example.org>\r\n\r\nunsubscribe\r\n`);
      const env = { PATH: process.env.PATH ?? '', ...pipe.env, INBOUND_IMAP_URL: dovecot.url, LOG_LEVEL: 'silent' };

      const away = await runNewsdesk(['inbound', 'poll', '--once'], { env: { ...env, REDIS_URL: 'redis://127.0.0.1:1' } });
      expect(away.code, away.stderr).not.toBe(0);
      expect(away.stderr).toMatch(/Redis is not answering/);
      expect((await counts()).INBOX).toBe(1);

      const run = await runNewsdesk(['inbound', 'poll', '--once', '--json'], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toEqual({ done: { applied: 1 }, unparsed: 0, left: 0 });
      expect((await pipe.app.stores.subscribers.get(id as number))?.status).toBe('unsubscribed');
      expect((await counts()).INBOX).toBe(0);
    });
  });
});

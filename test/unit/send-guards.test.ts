import { describe, expect, it } from 'vitest';
import { describeAudience, confirmSend } from '../../src/cli/confirm.ts';
import { type Campaign, progressOf } from '../../src/domain/campaign.schema.ts';
import { describeDuplicate, DuplicateSendError, editionDateMismatch, findDuplicateSends } from '../../src/domain/duplicate-send.ts';
import { isLoopbackUrl } from '../../src/domain/loopback.ts';
import { devOutboxRefusal } from '../../src/mail/outbox-policy.ts';
import { campaignsUsingList } from '../../src/queue/list-removal.ts';

function campaign(over: Partial<Campaign> & Pick<Campaign, 'id'>): Campaign {
  return {
    status: 'sent',
    newsletterId: 'daily',
    editionDate: '2025-02-13',
    subject: 'Subject',
    lists: ['metro'],
    createdAt: '2025-02-13T10:00:00.000Z',
    scheduledAt: '2025-02-13T11:00:00.000Z',
    startedAt: '2025-02-13T11:00:00.000Z',
    finishedAt: '2025-02-13T11:02:00.000Z',
    cursor: 0,
    fanoutDone: true,
    counts: { total: 2007, sent: 2007, failed: 0, skipped: 0, pending: 0 },
    contentHash: 'hash-a',
    ...over,
  };
}

const candidate = { newsletterId: 'daily', editionDate: '2025-02-13', contentHash: 'hash-a', lists: ['metro'] };

describe('the duplicate-send rule', () => {
  it('finds an edition already sent to one of the same lists, and says when and to whom', () => {
    const sent = campaign({ id: 'daily-2025-02-13-aaaaaa', lists: ['metro', 'weekend'] });
    const [dup, ...rest] = findDuplicateSends({ ...candidate, lists: ['weekend', 'sports'] }, [sent]);
    expect(rest).toEqual([]);
    expect(dup).toMatchObject({ lists: ['weekend'], match: 'edition' });
    expect(describeDuplicate(dup!)).toBe(
      'daily 2025-02-13 was sent 2025-02-13T11:00:00.000Z–2025-02-13T11:02:00.000Z to weekend by campaign daily-2025-02-13-aaaaaa (2,007 sent)',
    );
    expect(new DuplicateSendError([dup!]).message).toMatch(/pass --again/);
  });

  it('counts scheduled, sending and paused campaigns, and the same content under another date', () => {
    for (const status of ['scheduled', 'sending', 'paused'] as const) {
      expect(findDuplicateSends(candidate, [campaign({ id: `c-${status}`, status })]), status).toHaveLength(1);
    }
    const renamed = campaign({ id: 'c-content', editionDate: '2025-02-12' });
    expect(findDuplicateSends(candidate, [renamed])).toEqual([expect.objectContaining({ match: 'content' })]);
  });

  it('ignores drafts, cancels and failures that sent nobody, other lists, other editions, and the campaign itself', () => {
    const others = [
      campaign({ id: 'c-draft', status: 'draft' }),
      campaign({ id: 'c-cancelled', status: 'cancelled', counts: { total: 5, sent: 0, failed: 0, skipped: 0, pending: 0 } }),
      campaign({ id: 'c-failed', status: 'failed', counts: { total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 } }),
      campaign({ id: 'c-other-list', lists: ['sports'] }),
      campaign({ id: 'c-other-day', editionDate: '2025-02-12', contentHash: 'hash-b' }),
      campaign({ id: 'c-self', status: 'scheduled' }),
    ];
    expect(findDuplicateSends({ ...candidate, id: 'c-self' }, others)).toEqual([]);
  });

  it('counts a campaign cancelled after it had sent some', () => {
    const half = campaign({ id: 'c-half', status: 'cancelled', counts: { total: 10, sent: 4, failed: 0, skipped: 0, pending: 0 } });
    expect(findDuplicateSends(candidate, [half])).toHaveLength(1);
  });

  it('the edition date against the send day', () => {
    expect(editionDateMismatch('2025-02-13', '2025-02-13')).toBe(false);
    expect(editionDateMismatch('2025-02-12', '2025-02-13')).toBe(true);
  });
});

describe('the question before a send', () => {
  it('names the audience and that it is the first send', () => {
    expect(describeAudience({ lists: [{ id: 'metro', members: 2007 }], duplicates: [], when: 'now' })).toBe(
      '2,007 readers on metro; first send of this edition; starting now',
    );
  });

  it('refuses without a terminal and says to pass --yes; asks on one; --yes skips it', async () => {
    const q = { lists: [{ id: 'metro', members: 2007 }], duplicates: [], when: 'now' };
    const noTty = { isTTY: false, ask: () => Promise.reject(new Error('must not ask')) };
    await expect(confirmSend(q, { io: noTty })).rejects.toThrow(/not sent: 2,007 readers on metro.*pass --yes/);
    const asked: string[] = [];
    const tty = (answer: string) => ({ isTTY: true, ask: async (question: string) => (asked.push(question), answer) });
    await expect(confirmSend(q, { io: tty('y') })).resolves.toBeUndefined();
    await expect(confirmSend(q, { io: tty('') })).rejects.toThrow(/not confirmed/);
    expect(asked[0]).toMatch(/2,007 readers on metro; first send of this edition; starting now\.\nSend\? \[y\/N\] $/);
    await expect(confirmSend(q, { yes: true, io: noTty })).resolves.toBeUndefined();
  });
});

describe('honest progress', () => {
  const now = new Date('2025-02-13T11:01:00.000Z');
  const sending = campaign({ id: 'c-sending', status: 'sending', finishedAt: undefined, counts: { total: 100, sent: 40, failed: 0, skipped: 0, pending: 60 } });

  it('has an ETA from the recent pace while a worker is alive, not from the average since the start', () => {
    // 40 done in the minute since the start (0.67/s on average), but 2/s lately: 60 left take 30 s.
    const p = progressOf(sending, now, { alive: 1, lastSeen: now }, { perSecond: 2, seconds: 20 });
    expect(p.etaSeconds).toBeCloseTo(30);
    expect(p.rate).toBeCloseTo(40 / 60);
    expect(p.noWorkerSince).toBeUndefined();
  });

  it('gives no ETA before the pace rests on a few seconds of sending, nor without one', () => {
    const alive = { alive: 1, lastSeen: now };
    expect(progressOf(sending, now, alive).etaSeconds).toBeUndefined();
    expect(progressOf(sending, now, alive, { perSecond: 2, seconds: 2.9 }).etaSeconds).toBeUndefined();
    expect(progressOf(sending, now, alive, { perSecond: 2, seconds: 3 }).etaSeconds).toBeCloseTo(30);
    expect(progressOf(sending, now, alive, { perSecond: 0, seconds: 10 }).etaSeconds).toBeUndefined();
    const paused = campaign({ ...sending, status: 'paused' });
    expect(progressOf(paused, now, alive, { perSecond: 2, seconds: 10 }).etaSeconds).toBeUndefined();
  });

  it('says "no worker alive since …" and gives no ETA when none is', () => {
    const last = new Date('2025-02-13T11:00:30.000Z');
    const p = progressOf(sending, now, { alive: 0, lastSeen: last }, { perSecond: 2, seconds: 20 });
    expect(p.etaSeconds).toBeUndefined();
    expect(p.noWorkerSince).toBe('2025-02-13T11:00:30.000Z');
    expect(progressOf(sending, now, { alive: 0, lastSeen: undefined }).noWorkerSince).toBeNull();
    // A campaign scheduled for later waits for a worker without being stranded yet.
    const later = campaign({ id: 'c-later', status: 'scheduled', scheduledAt: '2025-02-14T11:00:00.000Z' });
    expect(progressOf(later, now, { alive: 0, lastSeen: undefined }).noWorkerSince).toBeUndefined();
  });

  it('shows a cancelled campaign\'s unsent recipients as cancelled, with no rate', () => {
    const cancelled = campaign({ id: 'c-x', status: 'cancelled', counts: { total: 100, sent: 40, failed: 0, skipped: 0, pending: 0 } });
    const p = progressOf(cancelled, now);
    expect(p).toMatchObject({ cancelled: 60, rate: 0, etaSeconds: undefined });
  });
});

describe('production needs real mail', () => {
  const dev = { env: 'development', publicUrl: 'http://localhost:3000', smtp: { url: undefined } };

  it('lets only a development install fall back to the dev outbox', () => {
    expect(devOutboxRefusal(dev)).toBeUndefined();
    expect(devOutboxRefusal({ ...dev, env: 'production' })).toMatch(/SMTP_URL is not set and NODE_ENV is production/);
    expect(devOutboxRefusal({ ...dev, publicUrl: 'https://news.example.com' })).toMatch(/PUBLIC_URL \(https:\/\/news.example.com\) is not this machine/);
    expect(devOutboxRefusal({ ...dev, env: 'production', smtp: { url: 'smtp://relay:587' } })).toBeUndefined();
  });

  it('knows loopback addresses', () => {
    for (const u of ['http://localhost:3000', 'http://127.0.0.1', 'http://[::1]:8080', 'http://news.localhost']) expect(isLoopbackUrl(u), u).toBe(true);
    for (const u of ['https://news.example.com', 'http://10.0.0.5', 'http://localhost.example.com', 'nonsense']) expect(isLoopbackUrl(u), u).toBe(false);
  });
});

describe('lists in use', () => {
  it('are used by drafts, scheduled, sending and paused campaigns, not by finished ones', () => {
    const all = (['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed'] as const).map((status) => campaign({ id: `c-${status}`, status }));
    expect(campaignsUsingList('metro', all).map((c) => c.status)).toEqual(['draft', 'scheduled', 'sending', 'paused']);
    expect(campaignsUsingList('sports', all)).toEqual([]);
  });
});

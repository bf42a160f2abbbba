import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import { Newsletter } from '../../src/domain/newsletter.schema.ts';
import { CampaignStore } from '../../src/store/campaign.store.ts';
import { type TestRedis, openTestRedis } from '../support/redis.ts';
import { campaignFixture } from '../support/store-fixtures.ts';

const compiled: CompiledEmail = {
  newsletterId: 'daily',
  editionDate: '2025-02-13',
  subject: { parts: ['Hello'], slots: [] },
  preheader: 'pre',
  html: { parts: ['<p>Hi ', '</p>'], slots: ['firstName'] },
  text: { parts: ['Hi ', ''], slots: ['firstName'] },
  greetingFallback: 'there',
  compiledAt: '2025-02-13T05:00:00.000Z',
};
const newsletter = Newsletter.parse({
  id: 'daily',
  name: 'The Daily',
  from: { name: 'The Daily', address: 'daily@news.example.com' },
  postalAddress: '1 Main St',
  website: 'https://news.example.com',
});

const campaign = campaignFixture;

const holder = (jobId: string, lockToken = 'tok', leaseMs = 60_000) => ({ jobId, lockToken, leaseMs });

describe('CampaignStore', () => {
  let t: TestRedis;
  let store: CampaignStore;
  beforeEach(async () => {
    t = await openTestRedis();
    store = new CampaignStore({ redis: t.redis, keys: t.keys });
  });
  afterEach(() => t.cleanup());

  it('stores a campaign with its frozen content and reads both back', async () => {
    await store.create(campaign('daily-2025-02-13-aaaaaa'), { compiled, newsletter });
    const c = await store.get('daily-2025-02-13-aaaaaa');
    expect(c.status).toBe('sending');
    expect(c.lists).toEqual(['daily']);
    expect((await store.content(c.id)).compiled).toEqual(compiled);
    await expect(store.create(campaign('daily-2025-02-13-aaaaaa'), { compiled, newsletter })).rejects.toThrow(/exists/);
    expect((await store.list()).map((x) => x.id)).toEqual(['daily-2025-02-13-aaaaaa']);
  });

  it('registers each recipient once, however often a page is registered', async () => {
    await store.create(campaign('c-one'), { compiled, newsletter });
    expect(await store.registerDeliveries('c-one', [1, 2, 3])).toBe(3);
    expect(await store.registerDeliveries('c-one', [2, 3, 4])).toBe(1);
    const c = await store.get('c-one');
    expect(c.counts).toEqual({ total: 4, sent: 0, failed: 0, skipped: 0, pending: 4 });
  });

  it('lets only one holder claim a delivery, and never a final one', async () => {
    await store.create(campaign('c-two'), { compiled, newsletter });
    await store.registerDeliveries('c-two', [7]);
    expect(await store.claim('c-two', 7, holder('job-a'))).toEqual({ kind: 'claimed', attempts: 0 });
    // Another job with a live lease must keep off.
    expect(await store.claim('c-two', 7, holder('job-b'))).toEqual({ kind: 'held' });
    // The same job id again means BullMQ re-ran it after losing the first run: take it over.
    expect((await store.claim('c-two', 7, holder('job-a', 'tok2'))).kind).toBe('claimed');
    await store.record('c-two', 7, { state: 'sent', messageId: '<m@x>', reply: '250 ok' });
    expect(await store.claim('c-two', 7, holder('job-a', 'tok3'))).toEqual({ kind: 'done' });
    expect(await store.delivery('c-two', 7)).toMatchObject({ state: 'sent', messageId: '<m@x>', detail: '250 ok' });
  });

  it('refuses a claim from a run whose job lock is gone or held by another run, and changes nothing', async () => {
    await store.create(campaign('c-lock'), { compiled, newsletter });
    await store.registerDeliveries('c-lock', [3]);
    const lockKey = `${t.keys.queuePrefix}:send:job-a:lock`;
    // No lock at all: the run's lock lapsed (Redis was away, or the process stalled).
    expect(await store.claim('c-lock', 3, { ...holder('job-a', 'tok1'), lockKey })).toEqual({ kind: 'lost-lock' });
    // A new run of the same job holds the lock now.
    await t.redis.set(lockKey, 'tok2');
    expect(await store.claim('c-lock', 3, { ...holder('job-a', 'tok1'), lockKey })).toEqual({ kind: 'lost-lock' });
    expect(await store.delivery('c-lock', 3)).toMatchObject({ state: 'queued' });
    expect(await store.claim('c-lock', 3, { ...holder('job-a', 'tok2'), lockKey })).toEqual({ kind: 'claimed', attempts: 0 });
  });

  it('hands an abandoned claim to another job once its lease has run out', async () => {
    await store.create(campaign('c-lease'), { compiled, newsletter });
    await store.registerDeliveries('c-lease', [9]);
    expect((await store.claim('c-lease', 9, holder('job-a', 't', 1))).kind).toBe('claimed');
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.claim('c-lease', 9, holder('job-b'))).kind).toBe('claimed');
  });

  it('refuses claims while the campaign is not sending', async () => {
    await store.create(campaign('c-paused', { status: 'paused' }), { compiled, newsletter });
    await store.registerDeliveries('c-paused', [1]);
    expect(await store.claim('c-paused', 1, holder('j'))).toEqual({ kind: 'not-sending', status: 'paused' });
  });

  it('counts released attempts and keeps the last reply', async () => {
    await store.create(campaign('c-retry'), { compiled, newsletter });
    await store.registerDeliveries('c-retry', [5]);
    await store.claim('c-retry', 5, holder('j'));
    await store.release('c-retry', 5, '421 4.7.0 try later\r\n');
    expect(await store.delivery('c-retry', 5)).toMatchObject({ state: 'queued', attempts: 1, detail: '421 4.7.0 try later' });
    expect(await store.claim('c-retry', 5, holder('j'))).toEqual({ kind: 'claimed', attempts: 1 });
  });

  it('turns the campaign sent exactly once, when fan-out is done and every delivery is final', async () => {
    await store.create(campaign('c-fin'), { compiled, newsletter });
    await store.registerDeliveries('c-fin', [1, 2, 3]);
    const finishes: boolean[] = [];
    for (const id of [1, 2]) {
      await store.claim('c-fin', id, holder('j'));
      finishes.push((await store.record('c-fin', id, { state: 'sent', messageId: `<${id}@x>`, reply: '250' })).finished);
    }
    // Fan-out not done yet: nothing finishes even though every registered delivery may be final.
    await store.claim('c-fin', 3, holder('j'));
    finishes.push((await store.record('c-fin', 3, { state: 'skipped', reason: 'unsubscribed' })).finished);
    expect(finishes).toEqual([false, false, false]);
    expect(await store.finishFanout('c-fin')).toBe('sent');
    expect(await store.finishFanout('c-fin')).toBe('open');
    // A second record for a final delivery changes nothing.
    expect(await store.record('c-fin', 3, { state: 'sent', messageId: '<3@x>', reply: '250' })).toEqual({ recorded: false, finished: false });
    const c = await store.get('c-fin');
    expect(c.status).toBe('sent');
    expect(c.finishedAt).toBeDefined();
    expect(c.counts).toEqual({ total: 3, sent: 2, failed: 0, skipped: 1, pending: 0 });
  });

  it('finishes on the last record when the fan-out finished first', async () => {
    await store.create(campaign('c-fin2'), { compiled, newsletter });
    await store.registerDeliveries('c-fin2', [1, 2]);
    expect(await store.finishFanout('c-fin2')).toBe('open');
    await store.claim('c-fin2', 1, holder('j'));
    expect((await store.record('c-fin2', 1, { state: 'failed', reply: '550 5.1.1 no such user' })).finished).toBe(false);
    await store.claim('c-fin2', 2, holder('j'));
    expect((await store.record('c-fin2', 2, { state: 'sent', messageId: '<2@x>', reply: '250' })).finished).toBe(true);
    expect(await store.deliveries('c-fin2', { state: 'failed' })).toEqual([
      expect.objectContaining({ subscriberId: 1, state: 'failed', detail: '550 5.1.1 no such user' }),
    ]);
  });

  it('starts the delivery records\' retention when the campaign finishes, by either path, and not before', async () => {
    const day = 86_400_000;
    const kept = new CampaignStore({ redis: t.redis, keys: t.keys, deliveryRetentionMs: 30 * day });
    const ttl = (id: string) => t.redis.pttl(t.keys.campaignDeliveries(id));
    // Finished by the last record.
    await kept.create(campaign('c-ret1'), { compiled, newsletter });
    await kept.registerDeliveries('c-ret1', [1, 2]);
    await kept.finishFanout('c-ret1');
    await kept.claim('c-ret1', 1, holder('j'));
    await kept.record('c-ret1', 1, { state: 'sent', messageId: '<1@x>', reply: '250' });
    expect(await ttl('c-ret1')).toBe(-1);
    expect(await kept.deliveryRecords('c-ret1')).toEqual({ kept: true });
    await kept.claim('c-ret1', 2, holder('j'));
    expect((await kept.record('c-ret1', 2, { state: 'sent', messageId: '<2@x>', reply: '250' })).finished).toBe(true);
    expect(await ttl('c-ret1')).toBeGreaterThan(30 * day - 60_000);
    expect(await ttl('c-ret1')).toBeLessThanOrEqual(30 * day);
    const records = await kept.deliveryRecords('c-ret1');
    expect(records.kept).toBe(true);
    expect(Math.abs((records.until?.getTime() ?? 0) - (Date.now() + 30 * day))).toBeLessThan(60_000);
    // Finished by the fan-out, every delivery already final.
    await kept.create(campaign('c-ret2'), { compiled, newsletter });
    await kept.registerDeliveries('c-ret2', [3]);
    await kept.claim('c-ret2', 3, holder('j'));
    await kept.record('c-ret2', 3, { state: 'skipped', reason: 'unsubscribed' });
    expect(await ttl('c-ret2')).toBe(-1);
    expect(await kept.finishFanout('c-ret2')).toBe('sent');
    expect(await ttl('c-ret2')).toBeGreaterThan(30 * day - 60_000);
    // Retention off (the default): kept for ever.
    await store.create(campaign('c-ret3'), { compiled, newsletter });
    await store.registerDeliveries('c-ret3', [4]);
    await store.finishFanout('c-ret3');
    await store.claim('c-ret3', 4, holder('j'));
    expect((await store.record('c-ret3', 4, { state: 'sent', messageId: '<4@x>', reply: '250' })).finished).toBe(true);
    expect(await ttl('c-ret3')).toBe(-1);
    // Cancelled or failed: the same step that ends it starts the retention, and an ended campaign
    // takes no more recipients (a fan-out page registered after the cancel adds nothing).
    for (const [id, from, to] of [
      ['c-ret4', 'sending', 'cancelled'],
      ['c-ret5', 'paused', 'failed'],
    ] as const) {
      await kept.create(campaign(id, { status: from }), { compiled, newsletter });
      await kept.registerDeliveries(id, [5, 6]);
      expect(await kept.transition(id, ['sending', 'paused'], to)).toMatchObject({ moved: true });
      expect(await ttl(id)).toBeGreaterThan(30 * day - 60_000);
      expect(await kept.registerDeliveries(id, [7, 8])).toBe(0);
      expect((await kept.get(id)).counts.total).toBe(2);
    }
    // A pause or a resume starts nothing.
    await kept.create(campaign('c-ret6'), { compiled, newsletter });
    await kept.registerDeliveries('c-ret6', [9]);
    await kept.transition('c-ret6', ['sending'], 'paused');
    expect(await ttl('c-ret6')).toBe(-1);

    // Once they are gone, the store says so; the campaign and its counts stay.
    await t.redis.del(t.keys.campaignDeliveries('c-ret1'));
    expect(await kept.deliveryRecords('c-ret1')).toEqual({ kept: false });
    expect((await kept.get('c-ret1')).counts).toMatchObject({ total: 2, sent: 2 });
  });

  it('moves status only from the allowed ones', async () => {
    await store.create(campaign('c-tr', { status: 'scheduled' }), { compiled, newsletter });
    expect(await store.transition('c-tr', ['sending'], 'paused')).toEqual({ moved: false, previous: 'scheduled' });
    expect(await store.transition('c-tr', ['scheduled'], 'sending', { startedAt: 'x', snapshotMaxId: 42 })).toEqual({
      moved: true,
      previous: 'scheduled',
    });
    const c = await store.get('c-tr');
    expect([c.status, c.startedAt, c.snapshotMaxId]).toEqual(['sending', 'x', 42]);
    expect(await store.transition('nope', ['sending'], 'paused')).toEqual({ moved: false, previous: 'missing' });
  });
});

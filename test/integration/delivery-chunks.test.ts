/**
 * Claiming and settling deliveries a chunk at a time (src/store/delivery-chunks.ts), over real
 * Redis with real subscribers, lists and suppression: what each recipient of a chunk comes to,
 * the in-progress notes an unsubscribe waits on, and what settling may and may not touch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Campaign } from '../../src/domain/campaign.schema.ts';
import { CampaignStore, type ClaimHolder } from '../../src/store/campaign.store.ts';
import { DeliveryChunks } from '../../src/store/delivery-chunks.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { row } from '../support/store-fixtures.ts';
import { campaignFixture } from '../support/store-fixtures.ts';

let t: TestRedis;
let campaigns: CampaignStore;
let chunks: DeliveryChunks;
beforeEach(async () => {
  t = await openTestRedis();
  campaigns = new CampaignStore({ redis: t.redis, keys: t.keys });
  chunks = new DeliveryChunks({ redis: t.redis, keys: t.keys, retentionMs: 0 });
});
afterEach(() => t.cleanup());

const holder = (jobId: string, lockToken = 'tok', leaseMs = 60_000): ClaimHolder => ({ jobId, lockToken, leaseMs });

async function campaignOf(id: string, lists: string[], status: Campaign['status'] = 'sending'): Promise<Campaign> {
  const { compiled, newsletter } = await compiledExampleEdition();
  const c = campaignFixture(id, { status, lists });
  await campaigns.create(c, { compiled, newsletter });
  return c;
}

/** Subscribers on list `daily`; returns their ids in order. */
async function readers(emails: string[]): Promise<number[]> {
  for (const id of ['daily', 'weekly']) if (!(await t.stores.lists.get(id))) await t.stores.lists.create({ id, name: id });
  const out = await t.stores.subscribers.joinList('daily', emails.map((e, i) => row(e, `Reader ${i}`)), { via: 'import' });
  return out.map((o) => (o as { id: number }).id);
}

describe('claiming a chunk', () => {
  it('gives each recipient its own answer: send, skipped (with the reason, recorded), done, held', async () => {
    const c = await campaignOf('daily-2025-02-13-chunk1', ['daily']);
    const [ann, bob, cat, dan, eve, fay, gus, hal] = await readers([
      'ann@example.com', 'bob@example.com', 'cat@example.com', 'dan@example.com',
      'eve@example.com', 'fay@example.com', 'gus@example.com', 'hal@example.com',
    ]) as number[] as [number, number, number, number, number, number, number, number];
    await campaigns.registerDeliveries(c.id, [ann, bob, cat, dan, eve, fay, gus, hal]);
    await t.stores.subscribers.unsubscribe(bob, { listId: 'daily', reason: 'test' }); // left the list
    await t.stores.subscribers.unsubscribe(cat); // unsubscribed from everything
    await t.stores.suppression.add('DAN@example.com', 'manual'); // suppressed by hand, still active
    await t.stores.suppression.keepOnlyHash('eve@example.com'); // an erased address: only its hash is kept
    // fay is done already; gus is held by another job's live lease.
    expect((await campaigns.claim(c.id, fay, holder('job-0'))).kind).toBe('claimed');
    await campaigns.record(c.id, fay, { state: 'sent', messageId: '<f@x>', reply: '250' });
    expect((await campaigns.claim(c.id, gus, holder('job-b'))).kind).toBe('claimed');
    await t.redis.hdel(t.keys.subscriberBucket(hal), String(hal)); // gone (erased)

    const claim = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann, bob, cat, dan, eve, fay, gus, hal], holder: holder('job-a'), holdMs: 60_000 });
    expect(claim).toEqual({
      kind: 'claimed',
      finished: false,
      entries: [
        { kind: 'send', subscriberId: ann, attempts: 0, email: 'ann@example.com', name: 'Reader 0', listId: 'daily' },
        { kind: 'skipped', subscriberId: bob, reason: 'left-list' },
        { kind: 'skipped', subscriberId: cat, reason: 'unsubscribed' },
        { kind: 'skipped', subscriberId: dan, reason: 'suppressed' },
        { kind: 'skipped', subscriberId: eve, reason: 'suppressed' },
        { kind: 'done', subscriberId: fay },
        { kind: 'held', subscriberId: gus },
        { kind: 'skipped', subscriberId: hal, reason: 'deleted' },
      ],
    });
    // Skips are recorded and counted in the same step; only the one to send is claimed and noted.
    expect(await campaigns.delivery(c.id, bob)).toMatchObject({ state: 'skipped', detail: 'left-list' });
    expect(await campaigns.delivery(c.id, ann)).toMatchObject({ state: 'sending' });
    expect(await campaigns.delivery(c.id, gus)).toMatchObject({ state: 'sending' });
    expect((await campaigns.get(c.id)).counts).toMatchObject({ total: 8, sent: 1, skipped: 5 });
    expect(await t.stores.sendsInProgress.of(ann)).toEqual([c.id]);
    for (const id of [bob, cat, dan, eve, fay, gus, hal]) expect(await t.stores.sendsInProgress.of(id)).toEqual([]);
  });

  it('names the first campaign list the recipient is on, and looks up an address beyond ASCII the way the app normalizes it', async () => {
    const c = await campaignOf('daily-2025-02-13-chunk2', ['weekly', 'daily']);
    const [ann, zoe, ida] = (await readers(['ann@example.com', 'zoe@example.com', 'ida@example.com'])) as [number, number, number];
    await t.stores.subscribers.joinList('weekly', [row('ann@example.com')], { via: 'import' });
    // Addresses are ASCII today (the schema), but a record beyond it must not slip past the
    // suppression list because Lua lower-cases only ASCII: written here as such a record would be.
    const bucket = t.keys.subscriberBucket(zoe);
    const record = JSON.parse((await t.redis.hget(bucket, String(zoe))) as string) as { e: string };
    await t.redis.hset(bucket, String(zoe), JSON.stringify({ ...record, e: 'ZOË@Example.com' }));
    await t.stores.suppression.add('zoë@example.com', 'manual');
    // A record that does not read back (a hand edit): failed with the reason, never sent.
    await t.redis.hset(t.keys.subscriberBucket(ida), String(ida), '{not json');
    const claim = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann, zoe, ida], holder: holder('job-a'), holdMs: 60_000 });
    expect(claim.kind === 'claimed' && claim.entries).toEqual([
      { kind: 'send', subscriberId: ann, attempts: 0, email: 'ann@example.com', name: 'Reader 0', listId: 'weekly' },
      { kind: 'skipped', subscriberId: zoe, reason: 'suppressed' },
      { kind: 'failed', subscriberId: ida, reply: 'not sent: the subscriber record is unreadable' },
    ]);
    expect(await campaigns.delivery(c.id, ida)).toMatchObject({ state: 'failed', detail: 'not sent: the subscriber record is unreadable' });
    // The late look-up ended the note it had written.
    expect(await t.stores.sendsInProgress.of(zoe)).toEqual([]);
    expect(await campaigns.delivery(c.id, zoe)).toMatchObject({ state: 'skipped', detail: 'suppressed' });
  });

  it('claims nothing while the campaign is not sending, or once the job lock is another run\'s', async () => {
    const c = await campaignOf('daily-2025-02-13-chunk3', ['daily'], 'paused');
    const ids = await readers(['ann@example.com', 'bob@example.com']);
    await campaigns.registerDeliveries(c.id, ids);
    expect(await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-a'), holdMs: 60_000 })).toEqual({ kind: 'not-sending', status: 'paused' });
    await campaigns.transition(c.id, ['paused'], 'sending');
    const lockKey = `${t.keys.queuePrefix}:send:job-a:lock`;
    await t.redis.set(lockKey, 'tok2');
    expect(await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: { ...holder('job-a', 'tok1'), lockKey }, holdMs: 60_000 })).toEqual({ kind: 'lost-lock' });
    for (const id of ids) {
      expect(await campaigns.delivery(c.id, id)).toMatchObject({ state: 'queued' });
      expect(await t.stores.sendsInProgress.of(id)).toEqual([]);
    }
    const claim = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: { ...holder('job-a', 'tok2'), lockKey }, holdMs: 60_000 });
    expect(claim.kind === 'claimed' && claim.entries.map((e) => e.kind)).toEqual(['send', 'send']);
  });

  it('lets a re-run of the same job take over its claims, another job only once their lease ran out', async () => {
    const c = await campaignOf('daily-2025-02-13-chunk4', ['daily']);
    const ids = await readers(['ann@example.com', 'bob@example.com']);
    await campaigns.registerDeliveries(c.id, ids);
    const first = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-a', 'run1', 30), holdMs: 60_000 });
    expect(first.kind === 'claimed' && first.entries.map((e) => e.kind)).toEqual(['send', 'send']);
    const again = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-a', 'run2'), holdMs: 60_000 });
    expect(again.kind === 'claimed' && again.entries.map((e) => e.kind)).toEqual(['send', 'send']);
    const other = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-b'), holdMs: 60_000 });
    expect(other.kind === 'claimed' && other.entries.map((e) => e.kind)).toEqual(['held', 'held']);
  });

  it('finishes the campaign exactly once when a chunk of skips completes it', async () => {
    const c = await campaignOf('daily-2025-02-13-chunk5', ['daily']);
    const ids = await readers(['ann@example.com', 'bob@example.com']);
    await campaigns.registerDeliveries(c.id, ids);
    for (const id of ids) await t.stores.subscribers.unsubscribe(id);
    expect(await campaigns.finishFanout(c.id)).toBe('open');
    const claim = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-a'), holdMs: 60_000 });
    expect(claim).toMatchObject({ kind: 'claimed', finished: true });
    expect((await campaigns.get(c.id)).status).toBe('sent');
    expect(await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: holder('job-a'), holdMs: 60_000 })).toEqual({ kind: 'not-sending', status: 'sent' });
  });
});

describe('settling a chunk', () => {
  it('records outcomes, puts retries and unsent claims back, ends the notes, and reports status and lock', async () => {
    const c = await campaignOf('daily-2025-02-13-settle1', ['daily']);
    const [ann, bob, cat, dan] = (await readers(['ann@example.com', 'bob@example.com', 'cat@example.com', 'dan@example.com'])) as [number, number, number, number];
    await campaigns.registerDeliveries(c.id, [ann, bob, cat, dan]);
    await campaigns.finishFanout(c.id);
    const lockKey = `${t.keys.queuePrefix}:send:job-a:lock`;
    await t.redis.set(lockKey, 'tok');
    const h = { ...holder('job-a'), lockKey };
    await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann, bob, cat, dan], holder: h, holdMs: 60_000 });

    const r1 = await chunks.settle(c.id, [
      { subscriberId: ann, outcome: { state: 'sent', messageId: '<a@x>', reply: '250 ok' }, at: 1_700_000_000_000 },
      { subscriberId: bob, outcome: { state: 'retry', reply: '421 4.7.0 later\r\n' } },
      { subscriberId: cat, outcome: { state: 'unsent' } },
    ], h);
    expect(r1).toEqual({ finished: false, status: 'sending', lockHeld: true });
    expect(await campaigns.delivery(c.id, ann)).toMatchObject({ state: 'sent', at: 1_700_000_000_000, messageId: '<a@x>', detail: '250 ok' });
    expect(await campaigns.delivery(c.id, bob)).toMatchObject({ state: 'queued', attempts: 1, detail: '421 4.7.0 later' });
    expect(await campaigns.delivery(c.id, cat)).toMatchObject({ state: 'queued', attempts: 0 });
    for (const id of [ann, bob, cat]) expect(await t.stores.sendsInProgress.of(id)).toEqual([]);
    expect(await t.stores.sendsInProgress.of(dan)).toEqual([c.id]);
    const c1 = await campaigns.get(c.id);
    expect(c1.counts).toMatchObject({ total: 4, sent: 1, pending: 3 });
    expect(c1.status).toBe('sending');

    // A pause and a lost lock are both in the next answer.
    await campaigns.transition(c.id, ['sending'], 'paused');
    await t.redis.set(lockKey, 'another-run');
    expect(await chunks.settle(c.id, [{ subscriberId: dan, outcome: { state: 'failed', reply: '550 5.1.1 no such user' } }], h)).toEqual({ finished: false, status: 'paused', lockHeld: false });
    // The record lands (the message was tried); the claim was this run's, so its note ends too.
    expect(await campaigns.delivery(c.id, dan)).toMatchObject({ state: 'failed', detail: '550 5.1.1 no such user' });
    expect(await t.stores.sendsInProgress.of(dan)).toEqual([]);
    // Recording a final delivery again changes nothing.
    await chunks.settle(c.id, [{ subscriberId: ann, outcome: { state: 'failed', reply: 'x' } }], h);
    expect((await campaigns.get(c.id)).counts).toMatchObject({ sent: 1, failed: 1 });

    // The rest of the campaign, settled: it finishes in exactly one call.
    await campaigns.transition(c.id, ['paused'], 'sending');
    await t.redis.set(lockKey, 'tok');
    await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [bob, cat], holder: h, holdMs: 60_000 });
    const ends = [
      await chunks.settle(c.id, [{ subscriberId: bob, outcome: { state: 'sent', messageId: '<b@x>', reply: '250' } }], h),
      await chunks.settle(c.id, [{ subscriberId: cat, outcome: { state: 'sent', messageId: '<c@x>', reply: '250' } }], h),
      await chunks.settle(c.id, [{ subscriberId: cat, outcome: { state: 'sent', messageId: '<c@x>', reply: '250' } }], h),
    ];
    expect(ends.map((e) => e.finished)).toEqual([false, true, false]);
    expect(ends.map((e) => e.status)).toEqual(['sending', 'sent', 'sent']);
    const done = await campaigns.get(c.id);
    expect(done.counts).toEqual({ total: 4, sent: 3, failed: 1, skipped: 0, pending: 0 });
    expect(await t.redis.hgetall(t.keys.campaignSentMinutes(c.id))).toEqual(
      expect.objectContaining({ [String(Math.floor(Date.now() / 60_000))]: expect.any(String) }),
    );
  });

  it('leaves a claim another run took over alone, and its note too', async () => {
    const c = await campaignOf('daily-2025-02-13-settle2', ['daily']);
    const [ann] = (await readers(['ann@example.com'])) as [number];
    await campaigns.registerDeliveries(c.id, [ann]);
    await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann], holder: holder('job-a', 'run1'), holdMs: 60_000 });
    // A new run of the job (its lock lapsed) claimed the recipient again and is about to send.
    await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann], holder: holder('job-a', 'run2'), holdMs: 60_000 });
    await chunks.settle(c.id, [{ subscriberId: ann, outcome: { state: 'unsent' } }], holder('job-a', 'run1'));
    expect(await campaigns.delivery(c.id, ann)).toMatchObject({ state: 'sending' });
    expect(await t.stores.sendsInProgress.of(ann)).toEqual([c.id]);
  });
});

describe('an unsubscribe during a chunk', () => {
  it('waits for a claimed recipient\'s message to be over; a chunk claimed after it skips the recipient', async () => {
    const c = await campaignOf('daily-2025-02-13-unsub', ['daily']);
    const [ann, bob] = (await readers(['ann@example.com', 'bob@example.com'])) as [number, number];
    await campaigns.registerDeliveries(c.id, [ann, bob]);
    await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: [ann, bob], holder: holder('job-a'), holdMs: 60_000 });
    const order: string[] = [];
    const unsubscribed = t.stores.subscribers.unsubscribe(bob).then((r) => {
      order.push('unsubscribe answered');
      return r;
    });
    // ann's message is over: bob's answer still waits (his message was checked and may start).
    await chunks.settle(c.id, [{ subscriberId: ann, outcome: { state: 'sent', messageId: '<a@x>', reply: '250' } }], holder('job-a'));
    while ((await t.stores.subscribers.get(bob))?.status !== 'unsubscribed') await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    order.push('bob sent');
    await chunks.settle(c.id, [{ subscriberId: bob, outcome: { state: 'sent', messageId: '<b@x>', reply: '250' } }], holder('job-a'));
    expect((await unsubscribed).stillSending).toEqual([]);
    expect(order).toEqual(['bob sent', 'unsubscribe answered']);

    // Another campaign's chunk, claimed after the unsubscribe, skips him and notes nothing.
    const d = await campaignOf('daily-2025-02-13-unsub2', ['daily']);
    await campaigns.registerDeliveries(d.id, [bob]);
    const later = await chunks.claim({ campaignId: d.id, lists: d.lists, subscriberIds: [bob], holder: holder('job-c'), holdMs: 60_000 });
    expect(later.kind === 'claimed' && later.entries).toEqual([{ kind: 'skipped', subscriberId: bob, reason: 'unsubscribed' }]);
    expect(await t.stores.sendsInProgress.of(bob)).toEqual([]);
  });
});

/**
 * The email index's two tables (redis.ts, SMALL_INDEX_IDS): ids up to 131,072 in 2,048 small
 * buckets, later ones in the 16,384 large ones, and entries written in the large table before
 * the small one existed still found, never duplicated, and erased with their subscriber.
 */
import { describe, expect, it } from 'vitest';
import { CampaignStore } from '../../src/store/campaign.store.ts';
import { createClickStore } from '../../src/store/click.store.ts';
import { createReaderData } from '../../src/store/reader-data.ts';
import { SMALL_INDEX_IDS } from '../../src/store/redis.ts';
import { encodeRecord } from '../../src/store/subscriber-record.ts';
import { row } from '../support/store-fixtures.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();

describe('email index', () => {
  it('indexes early ids in the small table and later ones in the large one', async () => {
    const { subscribers, lists } = t().stores;
    const { redis, keys } = t();
    const daily = await lists.create({ id: 'daily' });
    await subscribers.joinList('daily', [row('early@example.com')], { via: 'import' });
    expect(await redis.hget(keys.emailSmallBucket('early@example.com'), 'early@example.com')).toBe('1');
    expect(await redis.hget(keys.emailBucket('early@example.com'), 'early@example.com')).toBeNull();

    // Past the small table's ids (as in an installation that grew): the large table, by import and by sign-up.
    await redis.set(keys.subscriberSeq, String(SMALL_INDEX_IDS));
    await subscribers.joinList('daily', [row('late@example.com')], { via: 'import' });
    const signUp = await subscribers.subscribe(daily, { email: 'later@example.com', attributes: {} });
    expect(await redis.hget(keys.emailBucket('late@example.com'), 'late@example.com')).toBe(String(SMALL_INDEX_IDS + 1));
    expect(await redis.hget(keys.emailSmallBucket('late@example.com'), 'late@example.com')).toBeNull();
    expect(signUp.kind === 'subscribed' && signUp.subscriber.id).toBe(SMALL_INDEX_IDS + 2);
    expect(await redis.hget(keys.emailBucket('later@example.com'), 'later@example.com')).toBe(String(SMALL_INDEX_IDS + 2));
    for (const email of ['early@example.com', 'late@example.com', 'later@example.com']) expect((await subscribers.findByEmail(email))?.email).toBe(email);
  });

  it('finds, keeps and erases subscribers indexed the old way (large table only)', async () => {
    const { subscribers, lists } = t().stores;
    const { redis, keys } = t();
    await lists.create({ id: 'daily' });
    // As an installation from before the small table left it: record, large-table entry, membership.
    const at = '2025-02-13T08:00:00.000Z';
    await redis.set(keys.subscriberSeq, '7');
    await redis.hset(keys.subscriberBucket(7), '7', encodeRecord({ emailDisplay: 'Old@Example.com', attributes: {}, status: 'active', createdAt: at, statusChangedAt: at, statusReason: 'import' }));
    await redis.hset(keys.emailBucket('old@example.com'), 'old@example.com', '7');
    await redis.setbit(keys.listMembers('daily'), 7, 1);

    expect(await subscribers.findByEmail('OLD@example.com')).toMatchObject({ id: 7, email: 'old@example.com', statusReason: 'import' });
    // A re-import and a sign-up find them: no second subscriber, no small-table entry.
    expect(await subscribers.joinList('daily', [row('old@example.com')], { via: 'import' })).toEqual([{ kind: 'already-member', id: 7, updated: false }]);
    const weekly = await lists.create({ id: 'weekly' });
    const again = await subscribers.subscribe(weekly, { email: 'old@example.com', attributes: {} });
    expect(again.kind !== 'blocked' && again.subscriber.id).toBe(7);
    expect(await redis.get(keys.subscriberSeq)).toBe('7');
    expect(await redis.hget(keys.emailSmallBucket('old@example.com'), 'old@example.com')).toBeNull();

    const campaigns = new CampaignStore({ redis, keys });
    const readerData = createReaderData({ redis, keys, stores: t().stores, clickStore: createClickStore({ redis, keys, campaigns, windowMs: 0, burstMs: 1000, retentionMs: 86_400_000 }) });
    await readerData.erase('old@example.com');
    expect(await redis.hget(keys.emailBucket('old@example.com'), 'old@example.com')).toBeNull();
    expect(await subscribers.findByEmail('old@example.com')).toBeNull();
  });
});

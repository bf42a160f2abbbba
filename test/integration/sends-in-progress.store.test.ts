/**
 * Sends in progress (the notes an unsubscribe waits on) and the eligibility check that writes
 * them, over real Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecipients } from '../../src/queue/recipients.adapter.ts';
import { createStores } from '../../src/store/stores.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { row } from '../support/store-fixtures.ts';

let t: TestRedis;
beforeEach(async () => {
  t = await openTestRedis();
});
afterEach(() => t.cleanup());

describe('SendsInProgress', () => {
  it('notes a send until it ends, with a TTL on the key', async () => {
    const sends = t.stores.sendsInProgress;
    await sends.begin(7, 'daily-a', 60_000);
    await sends.begin(7, 'daily-b', 60_000);
    expect((await sends.of(7)).sort()).toEqual(['daily-a', 'daily-b']);
    expect(await sends.of(8)).toEqual([]);
    const ttl = await t.redis.pttl(t.keys.sendsInProgress(7));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await sends.end(7, 'daily-a');
    expect(await sends.of(7)).toEqual(['daily-b']);
    await sends.end(7, 'daily-b');
    expect(await sends.of(7)).toEqual([]);
    expect(await t.redis.exists(t.keys.sendsInProgress(7))).toBe(0);
  });

  it('ignores a note whose time is up (its sender died mid-send)', async () => {
    let now = 1_000_000;
    const sends = createStores({ redis: t.redis, prefix: t.prefix, now: () => now }).sendsInProgress;
    await sends.begin(7, 'daily-a', 5_000);
    expect(await sends.of(7)).toEqual(['daily-a']);
    now += 5_001;
    expect(await sends.of(7)).toEqual([]);
    expect(await sends.settle(7)).toEqual([]);
  });

  it('settle resolves only after the send ends; at its timeout it names what is still sending', async () => {
    const sends = t.stores.sendsInProgress;
    await sends.begin(7, 'daily-a', 60_000);
    const order: string[] = [];
    const settled = sends.settle(7, { pollMs: 5 }).then((open) => {
      order.push('settled');
      return open;
    });
    // Time for several polls: a waiter that did not wait would have answered by now.
    await new Promise((r) => setTimeout(r, 50));
    order.push('send over');
    await sends.end(7, 'daily-a');
    expect(await settled).toEqual([]);
    expect(order).toEqual(['send over', 'settled']);

    await sends.begin(8, 'daily-b', 60_000);
    expect(await sends.settle(8, { timeoutMs: 30, pollMs: 5 })).toEqual(['daily-b']);
  });
});

describe('the eligibility check', () => {
  it('notes the send before it answers yes, and leaves no note when it says no', async () => {
    const recipients = createRecipients(t.stores);
    await t.stores.lists.create({ id: 'daily', name: 'Daily' });
    const [a, b] = await t.stores.subscribers.joinList('daily', [row('ann@example.com'), row('bob@example.com')], { via: 'import' });
    const ann = (a as { id: number }).id;
    const bob = (b as { id: number }).id;
    await t.stores.subscribers.unsubscribe(bob, { listId: 'daily', reason: 'test' });

    const sending = { campaignId: 'daily-2025-02-13-abcdef', holdMs: 60_000 };
    expect(await recipients.check(ann, ['daily'], sending)).toMatchObject({ ok: true });
    expect(await t.stores.sendsInProgress.of(ann)).toEqual([sending.campaignId]);
    await recipients.sendOver(ann, sending.campaignId);
    expect(await t.stores.sendsInProgress.of(ann)).toEqual([]);

    expect(await recipients.check(bob, ['daily'], sending)).toEqual({ ok: false, reason: 'left-list' });
    expect(await t.stores.sendsInProgress.of(bob)).toEqual([]);

    // Without `sending` (a look, not a send) nothing is noted.
    expect(await recipients.check(ann, ['daily'])).toMatchObject({ ok: true });
    expect(await t.stores.sendsInProgress.of(ann)).toEqual([]);
  });
});

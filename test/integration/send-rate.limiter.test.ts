import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendRateLimiter } from '../../src/store/send-rate.limiter.ts';
import { type TestRedis, openTestRedis } from '../support/redis.ts';

describe('SendRateLimiter', () => {
  let t: TestRedis;
  beforeEach(async () => {
    t = await openTestRedis();
  });
  afterEach(() => t.cleanup());

  it('lets a short burst through, then asks the caller to wait', async () => {
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 5, perHour: 0 } });
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) waits.push(await limiter.tryAcquire());
    const granted = waits.filter((w) => w === 0).length;
    // At 5/s the burst allowance is one interval (200 ms): two at once, then waits; never all 10.
    expect(granted).toBeGreaterThanOrEqual(1);
    expect(granted).toBeLessThanOrEqual(3);
    expect(Math.max(...waits)).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(200);
  });

  it('is shared by every limiter on the same keys (one budget for all workers)', async () => {
    const a = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 10, perHour: 0 } });
    const b = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 10, perHour: 0 } });
    const waits = [await a.tryAcquire(), await b.tryAcquire(), await a.tryAcquire(), await b.tryAcquire()];
    expect(waits.filter((w) => w === 0).length).toBeLessThanOrEqual(2);
  });

  it('stops at the hourly cap until the next hour', async () => {
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 0, perHour: 3 } });
    const waits = [];
    for (let i = 0; i < 5; i++) waits.push(await limiter.tryAcquire());
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(0);
    expect(waits[3]).toBeLessThanOrEqual(3_600_000);
  });

  it('grants a chunk what single asks in a row would, from the same budget', async () => {
    // 50/s: a burst of five intervals (100 ms). Asked for 20 at once, at most the burst (and one) go.
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 50, perHour: 0 } });
    const first = await limiter.tryAcquireUpTo(20);
    expect(first.granted).toBeGreaterThanOrEqual(5);
    expect(first.granted).toBeLessThanOrEqual(6);
    expect(first.waitMs).toBe(0);
    // The budget is spent: a single ask and a chunk ask both wait, about one interval (20 ms).
    const single = await limiter.tryAcquire();
    expect(single).toBeGreaterThan(0);
    expect(single).toBeLessThanOrEqual(20);
    const next = await limiter.tryAcquireUpTo(20);
    expect(next.granted).toBe(0);
    expect(next.waitMs).toBeGreaterThan(0);
    expect(next.waitMs).toBeLessThanOrEqual(20);
    // Waiting gives at least one, never more than asked for.
    const got = await limiter.acquireUpTo(2);
    expect(got).toBeGreaterThanOrEqual(1);
    expect(got).toBeLessThanOrEqual(2);
  });

  it('grants a chunk no more than the hourly cap leaves, then waits for the next hour', async () => {
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 0, perHour: 7 } });
    expect(await limiter.tryAcquire()).toBe(0);
    expect(await limiter.tryAcquireUpTo(4)).toEqual({ granted: 4, waitMs: 0 });
    expect(await limiter.tryAcquireUpTo(4)).toEqual({ granted: 2, waitMs: 0 });
    const after = await limiter.tryAcquireUpTo(4);
    expect(after.granted).toBe(0);
    expect(after.waitMs).toBeGreaterThan(0);
    expect(after.waitMs).toBeLessThanOrEqual(3_600_000);
    expect(await limiter.tryAcquire()).toBeGreaterThan(0);
  });

  it('never waits when no rate is set', async () => {
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 0, perHour: 0 } });
    for (let i = 0; i < 100; i++) expect(await limiter.tryAcquire()).toBe(0);
    expect(await limiter.acquireUpTo(50)).toBe(50);
    expect(limiter.maxPerAsk).toBe(Number.POSITIVE_INFINITY);
    // With a rate, one ask takes a hundredth of a second's worth at most, and at least one.
    limiter.setRate({ perSecond: 20, perHour: 0 });
    expect(limiter.maxPerAsk).toBe(1);
    limiter.setRate({ perSecond: 2_000, perHour: 0 });
    expect(limiter.maxPerAsk).toBe(20);
    expect(await t.redis.exists(t.keys.sendRate)).toBe(0);
  });
});

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

  it('never waits when no rate is set', async () => {
    const limiter = new SendRateLimiter({ redis: t.redis, keys: t.keys, rate: { perSecond: 0, perHour: 0 } });
    for (let i = 0; i < 100; i++) expect(await limiter.tryAcquire()).toBe(0);
    expect(await t.redis.exists(t.keys.sendRate)).toBe(0);
  });
});

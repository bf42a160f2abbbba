/**
 * The ETA of `campaign status` from the sampled pace (store/campaign-pace.store.ts, progressOf):
 * samples fed one by one on a clock the test moves, the ETA asserted after each stretch. Covers
 * a send that speeds up over its first seconds (cold workers), a send limited by the send rate,
 * a pause, and a slowdown.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { progressOf } from '../../src/domain/campaign.schema.ts';
import { createCampaignPaces, PACE_HORIZON_MS } from '../../src/store/campaign-pace.store.ts';
import { campaignFixture } from '../support/store-fixtures.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';

describe('the ETA from the sampled pace', () => {
  let t: TestRedis | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  /** A campaign of `total` sending on a test clock; `second(n)` is one second in which n more finish, then a sample. */
  async function sendingCampaign(total: number) {
    const r = (t = await openTestRedis());
    let now = 1_700_000_000_000;
    let sent = 0;
    const paces = createCampaignPaces({ redis: r.redis, keys: r.keys, clock: () => now });
    const key = r.keys.campaign('c1');
    await r.redis.hset(key, { status: 'sending', total, sent: 0, failed: 0, skipped: 0 });
    await paces.sample('c1'); // the first sample, when a worker takes the first batch
    const alive = { alive: 1, lastSeen: new Date(now) };
    return {
      key,
      r,
      paces,
      async second(n: number) {
        now += 1000;
        sent += n;
        await r.redis.hset(key, { sent });
        await paces.sample('c1');
      },
      async seconds(counts: number[]) {
        for (const n of counts) await this.second(n);
      },
      async eta(): Promise<number | undefined> {
        const status = (await r.redis.hget(key, 'status')) as 'sending' | 'paused';
        const c = campaignFixture('c1', { status, startedAt: new Date(1_700_000_000_000).toISOString(), counts: { total, sent, failed: 0, skipped: 0, pending: total - sent } });
        return progressOf(c, new Date(now), alive, await paces.read('c1')).etaSeconds;
      },
      pause: () => r.redis.hset(key, { status: 'paused' }).then(() => paces.sample('c1')),
      resume: async (afterMs: number) => {
        now += afterMs;
        await r.redis.hset(key, { status: 'sending' });
        await paces.sample('c1');
      },
    };
  }

  it('rests on the latter half of the sending seen, so a send that speeds up over its first seconds is not judged by them', async () => {
    const c = await sendingCampaign(100_000);
    // Cold workers: 300, 1,200, 2,400 a second, then 3,000 a second from the fourth second on.
    await c.seconds([300, 1200]);
    expect(await c.eta()).toBeUndefined(); // 2 s sampled: no ETA yet
    await c.seconds([2400, 3000]);
    // 4 s sampled: the pace is the last 2 (2,400 and 3,000 weighted towards the later).
    const early = (await c.eta()) as number;
    expect(early).toBeGreaterThan((100_000 - 6900) / 3000);
    expect(early).toBeLessThan((100_000 - 6900) / 2400);
    await c.seconds([3000, 3000]);
    // 6 s sampled: the latter 3 are all at 3,000 a second; the slow start no longer counts.
    expect(await c.eta()).toBeCloseTo((100_000 - 12_900) / 3000, 6);
  });

  it('follows a send limited by the send rate, after its first burst', async () => {
    const c = await sendingCampaign(10_000);
    // A limit of 50 a second lets a burst of 200 through in the first second.
    await c.seconds([200, 50, 50, 50]);
    expect(await c.eta()).toBeCloseTo((10_000 - 350) / 50, 6);
    await c.seconds(Array(40).fill(50));
    expect(await c.eta()).toBeCloseTo((10_000 - 2350) / 50, 6);
  });

  it('leaves a pause or a long gap between samples out: after it the ETA goes on at the pace before', async () => {
    const c = await sendingCampaign(100_000);
    await c.seconds(Array(20).fill(1000));
    expect(await c.eta()).toBeCloseTo(80, 6);
    await c.pause();
    expect(await c.eta()).toBeUndefined(); // paused: no ETA
    await c.resume(5 * 60_000);
    expect(await c.eta()).toBeCloseTo(80, 6); // the five minutes paused are not slow sending
    await c.second(1000);
    expect(await c.eta()).toBeCloseTo(79, 6);
    expect((await c.paces.read('c1'))?.seconds).toBe(21);
    // Likewise two minutes without a sample while sending (every worker gone): left out, only the
    // second after the next sample counts.
    await c.resume(2 * 60_000);
    await c.second(1000);
    expect(await c.eta()).toBeCloseTo(78, 6);
    expect((await c.paces.read('c1'))?.seconds).toBe(22);
  });

  it('catches up with a slowdown within the horizon, and keeps only that much of the log', async () => {
    const c = await sendingCampaign(1_000_000);
    await c.seconds(Array(60).fill(3000));
    expect(await c.eta()).toBeCloseTo((1_000_000 - 180_000) / 3000, 6);
    await c.seconds(Array(10).fill(1000));
    // Ten seconds in, the pace is between the two, nearer the new one: the last ten seconds weigh
    // as much as the twenty before them.
    const pace = (await c.paces.read('c1'))?.perSecond as number;
    expect(pace).toBeGreaterThan(1000);
    expect(pace).toBeLessThan(2000);
    await c.seconds(Array(PACE_HORIZON_MS / 1000).fill(1000));
    expect(await c.eta()).toBeCloseTo((1_000_000 - 220_000) / 1000, 6);
    const log = (await c.r.redis.hget(c.key, 'paceLog')) ?? '';
    expect(log.split(',')).toHaveLength(PACE_HORIZON_MS / 1000);
  });

  it('gives no ETA once the latest half of the sending finished nothing (a send waiting on its hourly cap)', async () => {
    const c = await sendingCampaign(10_000);
    await c.seconds(Array(10).fill(100));
    expect(await c.eta()).toBeCloseTo(90, 6);
    await c.seconds([0, 0, 0]);
    expect(await c.eta()).toBeGreaterThan(90); // slower now
    await c.seconds(Array(7).fill(0));
    expect(await c.eta()).toBeUndefined(); // 10 s of nothing after 10 s of sending
  });
});

/**
 * `campaign status` while a campaign sends: the ETA's recent pace (store/campaign-pace.store.ts)
 * and the cost of a status read (counters, never a walk of the delivery records it can avoid).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCampaignPaces } from '../../src/store/campaign-pace.store.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';

describe('a campaign\'s recent pace', () => {
  let t: TestRedis | undefined;
  afterEach(async () => {
    await t?.cleanup();
    t = undefined;
  });

  /** Resolves once Redis's clock is `ms` past the campaign's last sample. */
  async function redisClockPast(r: TestRedis, id: string, ms: number): Promise<void> {
    const at = Number(await r.redis.hget(r.keys.campaign(id), 'paceAt'));
    for (;;) {
      const [s, us] = await r.redis.time();
      if (Number(s) * 1000 + Math.floor(Number(us) / 1000) >= at + ms) return;
    }
  }

  it('is the messages finished over the time they took, between samples of a sending campaign; a pause does not count', async () => {
    const r = (t = await openTestRedis());
    const paces = createCampaignPaces({ redis: r.redis, keys: r.keys, minIntervalMs: 20 });
    const key = r.keys.campaign('c1');
    await r.redis.hset(key, { status: 'sending', total: 1000, sent: 0, failed: 0, skipped: 0 });

    await paces.sample('c1');
    expect(await paces.read('c1')).toBeUndefined(); // one sample: no interval yet
    await r.redis.hset(key, { sent: 90, skipped: 10 });
    await redisClockPast(r, 'c1', 20);
    await paces.sample('c1');
    const first = await paces.read('c1');
    expect(first).toBeDefined();
    // 100 finished over the interval, whatever its length.
    expect((first?.perSecond ?? 0) * (first?.seconds ?? 0)).toBeCloseTo(100, 6);
    expect(first?.seconds).toBeGreaterThanOrEqual(0.02);

    // A sample sooner than the minimum interval changes nothing.
    await r.redis.hset(key, { sent: 190 });
    await paces.sample('c1');
    expect(await paces.read('c1')).toEqual(first);

    // Paused: the interval is dropped; after the resume the pace goes on from the next sample,
    // with the messages of the pause's interval left out (none were sent in it anyway).
    await r.redis.hset(key, { status: 'paused' });
    await paces.sample('c1');
    expect(await r.redis.hget(key, 'paceAt')).toBeNull();
    await r.redis.hset(key, { status: 'sending' });
    await paces.sample('c1');
    expect(await paces.read('c1')).toEqual(first);

    // A campaign that is not sending takes no sample at all.
    await r.redis.hset(r.keys.campaign('c2'), { status: 'sent', total: 5, sent: 5, failed: 0, skipped: 0 });
    await paces.sample('c2');
    expect(await r.redis.hget(r.keys.campaign('c2'), 'paceAt')).toBeNull();
  });
});

describe('status during a send', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await p?.close();
    p = undefined;
  });

  it('walks the delivery records for failures only when the counters say there are some, and no further than their number', async () => {
    p = await startPipeline({
      smtp: { reply: (e) => (e.stage === 'rcpt' && /^reader(7|21|40)@/.test(e.to[0] ?? '') ? { code: 550, message: '5.1.1 no such user' } : undefined) },
    });
    await p.addSubscribers('daily', 60);
    const c = await p.createCampaign(['daily']);
    await p.waitForStatus(c.id, 'sent', 30_000);

    const walk = vi.spyOn(p.app.campaigns, 'deliveries');
    const report = await p.app.service.status(c.id, { failures: 20 });
    expect(report.failures.map((f) => f.subscriberId).sort((a, b) => a - b)).toEqual([7, 21, 40]);
    expect(walk).toHaveBeenCalledTimes(1);
    expect(walk).toHaveBeenCalledWith(c.id, { state: 'failed', limit: 3 });

    // No failures: the counters answer, the records are not read.
    await p.addSubscribers('clean', 30, 100);
    const clean = await p.createCampaign(['clean']);
    await p.waitForStatus(clean.id, 'sent', 30_000);
    walk.mockClear();
    expect((await p.app.service.status(clean.id, { failures: 20 })).failures).toEqual([]);
    expect(walk).not.toHaveBeenCalled();
  });
});

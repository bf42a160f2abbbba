/** Worker heartbeats and the stored send limits, on real Redis. */
import { describe, expect, it } from 'vitest';
import { createWorkerHeartbeats } from '../../src/store/worker-heartbeat.store.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();

describe('worker heartbeats', () => {
  it('count a worker alive while it beats, not after it leaves; remember when one was last seen', async () => {
    const { workerHeartbeats: beats } = t().stores;
    expect(await beats.liveness()).toEqual({ alive: 0, lastSeen: undefined });
    await beats.beat('host:1');
    await beats.beat('host:2');
    const both = await beats.liveness();
    expect(both.alive).toBe(2);
    expect(both.lastSeen).toBeInstanceOf(Date);
    await beats.leave('host:1');
    await beats.leave('host:2');
    const gone = await beats.liveness();
    expect(gone.alive).toBe(0);
    expect(gone.lastSeen?.getTime()).toBeGreaterThanOrEqual(both.lastSeen?.getTime() ?? Infinity);
  });

  it('a worker that stopped beating is not alive once the window has passed', async () => {
    // A 1 ms window: the beat is older than that by the time anyone asks (Redis's own clock).
    const beats = createWorkerHeartbeats({ redis: t().redis, keys: t().keys, aliveMs: 1 });
    await beats.beat('host:3');
    const deadline = Date.now() + 5000;
    let l = await beats.liveness();
    while (l.alive > 0 && Date.now() < deadline) l = await beats.liveness();
    expect(l.alive).toBe(0);
    expect(l.lastSeen).toBeInstanceOf(Date);
  });
});

describe('stored send limits', () => {
  it('seed only when nothing is stored; set replaces; bad values are refused and change nothing', async () => {
    const { sendLimits } = t().stores;
    expect(await sendLimits.get()).toBeNull();
    expect(await sendLimits.seed({ perSecond: 40, perHour: 0 })).toEqual({ perSecond: 40, perHour: 0 });
    expect(await sendLimits.seed({ perSecond: 500, perHour: 10 })).toEqual({ perSecond: 40, perHour: 0 });
    expect(await sendLimits.set({ perSecond: 25, perHour: 9000 })).toEqual({ perSecond: 25, perHour: 9000 });
    await expect(sendLimits.set({ perSecond: -1, perHour: 0 })).rejects.toThrow();
    expect(await sendLimits.get()).toEqual({ perSecond: 25, perHour: 9000 });
  });
});

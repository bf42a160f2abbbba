import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { resolveStartLimits, startWorkerPresence } from '../../src/queue/worker-presence.ts';
import type { SendLimits, SendLimitsStore } from '../../src/store/send-limits.store.ts';
import { SendRateLimiter } from '../../src/store/send-rate.limiter.ts';
import type { WorkerHeartbeats } from '../../src/store/worker-heartbeat.store.ts';
import type { Keys, RedisClient } from '../../src/store/redis.ts';

/** A limits store in memory that records its calls; `set` is not the worker's to call. */
function fakeLimits(stored: SendLimits | null) {
  const calls: string[] = [];
  const store: SendLimitsStore & { stored: SendLimits | null } = {
    stored,
    async get() {
      calls.push('get');
      return this.stored;
    },
    async seed(limits) {
      calls.push('seed');
      this.stored ??= limits;
      return this.stored;
    },
    async set() {
      throw new Error('a worker never sets the limits');
    },
  };
  return { store, calls };
}

const none = { perSecond: 0, perHour: 0 };

describe('the limits a worker starts with', () => {
  it('an environment that sets a limit seeds Redis when nothing is stored', async () => {
    const { store, calls } = fakeLimits(null);
    expect(await resolveStartLimits(store, { perSecond: 40, perHour: 0 })).toEqual({ limits: { perSecond: 40, perHour: 0 }, disagrees: false });
    expect(store.stored).toEqual({ perSecond: 40, perHour: 0 });
    expect(calls).toEqual(['seed']);
  });

  it('Redis wins over a disagreeing environment, and says so', async () => {
    const { store } = fakeLimits({ perSecond: 40, perHour: 0 });
    expect(await resolveStartLimits(store, { perSecond: 500, perHour: 0 })).toEqual({ limits: { perSecond: 40, perHour: 0 }, disagrees: true });
  });

  it('an environment without limits stores nothing and follows Redis without complaint', async () => {
    const empty = fakeLimits(null);
    expect(await resolveStartLimits(empty.store, none)).toEqual({ limits: none, disagrees: false });
    expect(empty.calls).toEqual(['get']);
    expect(empty.store.stored).toBeNull();
    const set = fakeLimits({ perSecond: 40, perHour: 1000 });
    expect(await resolveStartLimits(set.store, none)).toEqual({ limits: { perSecond: 40, perHour: 1000 }, disagrees: false });
  });
});

describe('a worker\'s presence', () => {
  it('beats at once, applies the stored limits, follows a change, and leaves once on stop (called twice)', async () => {
    const beats: string[] = [];
    const heartbeats: WorkerHeartbeats = {
      beat: async (id) => void beats.push(`beat ${id}`),
      leave: async (id) => void beats.push(`leave ${id}`),
      liveness: async () => {
        throw new Error('a worker does not ask who is alive');
      },
    };
    const { store } = fakeLimits({ perSecond: 40, perHour: 0 });
    // The limiter never reaches Redis here: only its rate is read and set.
    const limiter = new SendRateLimiter({ redis: {} as RedisClient, keys: { sendRate: 'rate' } as Keys, rate: { perSecond: 500, perHour: 0 } });
    const presence = await startWorkerPresence({ workerId: 'w1', heartbeats, limits: store, limiter, envLimits: { perSecond: 500, perHour: 0 }, logger: pino({ level: 'silent' }), limitsPollMs: 10, beatMs: 10 });
    expect(beats[0]).toBe('beat w1');
    expect(limiter.current).toEqual({ perSecond: 40, perHour: 0 });

    store.stored = { perSecond: 25, perHour: 9000 };
    const deadline = Date.now() + 5000;
    while (limiter.current.perSecond !== 25 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(limiter.current).toEqual({ perSecond: 25, perHour: 9000 });

    await Promise.all([presence.stop(), presence.stop()]);
    expect(beats.filter((b) => b.startsWith('leave'))).toEqual(['leave w1']);
  });
});

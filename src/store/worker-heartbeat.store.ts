/**
 * Worker heartbeats: each worker process notes itself in Redis every few seconds (Redis's clock,
 * so hosts with skewed clocks agree), and status pages ask "is anybody sending?" instead of
 * showing an ETA that only grows.
 */
import type { WorkerLiveness } from '../domain/campaign.schema.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/** A worker that has not beaten for this long is taken for dead. */
export const WORKER_ALIVE_MS = 15_000;
/** How often a live worker beats. */
export const WORKER_BEAT_MS = 5_000;

// KEYS: workers zset. ARGV: worker id. Records the beat at Redis's time; forgets workers silent for a day.
const BEAT = new LuaScript('worker-beat', `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
return now
`);

// KEYS: workers zset, last-seen string. ARGV: alive window ms. Returns { alive, last seen ms or -1 }.
const LIVENESS = new LuaScript('worker-liveness', `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local alive = redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[1]), '+inf')
local last = -1
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if top[2] then last = tonumber(top[2]) end
local stopped = tonumber(redis.call('GET', KEYS[2]) or '-1')
if stopped > last then last = stopped end
return { alive, last }
`);

// KEYS: workers zset, last-seen string. ARGV: worker id. A clean stop: gone at once, remembered as last seen now.
const LEAVE = new LuaScript('worker-leave', `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], now)
return now
`);

export interface WorkerHeartbeats {
  /** Notes that `workerId` is alive now. */
  beat(workerId: string): Promise<void>;
  /** A clean stop: the worker no longer counts as alive, and "last seen" is now. */
  leave(workerId: string): Promise<void>;
  /** How many workers beat within {@link WORKER_ALIVE_MS}, and the last time any was seen. */
  liveness(): Promise<WorkerLiveness>;
}

export function createWorkerHeartbeats(opts: { redis: RedisClient; keys: Keys; aliveMs?: number }): WorkerHeartbeats {
  const { redis, keys } = opts;
  const aliveMs = opts.aliveMs ?? WORKER_ALIVE_MS;
  return {
    async beat(workerId) {
      await BEAT.run(redis, [keys.workers], [workerId]);
    },
    async leave(workerId) {
      await LEAVE.run(redis, [keys.workers, keys.workersLastSeen], [workerId]);
    },
    async liveness() {
      const [alive, last] = (await LIVENESS.run(redis, [keys.workers, keys.workersLastSeen], [aliveMs])) as [number, number];
      return { alive: Number(alive), lastSeen: Number(last) >= 0 ? new Date(Number(last)) : undefined };
    },
  };
}

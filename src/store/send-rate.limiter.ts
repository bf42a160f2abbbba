/**
 * The global send rate, shared by every worker through Redis, not per process
 * (docs/architecture.md, "Redis"). Messages per second use GCRA (a smooth token bucket in one timestamp); the
 * optional hourly cap is a counter per clock hour. Both live in one hash so the script declares
 * its only key.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

// KEYS: the limiter hash. ARGV: interval µs (0 = no per-second limit), burst µs, hourly cap (0 = none).
// Returns 0 when a send may go now (and counts it), else how many ms to wait before asking again.
const ACQUIRE = new LuaScript('send-rate-acquire', `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst, per_hour = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local f = redis.call('HMGET', KEYS[1], 'tat', 'hour', 'count')
if per_hour > 0 then
  local hour = math.floor(now / 3600000000)
  if tonumber(f[2]) == hour and tonumber(f[3]) >= per_hour then
    return math.ceil(((hour + 1) * 3600000000 - now) / 1000)
  end
end
if interval > 0 then
  local tat = tonumber(f[1]) or now
  if tat < now then tat = now end
  if tat - burst > now then return math.max(1, math.ceil((tat - burst - now) / 1000)) end
  redis.call('HSET', KEYS[1], 'tat', tat + interval)
end
if per_hour > 0 then
  local hour = math.floor(now / 3600000000)
  if tonumber(f[2]) == hour then
    redis.call('HINCRBY', KEYS[1], 'count', 1)
  else
    redis.call('HSET', KEYS[1], 'hour', hour, 'count', 1)
  end
end
redis.call('PEXPIRE', KEYS[1], 7200000)
return 0
`);

// The same budget, asked for up to ARGV[4] sends at once: grants as many as that many single asks
// in a row at this instant would (each one the GCRA and the hourly cap allow), at least one or none.
// Returns {granted, 0} or {0, ms to wait before asking again}.
const ACQUIRE_MANY = new LuaScript('send-rate-acquire-many', `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst, per_hour, want = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[1], 'tat', 'hour', 'count')
local hour = math.floor(now / 3600000000)
local used = 0
if tonumber(f[2]) == hour then used = tonumber(f[3]) or 0 end
if per_hour > 0 then
  if used >= per_hour then return {0, math.ceil(((hour + 1) * 3600000000 - now) / 1000)} end
  want = math.min(want, per_hour - used)
end
local granted = want
if interval > 0 then
  local tat = tonumber(f[1]) or now
  if tat < now then tat = now end
  if tat - burst > now then return {0, math.max(1, math.ceil((tat - burst - now) / 1000))} end
  -- Each grant moves the theoretical arrival time on by one interval; stop where the next would wait.
  granted = math.min(want, math.floor((now + burst - tat) / interval) + 1)
  redis.call('HSET', KEYS[1], 'tat', tat + granted * interval)
end
if per_hour > 0 then redis.call('HSET', KEYS[1], 'hour', hour, 'count', used + granted) end
redis.call('PEXPIRE', KEYS[1], 7200000)
return {granted, 0}
`);

export interface SendRate {
  /** Messages per second across all workers; 0 = unlimited. */
  perSecond: number;
  /** Messages per clock hour across all workers; 0 = unlimited. */
  perHour: number;
}

export interface SendRateLimiterOptions {
  redis: RedisClient;
  keys: Keys;
  rate: SendRate;
}

export class SendRateLimiter {
  private readonly redis: RedisClient;
  private readonly key: string;
  private rate: SendRate;

  constructor(opts: SendRateLimiterOptions) {
    this.redis = opts.redis;
    this.key = opts.keys.sendRate;
    this.rate = opts.rate;
  }

  /** The rate in force. */
  get current(): SendRate {
    return { ...this.rate };
  }

  /** Follows a new rate (the stored limits changed); the next ask uses it. */
  setRate(rate: SendRate): void {
    this.rate = { ...rate };
  }

  get unlimited(): boolean {
    return this.rate.perSecond <= 0 && this.rate.perHour <= 0;
  }

  /**
   * The most sends one ask should take at once: a hundredth of a second's worth (at least one;
   * no limit without a per-second rate). A sender holds its granted sends until its messages go,
   * so asking for more would let sends bunch beyond the burst after a stall.
   */
  get maxPerAsk(): number {
    return this.rate.perSecond > 0 ? Math.max(1, Math.floor(this.rate.perSecond / 100)) : Number.POSITIVE_INFINITY;
  }

  /** The script's arguments for the rate in force: interval and burst in µs, the hourly cap. */
  private budget(): [number, number, number] {
    const interval = this.rate.perSecond > 0 ? Math.floor(1_000_000 / this.rate.perSecond) : 0;
    // A tenth of a second's worth of burst keeps workers busy without breaking the average.
    const burst = interval * Math.max(1, Math.floor(this.rate.perSecond / 10));
    return [interval, burst, this.rate.perHour];
  }

  /** Asks once: 0 means go (the send is counted), otherwise the ms to wait before asking again. */
  async tryAcquire(): Promise<number> {
    if (this.unlimited) return 0;
    return Number(await ACQUIRE.run(this.redis, [this.key], this.budget()));
  }

  /**
   * Asks once for up to `n` sends: how many may go now (each counted), or 0 and the ms to wait.
   * Grants what `n` single asks in a row would: never more than the burst and the hourly cap allow.
   */
  async tryAcquireUpTo(n: number): Promise<{ granted: number; waitMs: number }> {
    if (this.unlimited) return { granted: n, waitMs: 0 };
    const [granted, waitMs] = (await ACQUIRE_MANY.run(this.redis, [this.key], [...this.budget(), Math.max(1, n)])) as [number, number];
    return { granted: Number(granted), waitMs: Number(waitMs) };
  }

  /** Waits until at least one send may go; resolves with how many (1 … `n`) are granted. */
  async acquireUpTo(n: number, opts: { signal?: AbortSignal } = {}): Promise<number> {
    for (;;) {
      const { granted, waitMs } = await this.tryAcquireUpTo(n);
      if (granted > 0) return granted;
      await sleep(waitMs, undefined, { signal: opts.signal });
    }
  }

  /** Waits until a send may go. `signal` aborts the wait (a worker shutting down). */
  async acquire(opts: { signal?: AbortSignal } = {}): Promise<void> {
    for (;;) {
      const wait = await this.tryAcquire();
      if (wait === 0) return;
      await sleep(wait, undefined, { signal: opts.signal });
    }
  }
}

/**
 * Failed dashboard sign-ins counted per account (the admin password, or one API token id), across
 * every address and every serve process: a password guessed from many addresses stops here, where
 * a per-address limit alone would not. A success does not reset the count, so an attacker who
 * also knows one right answer gains nothing.
 */
import type { Keys, RedisClient } from './redis.ts';

export interface SignInThrottleOptions {
  redis: RedisClient;
  keys: Keys;
  /** Failures an account may have in one window. Default 20. */
  maxFailures?: number;
  /** The window, ms, counted from the first failure. Default 15 minutes. */
  windowMs?: number;
}

export interface SignInThrottle {
  /** Milliseconds until `account` may try again, or 0 when it may now. */
  blockedFor(account: string): Promise<number>;
  /** Counts a failure for `account`. */
  failed(account: string): Promise<void>;
}

export function createSignInThrottle(options: SignInThrottleOptions): SignInThrottle {
  const { redis, keys } = options;
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 15 * 60_000;
  return {
    async blockedFor(account) {
      const key = keys.signInFailures(account);
      const [failures, ttl] = await Promise.all([redis.get(key), redis.pttl(key)]);
      return Number(failures ?? 0) >= maxFailures ? Math.max(ttl, 1) : 0;
    },
    async failed(account) {
      const key = keys.signInFailures(account);
      // The window starts at the first failure (NX) and is not stretched by later ones (INCR keeps the TTL).
      await redis.multi().set(key, '0', 'PX', windowMs, 'NX').incr(key).exec();
    },
  };
}

/**
 * A lock in one Redis key holding a random token, taken with SET NX PX and given up only by the
 * caller whose token it still holds: one that ran out and was taken by someone else stays theirs.
 * Scripts that must only run under the lock compare the key with `token` themselves.
 */
import { LuaScript, type RedisClient } from './redis.ts';

/** A lock one caller holds. */
export interface TokenLock {
  key: string;
  token: string;
  /** Gives it up if it is still this caller's. */
  release(): Promise<void>;
  /** Holds it `ms` more if it is still this caller's. @returns false when it ran out (and may be another's). */
  renew(ms: number): Promise<boolean>;
}

// KEYS: the lock. ARGV: token.
const RELEASE = new LuaScript('token-lock-release', `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 0`);
// KEYS: the lock. ARGV: token, ms.
const RENEW = new LuaScript('token-lock-renew', `if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end return 0`);

/** Takes `key` for `ttlMs`. @returns the lock, or null when someone else holds it. */
export async function takeLock(redis: RedisClient, key: string, ttlMs: number): Promise<TokenLock | null> {
  const token = `${process.pid}.${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
  return {
    key,
    token,
    release: async () => {
      await RELEASE.run(redis, [key], [token]);
    },
    renew: async (ms) => (await RENEW.run(redis, [key], [token, ms])) === 1,
  };
}

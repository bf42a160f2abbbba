/**
 * A cap on the sign-ups one list takes per clock hour from everyone together
 * (SUBSCRIBE_LIST_RATE_PER_HOUR). The per-client limit stops one address (or one IPv6 /64); this
 * stops many, so a botnet cannot pour unconfirmed sign-ups into a list faster than the cap, and
 * with their expiry (UNCONFIRMED_EXPIRY_DAYS) the Redis they can take is bounded.
 */
import type { Keys, RedisClient } from './redis.ts';

const HOUR_MS = 60 * 60 * 1000;

export interface SignUpCapOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export interface SignUpCap {
  /** Counts one sign-up for the list; false when the list already took `perHour` this hour (0: no cap). */
  take(listId: string, perHour: number): Promise<boolean>;
}

export function createSignUpCap(options: SignUpCapOptions): SignUpCap {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  return {
    async take(listId, perHour) {
      if (perHour <= 0) return true;
      const hour = Math.floor(now() / HOUR_MS);
      const key = keys.signUpsInHour(listId, hour);
      const [[, count] = []] = (await redis.multi().incr(key).pexpire(key, 2 * HOUR_MS).exec()) ?? [];
      return Number(count) <= perHour;
    },
  };
}

/** Every key under a test's prefix with its whole value, as text: for tests that check what was written. */
import type { RedisClient } from '../../src/store/redis.ts';
import { keysWithPrefix } from './redis.ts';

/** key → value rendered as text (hash fields and values, list and set members, zset members and scores). */
export async function dumpKeys(redis: RedisClient, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of (await keysWithPrefix(redis, prefix)).sort()) {
    const type = await redis.type(key);
    let value: unknown;
    if (type === 'string') value = await redis.getBuffer(key).then((b) => b?.toString('latin1'));
    else if (type === 'hash') value = await redis.hgetall(key);
    else if (type === 'list') value = await redis.lrange(key, 0, -1);
    else if (type === 'set') value = (await redis.smembers(key)).sort();
    else if (type === 'zset') value = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'stream') value = await redis.xrange(key, '-', '+');
    out.set(key, `${type}:${JSON.stringify(value)}`);
  }
  return out;
}

/** Keys that are new or whose value changed from `before` to `after`. */
export function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
}

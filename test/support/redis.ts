/**
 * Real Redis for tests: each test gets its own random key prefix (so files and workers can share
 * one server) and every key under it is deleted afterwards. Never FLUSHDB: other runs share the DB.
 *
 *   const t = useTestRedis();            // inside a describe: hooks per test
 *   it('…', async () => { t().stores.lists.create(…) })
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { connectRedis, createKeys, createRedis, type Keys } from '../../src/store/redis.ts';
import { createStores, type Stores } from '../../src/store/stores.ts';

export interface TestRedis {
  redis: Redis;
  /** Random, e.g. `t-3f9a1c0b2d`; keys are `{t-3f9a1c0b2d}:…`. */
  prefix: string;
  keys: Keys;
  stores: Stores;
  /** REDIS_URL for child processes (the CLI), as the tests were given it. */
  url: string;
  /** Environment for a spawned `newsdesk`: the URL and this test's prefix. */
  env: Record<string, string>;
  /** Deletes every key under the prefix and disconnects. Safe to call twice. */
  cleanup(): Promise<void>;
}

/** Deletes every key matching `{prefix}:*` with SCAN + UNLINK; returns how many. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${createKeys(prefix).pattern}`, 'COUNT', 1000);
    cursor = next;
    if (found.length) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}

/** Opens a connection with a fresh random prefix. */
export async function openTestRedis(options: { now?: () => number } = {}): Promise<TestRedis> {
  const config = loadConfig();
  const prefix = `t-${randomBytes(5).toString('hex')}`;
  const redis = await connectRedis(createRedis({ ...config.redis, prefix }), config.redis.url);
  let closed = false;
  return {
    redis,
    prefix,
    keys: createKeys(prefix),
    stores: createStores({ redis, prefix, ...(options.now ? { now: options.now } : {}) }),
    url: config.redis.url,
    env: { REDIS_URL: config.redis.url, NEWSDESK_PREFIX: prefix },
    async cleanup() {
      if (closed) return;
      closed = true;
      try {
        await deleteKeysWithPrefix(redis, prefix);
      } finally {
        redis.disconnect();
      }
    },
  };
}

/** Registers beforeEach/afterEach hooks: a fresh prefix per test, cleaned after it. */
export function useTestRedis(options: { now?: () => number } = {}): () => TestRedis {
  let current: TestRedis | undefined;
  beforeEach(async () => {
    current = await openTestRedis(options);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => {
    if (!current) throw new Error('useTestRedis: only available inside a test');
    return current;
  };
}

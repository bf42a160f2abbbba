/**
 * Real Redis for tests: each test gets its own random key prefix (so files and workers can share
 * one server) and every key under it is deleted afterwards. Never FLUSHDB: other runs share the DB.
 *
 *   const t = useTestRedis();            // inside a describe: hooks per test
 *   it('…', async () => { t().stores.lists.create(…) })
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterEach, beforeEach } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { connectRedis, createKeys, createRedis, describeRedis, type Keys, type RedisClient } from '../../src/store/redis.ts';
import { createStores, type Stores } from '../../src/store/stores.ts';

export interface TestRedis {
  redis: RedisClient;
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

/** Every key matching `{prefix}:*` (SCAN; on a cluster, on every master). */
export async function keysWithPrefix(redis: RedisClient, prefix: string): Promise<string[]> {
  const out: string[] = [];
  // SCAN walks one server; a cluster's keys are spread over its masters (ours all sit on one).
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', createKeys(prefix).pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...found);
    } while (cursor !== '0');
  }
  return out;
}

/** Deletes every key matching `{prefix}:*`; returns how many. */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const found = await keysWithPrefix(redis, prefix);
  let deleted = 0;
  // All share one hash tag, so each UNLINK of many keys stays in one cluster slot.
  for (let i = 0; i < found.length; i += 1000) deleted += await redis.unlink(...found.slice(i, i + 1000));
  return deleted;
}

/** Opens a connection with a fresh random prefix. */
export async function openTestRedis(options: { now?: () => number; redisEnv?: Record<string, string> } = {}): Promise<TestRedis> {
  // `redisEnv` points a test at its own server or cluster (REDIS_URL, REDIS_CLUSTER_NODES).
  const config = options.redisEnv ? loadConfig({ REDIS_URL: process.env.REDIS_URL, ...options.redisEnv }) : loadConfig();
  const prefix = `t-${randomBytes(5).toString('hex')}`;
  const client = createRedis({ ...config.redis, prefix });
  // Fault tests restart Redis under this connection; ioredis reconnects, and says so only here.
  client.on('error', () => {});
  const redis = await connectRedis(client, describeRedis(config.redis));
  let closed = false;
  return {
    redis,
    prefix,
    keys: createKeys(prefix),
    stores: createStores({ redis, prefix, ...(options.now ? { now: options.now } : {}) }),
    url: config.redis.url,
    env: { REDIS_URL: config.redis.url, ...options.redisEnv, NEWSDESK_PREFIX: prefix },
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

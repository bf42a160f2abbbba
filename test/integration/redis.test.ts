import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { LuaScript, RedisUnavailableError, connectRedis, createRedis } from '../../src/store/redis.ts';
import { startRedisServer } from '../support/redis-server.ts';
import { deleteKeysWithPrefix } from '../support/redis.ts';

/** The test Redis URL with another database index than the one the tests use. */
function otherDbUrl(): { url: string; db: number; baseDb: number } {
  const base = loadConfig().redis;
  const db = base.db === 5 ? 6 : 5;
  const u = new URL(base.url);
  u.pathname = `/${db}`;
  return { url: u.toString(), db, baseDb: base.db };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('Redis connection', () => {
  it("honours the URL's database index", async () => {
    const { url, db, baseDb } = otherDbUrl();
    const config = loadConfig({ REDIS_URL: url, NEWSDESK_PREFIX: `t-db-${process.pid}` });
    expect(config.redis.db).toBe(db);
    const redis = await connectRedis(createRedis(config.redis), url);
    const inDb = new Redis(url);
    const u = new URL(url);
    u.pathname = `/${baseDb}`;
    const inBase = new Redis(u.toString());
    const key = `{${config.redis.prefix}}:probe`;
    try {
      await redis.set(key, 'here');
      expect(await inDb.get(key)).toBe('here');
      expect(await inBase.exists(key)).toBe(0);
    } finally {
      await deleteKeysWithPrefix(inDb, config.redis.prefix);
      redis.disconnect();
      inDb.disconnect();
      inBase.disconnect();
    }
  });

  it('says in one sentence that Redis is not answering, without the password', async () => {
    const url = `redis://user:s3cret@127.0.0.1:${await closedPort()}/2`;
    const redis = createRedis({ url, db: 2, prefix: 'x' }, { retryStrategy: () => null });
    const error = await connectRedis(redis, url).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^Redis is not answering at redis:\/\/user:\*\*\*@127\.0\.0\.1:\d+\/2 \(connect ECONNREFUSED [^)]+\); is it running/);
    expect(message).not.toContain('s3cret');
    expect(message).not.toContain('\n');
  });

  it('runs scripts again after Redis forgot them (a restart empties the script cache), one by one and pipelined', async () => {
    // A private server: SCRIPT FLUSH on the shared one would disturb other runs.
    const server = await startRedisServer();
    const redis = new Redis(server.url, { lazyConnect: true });
    try {
      await redis.connect();
      const incr = new LuaScript('t-incr', "return redis.call('INCRBY', KEYS[1], ARGV[1])");
      expect(await incr.run(redis, ['{t}:n'], [1])).toBe(1);
      await redis.script('FLUSH');
      expect(await redis.script('EXISTS', incr.sha)).toEqual([0]);
      expect(await incr.run(redis, ['{t}:n'], [1])).toBe(2);
      await redis.script('FLUSH');
      expect(await incr.runMany(redis, [{ keys: ['{t}:n'], args: [10] }, { keys: ['{t}:n'], args: [100] }])).toEqual([12, 112]);
      // The source went with the retry, so Redis has the script cached again.
      expect(await redis.script('EXISTS', incr.sha)).toEqual([1]);
    } finally {
      redis.disconnect();
      await server.stop();
    }
  });
});

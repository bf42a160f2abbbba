/**
 * Vitest global setup: before any test file runs, check that the Redis the tests use (REDIS_URL,
 * default redis://127.0.0.1:6379, or REDIS_CLUSTER_NODES) answers. If it does not, the run stops
 * with one line saying so and how to start one, instead of every file failing on its own.
 */
import { loadConfig } from '../../src/config.ts';
import { connectRedis, createRedis, describeRedis } from '../../src/store/redis.ts';

export default async function checkRedis(): Promise<void> {
  const config = loadConfig();
  const where = describeRedis(config.redis);
  const client = createRedis(config.redis, { retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  try {
    await connectRedis(client, where);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    process.stderr.write(
      `\n${why} The tests need Redis 7+: start one with \`redis-server --daemonize yes\` (Debian: apt-get install redis-server).\n\n`,
    );
    process.exit(1);
  }
  client.disconnect();
}

/** Small helpers shared by the store tests (the mail tests' fixtures are in fixtures.ts). */
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import type { RedisClient } from '../../src/store/redis.ts';
import { keysWithPrefix } from './redis.ts';

/** A validated input row, as the import hands them to the store. */
export function row(email: string, name?: string, attributes: Record<string, string> = {}): SubscriberInput {
  return SubscriberInput.parse({ email, ...(name ? { name } : {}), attributes });
}

/**
 * Every key under the prefix with its DUMP (type, encoding and content): two snapshots are equal
 * only if nothing at all was written in between.
 */
export async function snapshot(redis: RedisClient, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const key of (await keysWithPrefix(redis, prefix)).sort()) out.set(key, (await redis.dumpBuffer(key))?.toString('base64') ?? '');
  return out;
}

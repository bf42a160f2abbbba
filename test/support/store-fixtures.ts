/** Small helpers shared by the store tests (the mail tests' fixtures are in fixtures.ts). */
import type { Redis } from 'ioredis';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { createKeys } from '../../src/store/redis.ts';

/** A validated input row, as the import hands them to the store. */
export function row(email: string, name?: string, attributes: Record<string, string> = {}): SubscriberInput {
  return SubscriberInput.parse({ email, ...(name ? { name } : {}), attributes });
}

/**
 * Every key under the prefix with its DUMP (type, encoding and content): two snapshots are equal
 * only if nothing at all was written in between.
 */
export async function snapshot(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', createKeys(prefix).pattern, 'COUNT', 1000);
    cursor = next;
    for (const key of found) out.set(key, (await redis.dumpBuffer(key))?.toString('base64') ?? '');
  } while (cursor !== '0');
  return out;
}

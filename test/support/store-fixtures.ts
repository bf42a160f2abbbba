/** Small helpers shared by the store tests (the mail tests' fixtures are in fixtures.ts). */
import type { Campaign } from '../../src/domain/campaign.schema.ts';
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

/** A campaign of the example edition to list `daily`, nothing sent yet; `over` changes any field. */
export function campaignFixture(id: string, over: Partial<Campaign> = {}): Campaign {
  return {
    id,
    status: 'sending',
    newsletterId: 'daily',
    editionDate: '2025-02-13',
    subject: 'Hello',
    lists: ['daily'],
    createdAt: '2025-02-13T05:00:00.000Z',
    scheduledAt: '2025-02-13T06:00:00.000Z',
    cursor: 0,
    fanoutDone: false,
    counts: { total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 },
    ...over,
  };
}

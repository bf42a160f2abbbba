/**
 * Redis bytes a bench's keys take: `MEMORY USAGE … SAMPLES 0` (every element counted) summed over
 * the keys a SCAN pattern finds, on every master of a cluster. And the wait for a finished
 * campaign's ledger to be made compact, before its bytes are counted.
 */
import { Cluster } from 'ioredis';
import type { Keys, RedisClient } from '../../src/store/redis.ts';

/** Sum of MEMORY USAGE over the keys matching any of `patterns`. */
export async function keyMemory(redis: RedisClient, patterns: string[]): Promise<{ bytes: number; keys: number }> {
  let bytes = 0;
  let keys = 0;
  for (const node of redis instanceof Cluster ? redis.nodes('master') : [redis]) {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        const pipeline = node.pipeline();
        for (const k of found) pipeline.memory('USAGE', k, 'SAMPLES', 0);
        for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) bytes += Number(n);
        keys += found.length;
      } while (cursor !== '0');
    }
  }
  return { bytes, keys };
}

/** What a subscriber costs: records, the email index, the sequence, and list membership. */
export const subscriberKeyPatterns = (keys: Keys) => [`${keys.subscriberBucketPrefix}*`, `${keys.tag}:email:*`, keys.subscriberSeq, `${keys.listPrefix}*`];

/** Everything a campaign keeps: its hash, content, deliveries or their compact form, counters. */
export const campaignKeyPatterns = (keys: Keys, campaignId: string) => [keys.campaign(campaignId), `${keys.campaign(campaignId)}:*`];

/**
 * Waits until a finished campaign's delivery ledger is compact: the campaign hash says
 * `ledger = compact`, or the in-flight hash `campaign:<id>:d` is gone (docs/scale.md). Gives up
 * after `timeoutMs` (a build without compaction never gets there) and says which it was.
 */
export async function waitForLedgerCompaction(redis: RedisClient, keys: Keys, campaignId: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [marker, inFlight] = await Promise.all([redis.hget(keys.campaign(campaignId), 'ledger'), redis.exists(keys.campaignDeliveries(campaignId))]);
    if (marker === 'compact' || inFlight === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

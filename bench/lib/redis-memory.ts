/**
 * Redis bytes a bench's keys take: `MEMORY USAGE … SAMPLES 0` (every element counted) summed over
 * the keys a SCAN pattern finds, on every master of a cluster. And the compaction of a finished
 * campaign's ledger, before its bytes are counted.
 */
import type { DeliveryLedger } from '../../src/store/delivery-ledger.ts';
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
 * Compacts a finished campaign's delivery ledger with the call its `compact-ledger` job makes
 * (docs/architecture.md, the ledger): the bench's workers have stopped by then, so nobody else
 * would run that delayed job. Retries while the ledger is busy (a claim's lease still running);
 * gives up after `timeoutMs`. Returns whether it is compact, and how long the compaction took.
 */
export async function compactLedger(ledger: DeliveryLedger, campaignId: string, timeoutMs: number): Promise<{ compacted: boolean; seconds: number }> {
  const deadline = Date.now() + timeoutMs;
  const t0 = performance.now();
  for (;;) {
    const r = await ledger.compact(campaignId);
    if (r.state === 'compacted' || r.state === 'already') return { compacted: true, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
    if (r.state !== 'busy' || Date.now() > deadline) return { compacted: false, seconds: Number(((performance.now() - t0) / 1000).toFixed(1)) };
    await new Promise((done) => setTimeout(done, 1000));
  }
}

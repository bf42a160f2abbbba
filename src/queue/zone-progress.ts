/**
 * Per-zone progress of a campaign sent at readers' local time (README.md, "The daily schedule"):
 * each send-batch job of a zone bucket carries its `zone` (zone-buckets.ts); while the batch
 * runs, the sends it settles while still holding its job lock are counted, and when it ends
 * (done, retried, parked or failed) one step adds them to the campaign's zone → sent hash. The
 * send path itself is not changed: the count wraps the chunk settler it is given.
 * A worker killed between a send and the end of its batch leaves those sends out of its zone's
 * count (the campaign's own counts stay exact).
 */
import type { Campaign } from '../domain/campaign.schema.ts';
import type { SendBatchDeps } from './send-batch.job.ts';
import { bucketState, type ZoneBucket } from './zone-buckets.ts';

/** A bucket as status shows it: zone, readers, time (UTC), sent so far and `waiting`/`due` (or the campaign's end). */
export interface ZoneProgress extends ZoneBucket {
  sent: number;
  state: string;
}

/**
 * Wraps the chunk settler a batch records through, counting the sends it hands in; `flush` gives
 * the count to `add` once, after the batch's sends.
 */
export function countZoneSends(
  chunks: SendBatchDeps['chunks'],
  add: (campaignId: string, zone: string, n: number) => Promise<void>,
): { chunks: SendBatchDeps['chunks']; flush(campaignId: string, zone: string): Promise<void> } {
  let sent = 0;
  return {
    chunks: {
      claim: (req) => chunks.claim(req),
      async settle(campaignId, items, holder) {
        const r = await chunks.settle(campaignId, items, holder);
        // A settle made while the run still held its lock recorded every send it carried.
        if (r.lockHeld) sent += items.filter((i) => i.outcome.state === 'sent').length;
        return r;
      },
    },
    async flush(campaignId, zone) {
      const n = sent;
      sent = 0;
      await add(campaignId, zone, n);
    },
  };
}

/** The buckets with their state at `now`, for `campaign status`, the API and the dashboard. */
export function zoneProgress(buckets: ReadonlyArray<ZoneBucket & { sent: number }>, status: Campaign['status'], now: Date): ZoneProgress[] {
  return buckets.map((b) => ({ zone: b.zone, at: b.at, readers: b.readers, sent: b.sent, state: bucketState(b, status, now) }));
}

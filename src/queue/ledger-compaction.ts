/**
 * When a campaign's delivery ledger is compacted (docs/architecture.md, "The delivery ledger
 * after a campaign ends"): a `compact-ledger` job on the campaign queue, added by whoever sees
 * the campaign end — the batch that recorded its last delivery, a fan-out that completed it, a
 * cancel, the final failure of its start job — and, for ends nobody saw (a crash in between,
 * campaigns from before compaction existed), by a sweep when workers start.
 *
 * The job waits `delayMs` first: clicks in the scanner window after a send still read the
 * in-flight record's time. A run that finds a claim whose lease is still running (a cancelled
 * campaign's last sends) is retried later.
 */
import type { Job, Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { CampaignStore } from '../store/campaign.store.ts';
import { COMPACT_LEDGER_JOB, StartCampaignJob } from './queues.ts';

export { COMPACT_LEDGER_JOB };

/** Adds the compaction job of a campaign that ended. */
export interface LedgerScheduler {
  schedule(campaignId: string): Promise<void>;
}

/** Job id of a campaign's compaction: one at a time per campaign. */
export function compactLedgerJobId(campaignId: string): string {
  return `${campaignId}-ledger`;
}

/** Schedules compaction on the campaign queue, `delayMs` after the end. */
export function queueLedgerCompaction(queue: Pick<Queue, 'add'>, delayMs: number): LedgerScheduler {
  return {
    async schedule(campaignId) {
      await queue.add(
        COMPACT_LEDGER_JOB,
        { campaignId },
        {
          jobId: compactLedgerJobId(campaignId),
          delay: delayMs,
          // A busy ledger (a live claim, another run) is tried again every half minute for an hour.
          attempts: 120,
          backoff: { type: 'fixed', delay: 30_000 },
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600 },
        },
      );
    },
  };
}

/** Runs one compaction job. Throws (so BullMQ retries) while the ledger is busy. */
export async function runLedgerCompaction(job: Job, campaigns: CampaignStore, logger: Logger): Promise<unknown> {
  const { campaignId } = StartCampaignJob.parse(job.data);
  const r = await campaigns.ledger.compact(campaignId);
  if (r.state === 'busy') throw new Error(`ledger of ${campaignId} not compacted yet: ${r.why}`);
  if (r.state === 'compacted') logger.info({ campaignId, ...r }, 'delivery ledger compacted');
  return r;
}

/** Schedules compaction for every ended campaign whose ledger is not compact yet. Returns how many. */
export async function scheduleUncompacted(campaigns: CampaignStore, scheduler: LedgerScheduler): Promise<number> {
  const ended = (await campaigns.all()).filter((c) => c.status === 'sent' || c.status === 'cancelled' || c.status === 'failed');
  let n = 0;
  for (const c of ended) {
    if (await campaigns.ledger.isCompact(c.id)) continue;
    await scheduler.schedule(c.id);
    n++;
  }
  return n;
}

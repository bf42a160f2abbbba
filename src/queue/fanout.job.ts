/**
 * The `start` job: turns a scheduled campaign into send-batch jobs.
 *
 * It snapshots the highest subscriber id, then walks the campaign's lists by id with a cursor.
 * For each page it (1) registers the recipients as queued deliveries, (2) adds their send-batch
 * jobs with deterministic ids, (3) saves the cursor. A crash between any two steps repeats only
 * idempotent work: registering twice adds nothing, re-adding a job id BullMQ already has is a
 * no-op, and the delivery claim stops a recipient being sent twice even if a page shifted.
 */
import type { Logger } from 'pino';
import type { CampaignStore } from '../store/campaign.store.ts';
import { type MemberSource, mergePages } from './recipients.ts';
import { type SendBatchJob, sendBatchJobId } from './queues.ts';
import { type ReaderZones, zoneBatches } from './zone-buckets.ts';

/** Adds send-batch jobs; BullMQ's `Queue.addBulk` in production. */
export interface BatchSink {
  /** `delay` (ms): a local-time campaign's bucket waits for its time (zone-buckets.ts). */
  addBatches(batches: Array<{ jobId: string; data: SendBatchJob; delay?: number }>): Promise<void>;
}

export interface FanoutDeps {
  campaigns: CampaignStore;
  members: MemberSource;
  sink: BatchSink;
  logger: Logger;
  /** Recipients per send-batch job. */
  batchSize: number;
  /** Batches added per page (one `addBulk`, one cursor save). Default 10. */
  batchesPerPage?: number;
  /** Readers' zones, for campaigns sent at local time. Without it they go out as one. */
  zones?: ReaderZones | undefined;
}

export type FanoutResult =
  | { kind: 'done'; recipients: number; finished: boolean }
  | { kind: 'stopped'; status: string };

/** Runs (or resumes) a campaign's fan-out. Safe to run again after a crash at any point. */
export async function runFanout(campaignId: string, deps: FanoutDeps, now = () => new Date()): Promise<FanoutResult> {
  const { campaigns, members, sink, logger } = deps;
  let campaign = await campaigns.get(campaignId);

  // Only a scheduled campaign starts: a draft never sends until `campaign start` schedules it.
  if (campaign.status === 'scheduled') {
    const snapshotMaxId = await members.maxSubscriberId();
    const started = await campaigns.transition(campaignId, ['scheduled'], 'sending', {
      startedAt: now().toISOString(),
      snapshotMaxId,
    });
    if (!started.moved && started.previous !== 'sending' && started.previous !== 'paused') {
      return { kind: 'stopped', status: started.previous };
    }
    campaign = await campaigns.get(campaignId);
    logger.info({ campaignId, snapshotMaxId, lists: campaign.lists }, 'campaign started');
  }
  if (campaign.status !== 'sending' && campaign.status !== 'paused') return { kind: 'stopped', status: campaign.status };
  if (campaign.fanoutDone) return { kind: 'done', recipients: campaign.counts.total, finished: false };

  const upTo = campaign.snapshotMaxId ?? 0;
  const pageSize = deps.batchSize * (deps.batchesPerPage ?? 10);
  let cursor = campaign.cursor;
  for (;;) {
    const pages = await Promise.all(campaign.lists.map((l) => members.pageMembers(l, { after: cursor, upTo, limit: pageSize })));
    const ids = mergePages(pages, pageSize);
    if (ids.length === 0) break;

    await campaigns.registerDeliveries(campaignId, ids);
    const batches: Array<{ jobId: string; data: SendBatchJob; delay?: number }> = [];
    const localSend = campaign.localSend;
    if (localSend && deps.zones) {
      const split = zoneBatches({ id: campaignId, editionDate: campaign.editionDate, localSend }, ids, await deps.zones.zonesOf(ids), deps.batchSize, now());
      await deps.zones.recordPage(campaignId, cursor, split.buckets);
      batches.push(...split.batches);
    } else {
      for (let i = 0; i < ids.length; i += deps.batchSize) {
        const subscriberIds = ids.slice(i, i + deps.batchSize);
        batches.push({ jobId: sendBatchJobId(campaignId, subscriberIds), data: { campaignId, subscriberIds } });
      }
    }
    await sink.addBatches(batches);
    cursor = ids[ids.length - 1] as number;
    await campaigns.setFields(campaignId, { cursor });

    // A cancel stops the walk; a pause does not (the batches wait, parked, for the resume).
    const status = await campaigns.status(campaignId);
    if (status !== 'sending' && status !== 'paused') return { kind: 'stopped', status };
  }

  const reason = `no recipients: ${campaign.lists.length === 1 ? 'list' : 'lists'} ${campaign.lists.join(', ')} had no active members when it started`;
  const end = await campaigns.finishFanout(campaignId, now(), reason);
  if (end === 'no-recipients') {
    logger.error({ campaignId, lists: campaign.lists }, `campaign failed: ${reason}`);
    return { kind: 'done', recipients: 0, finished: false };
  }
  const total = (await campaigns.get(campaignId)).counts.total;
  logger.info({ campaignId, recipients: total }, 'fan-out complete');
  return { kind: 'done', recipients: total, finished: end === 'sent' };
}

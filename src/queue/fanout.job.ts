/**
 * The `start` job: turns a scheduled campaign into send-batch jobs.
 *
 * It snapshots the highest subscriber id, then walks the campaign's lists by id with a cursor.
 * For each page it (1) registers the recipients as queued deliveries, (2) adds their send-batch
 * jobs with deterministic ids, (3) saves the cursor. A crash between any two steps repeats only
 * idempotent work: registering twice adds nothing, re-adding a job id BullMQ already has is a
 * no-op, and the delivery claim stops a recipient being sent twice even if a page shifted.
 *
 * Speed (docs/architecture.md, "The send path"): the first page is a single batch, so sending
 * starts at once; pages then grow to `batchesPerPage` batches. The next page is read and
 * registered while this page's jobs are added (registering ahead of the cursor is safe: the
 * cursor moves only once a page's jobs are queued, so a crash re-registers, adding nothing, and
 * queues them), and the cursor is saved in the same round trip as the cancel check.
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
  /** Most batches added per page (one `addBulk`, one cursor save). Default 50; the first page is one batch. */
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
  const lists = campaign.lists;
  const pageSizes = pageSizesOf(deps.batchSize, deps.batchesPerPage ?? 50);
  /** Reads the page after `after` and registers it: the part of a page that may run ahead. */
  const prepare = async (after: number, limit: number): Promise<number[]> => {
    const pages = await Promise.all(lists.map((l) => members.pageMembers(l, { after, upTo, limit })));
    const ids = mergePages(pages, limit);
    if (ids.length) await campaigns.registerDeliveries(campaignId, ids);
    return ids;
  };
  /** A page's batches: as one, or in zone buckets for a campaign sent at readers' local time. */
  const pageBatches = async (ids: number[], pageCursor: number): Promise<Array<{ jobId: string; data: SendBatchJob; delay?: number }>> => {
    const localSend = campaign.localSend;
    if (!localSend || !deps.zones) return batchesOf(campaignId, ids, deps.batchSize);
    const split = zoneBatches({ id: campaignId, editionDate: campaign.editionDate, localSend }, ids, await deps.zones.zonesOf(ids), deps.batchSize, now());
    await deps.zones.recordPage(campaignId, pageCursor, split.buckets);
    return split.batches;
  };
  let after = campaign.cursor;
  let ahead = prepare(after, pageSizes.next().value);
  for (;;) {
    const ids = await ahead;
    if (ids.length === 0) break;
    const cursor = ids[ids.length - 1] as number;
    ahead = prepare(cursor, pageSizes.next().value);
    // A failure in the page read ahead surfaces when it is awaited (or is dropped with the walk).
    ahead.catch(() => undefined);
    await sink.addBatches(await pageBatches(ids, after));
    // A cancel stops the walk; a pause does not (the batches wait, parked, for the resume).
    const [, status] = await Promise.all([campaigns.setFields(campaignId, { cursor }), campaigns.status(campaignId)]);
    if (status !== 'sending' && status !== 'paused') {
      await ahead.catch(() => undefined);
      return { kind: 'stopped', status };
    }
    after = cursor;
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

/** Page sizes in recipients: one batch first (sending starts at once), then ten, then `batchesPerPage`. */
function* pageSizesOf(batchSize: number, batchesPerPage: number): Generator<number, never> {
  yield batchSize;
  yield batchSize * Math.min(10, batchesPerPage);
  for (;;) yield batchSize * batchesPerPage;
}

/** A page's recipients as send-batch jobs of `batchSize`, each with its deterministic id. */
export function batchesOf(campaignId: string, ids: readonly number[], batchSize: number): Array<{ jobId: string; data: SendBatchJob }> {
  const batches: Array<{ jobId: string; data: SendBatchJob }> = [];
  for (let i = 0; i < ids.length; i += batchSize) {
    const subscriberIds = ids.slice(i, i + batchSize);
    batches.push({ jobId: sendBatchJobId(campaignId, subscriberIds), data: { campaignId, subscriberIds } });
  }
  return batches;
}

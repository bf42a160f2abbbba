/**
 * Queue names and job payloads. Every job name has exactly one handler (checked when workers
 * start); payloads carry ids, never documents, and are parsed when a worker takes them.
 */
import { z } from 'zod';
import { CampaignId } from '../domain/campaign.schema.ts';

/** The campaign queue: one `start` job per campaign (its job id is the campaign id). */
export const CAMPAIGN_QUEUE = 'campaign';
/** The send queue: `send-batch` jobs, each a few dozen recipients of one campaign. */
export const SEND_QUEUE = 'send';

export const StartCampaignJob = z.strictObject({ campaignId: CampaignId });
export type StartCampaignJob = z.infer<typeof StartCampaignJob>;

/** On the campaign queue: compact an ended campaign's delivery ledger (same payload as `start`). */
export const COMPACT_LEDGER_JOB = 'compact-ledger';

export const SendBatchJob = z.strictObject({
  campaignId: CampaignId,
  /** Subscriber ids, ascending. */
  subscriberIds: z.array(z.number().int().positive()).min(1),
  /** The zone bucket of a batch sent at readers' local time (zone-buckets.ts), for its sent count. */
  zone: z.string().min(1).max(100).optional(),
});
export type SendBatchJob = z.infer<typeof SendBatchJob>;

/** Deterministic id of a send-batch job: the same recipients always make the same job. */
export function sendBatchJobId(campaignId: string, subscriberIds: readonly number[]): string {
  return `${campaignId}-b${subscriberIds[0]}-${subscriberIds[subscriberIds.length - 1]}-${subscriberIds.length}`;
}

/** The schedule queue: `slot` jobs fired by each newsletter's job scheduler (schedule.service.ts). */
export const SCHEDULE_QUEUE = 'schedule';

export const ScheduleSlotJob = z.strictObject({ newsletter: z.string().min(1) });
export type ScheduleSlotJob = z.infer<typeof ScheduleSlotJob>;

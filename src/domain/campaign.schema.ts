import { z } from 'zod';

/**
 * A campaign's life: `draft → scheduled → sending → (paused ⇄ sending) → sent | cancelled | failed`.
 */
export const CampaignStatus = z.enum(['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed']);
export type CampaignStatus = z.infer<typeof CampaignStatus>;

/** True when no further status can follow: sent, cancelled or failed. */
export function isFinal(status: CampaignStatus): boolean {
  return status === 'sent' || status === 'cancelled' || status === 'failed';
}

/**
 * Delivery counters of one campaign. `pending` is derived: total − sent − failed − skipped, and 0
 * once the campaign is cancelled (nothing is pending then; see {@link CampaignProgress.cancelled}).
 */
export const CampaignCounts = z.strictObject({
  total: z.number().int().min(0),
  sent: z.number().int().min(0),
  failed: z.number().int().min(0),
  skipped: z.number().int().min(0),
  pending: z.number().int().min(0),
});
export type CampaignCounts = z.infer<typeof CampaignCounts>;

/** A campaign id: readable, safe as a BullMQ job id (no `:`) and in URLs. */
export const CampaignId = z.string().regex(/^[a-z0-9][a-z0-9-]{2,80}$/, 'not a campaign id');

/** One edition sent to one or more lists, as stored (the compiled email is kept alongside). */
export const Campaign = z.strictObject({
  id: CampaignId,
  status: CampaignStatus,
  newsletterId: z.string(),
  editionDate: z.string(),
  /** The subject as the editor wrote it (before personalization). */
  subject: z.string(),
  lists: z.array(z.string()).min(1),
  createdAt: z.string(),
  /** When the send starts (ISO 8601). */
  scheduledAt: z.string(),
  startedAt: z.string().optional(),
  pausedAt: z.string().optional(),
  /** Why sending paused by itself (wrong SMTP settings), one sentence naming the setting; unset when an editor paused it. */
  pauseReason: z.string().optional(),
  finishedAt: z.string().optional(),
  /** Highest subscriber id when the campaign started: later sign-ups are not recipients. */
  snapshotMaxId: z.number().int().min(0).optional(),
  /** Fan-out progress: every member with an id up to here has a send-batch job. */
  cursor: z.number().int().min(0),
  fanoutDone: z.boolean(),
  counts: CampaignCounts,
  /** Why a campaign failed, when it did. */
  error: z.string().optional(),
  /** sha256 of the compiled content (subject, preheader, HTML, text): the same edition under another date or file. */
  contentHash: z.string().optional(),
  /** The stored edition it was made from (`<newsletter>-<date>`), when it was (README.md, "Stored editions"). */
  editionId: z.string().optional(),
  /** Which revision of that stored edition it froze. */
  editionRevision: z.number().int().min(1).optional(),
  /**
   * Sent at each reader's local time (a schedule's `--local-time`): `time` (HH:MM) on the
   * edition's date in the reader's `timezone` attribute, else in `zone` (src/queue/zone-buckets.ts).
   */
  localSend: z.strictObject({ time: z.string().regex(/^\d\d:\d\d$/), zone: z.string() }).optional(),
});
export type Campaign = z.infer<typeof Campaign>;

/** A delivery: one campaign × one subscriber. */
export const DeliveryState = z.enum(['queued', 'sending', 'sent', 'failed', 'skipped']);
export type DeliveryState = z.infer<typeof DeliveryState>;

/** Why a recipient was not mailed when its turn came (docs/architecture.md, invariant 3). */
export const SkipReason = z.enum([
  'unsubscribed',
  'bounced',
  'complained',
  'unconfirmed',
  'suppressed',
  'left-list',
  'deleted',
]);
export type SkipReason = z.infer<typeof SkipReason>;

/** A delivery's record, as read back for status pages and failure reports. */
export const Delivery = z.strictObject({
  subscriberId: z.number().int().positive(),
  state: DeliveryState,
  /** Epoch ms of the last change (sent, failed, skipped). */
  at: z.number().int().optional(),
  /** SMTP reply for sent and failed; the skip reason for skipped. */
  detail: z.string().optional(),
  messageId: z.string().optional(),
  /** Transient failures so far. */
  attempts: z.number().int().min(0).optional(),
});
export type Delivery = z.infer<typeof Delivery>;

/**
 * Whether any worker is alive (it beat recently), and when the last one was seen: a campaign
 * with nobody to send it has no ETA, only "no worker alive since …".
 */
export interface WorkerLiveness {
  alive: number;
  /** The most recent heartbeat of any worker; undefined when none ever beat. */
  lastSeen: Date | undefined;
}

/**
 * A sending campaign's recent pace (src/store/campaign-pace.store.ts): messages finished per
 * second over the latest sending (the latter half of it early on, weighted towards the last ten
 * seconds later), and how many seconds of sending were sampled in all (pauses left out).
 */
export interface CampaignPace {
  perSecond: number;
  seconds: number;
}

/** Seconds of sending sampled before an ETA is given from the pace. */
export const ETA_MIN_SECONDS = 3;

/** How far a campaign has got: the one computation behind status, the dashboard and /metrics. */
export interface CampaignProgress {
  campaign: Campaign;
  /** Recipients finished: sent, failed or skipped. */
  done: number;
  /** Messages finished per second since the start (0 for a cancelled campaign: it has no rate). */
  rate: number;
  /**
   * Seconds left at the recent pace (not the average since the start), once that pace rests on
   * {@link ETA_MIN_SECONDS} of sending; never while no worker is alive or the campaign is not sending.
   */
  etaSeconds: number | undefined;
  /** Share of recipients finished, 0..1 (0 until the fan-out has counted anyone; 1 for a sent campaign of none). */
  progress: number;
  /** Recipients a cancel left unsent. */
  cancelled: number;
  /**
   * Set when the campaign is due to send but no worker is alive: since when (ISO, the last
   * heartbeat), or null when no worker ever ran.
   */
  noWorkerSince: string | null | undefined;
}

/** True when a campaign is waiting on a worker right now: sending, or scheduled and already due. */
function needsWorker(campaign: Campaign, now: Date): boolean {
  return campaign.status === 'sending' || (campaign.status === 'scheduled' && Date.parse(campaign.scheduledAt) <= now.getTime());
}

/** "no worker alive since …" for people, or undefined when the progress has a worker. */
export function describeNoWorker(p: Pick<CampaignProgress, 'noWorkerSince'>): string | undefined {
  if (p.noWorkerSince === undefined) return undefined;
  return p.noWorkerSince === null ? 'no worker alive (none has run yet): start one with `newsdesk worker`' : `no worker alive since ${p.noWorkerSince}: start one with \`newsdesk worker\``;
}

export function progressOf(campaign: Campaign, now: Date = new Date(), workers?: WorkerLiveness, pace?: CampaignPace): CampaignProgress {
  const c = campaign.counts;
  const done = c.sent + c.failed + c.skipped;
  const start = campaign.startedAt ? Date.parse(campaign.startedAt) : undefined;
  const end = campaign.finishedAt ? Date.parse(campaign.finishedAt) : now.getTime();
  const seconds = start !== undefined ? Math.max(0.001, (end - start) / 1000) : 0;
  const cancelledStatus = campaign.status === 'cancelled';
  const rate = seconds > 0 && !cancelledStatus ? done / seconds : 0;
  const stranded = workers !== undefined && workers.alive === 0 && needsWorker(campaign, now);
  const paced = pace !== undefined && pace.seconds >= ETA_MIN_SECONDS && pace.perSecond > 0;
  const etaSeconds = paced && campaign.status === 'sending' && !stranded ? c.pending / pace.perSecond : undefined;
  return {
    campaign,
    done,
    rate,
    etaSeconds,
    progress: c.total > 0 ? done / c.total : campaign.status === 'sent' ? 1 : 0,
    cancelled: cancelledStatus ? Math.max(0, c.total - done) : 0,
    noWorkerSince: stranded ? (workers.lastSeen?.toISOString() ?? null) : undefined,
  };
}

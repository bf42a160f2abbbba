import { z } from 'zod';

/**
 * A campaign's life: `draft → scheduled → sending → (paused ⇄ sending) → sent | cancelled | failed`.
 */
export const CampaignStatus = z.enum(['draft', 'scheduled', 'sending', 'paused', 'sent', 'cancelled', 'failed']);
export type CampaignStatus = z.infer<typeof CampaignStatus>;

/** Which status may follow which. Rescheduling keeps a campaign `scheduled`. */
export const CAMPAIGN_TRANSITIONS: Readonly<Record<CampaignStatus, readonly CampaignStatus[]>> = {
  draft: ['scheduled', 'sending', 'cancelled'],
  scheduled: ['scheduled', 'sending', 'cancelled'],
  sending: ['paused', 'sent', 'cancelled', 'failed'],
  // A pause that lands after the last message was claimed still ends in `sent`.
  paused: ['sending', 'sent', 'cancelled'],
  sent: [],
  cancelled: [],
  failed: [],
};

/** True when no further status can follow. */
export function isFinal(status: CampaignStatus): boolean {
  return CAMPAIGN_TRANSITIONS[status].length === 0;
}

export function canTransition(from: CampaignStatus, to: CampaignStatus): boolean {
  return CAMPAIGN_TRANSITIONS[from].includes(to);
}

/** Delivery counters of one campaign. `pending` is derived: total − sent − failed − skipped. */
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
  finishedAt: z.string().optional(),
  /** Highest subscriber id when the campaign started: later sign-ups are not recipients. */
  snapshotMaxId: z.number().int().min(0).optional(),
  /** Fan-out progress: every member with an id up to here has a send-batch job. */
  cursor: z.number().int().min(0),
  fanoutDone: z.boolean(),
  counts: CampaignCounts,
  /** Why a campaign failed, when it did. */
  error: z.string().optional(),
});
export type Campaign = z.infer<typeof Campaign>;

/** A delivery: one campaign × one subscriber. */
export const DeliveryState = z.enum(['queued', 'sending', 'sent', 'failed', 'skipped']);
export type DeliveryState = z.infer<typeof DeliveryState>;

/** Why a recipient was not mailed when its turn came (DESIGN.md invariant 3). */
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

/**
 * What `newsdesk inbound ls` shows: one processed piece of return mail or provider event, kept
 * for audit as long as delivery records (DELIVERY_RETENTION_DAYS), then dropped.
 */
import { z } from 'zod';
import { BounceSeverity, ReturnKind, ReturnOutcome, ReturnSource } from './return-event.ts';

export const InboundRecord = z.strictObject({
  /** When it was processed (ISO 8601). */
  at: z.string(),
  source: ReturnSource,
  kind: ReturnKind,
  outcome: ReturnOutcome,
  dedupeKey: z.string(),
  /** The delivery it was about, once its token was verified. */
  campaignId: z.string().optional(),
  subscriberId: z.number().int().positive().optional(),
  severity: BounceSeverity.optional(),
  aboutSender: z.boolean().optional(),
  status: z.string().optional(),
  diagnostic: z.string().optional(),
  provider: z.string().optional(),
  feedbackType: z.string().optional(),
  /** Why: what was concluded, or why nothing changed. */
  note: z.string().optional(),
  /** From, Subject and first lines of mail that was ignored or unverified, for inspection. */
  excerpt: z.string().optional(),
});
export type InboundRecord = z.infer<typeof InboundRecord>;

/** The filter of `newsdesk inbound ls --kind`. */
export const InboundFilterKind = z.enum(['bounce', 'complaint', 'unsubscribe', 'ignored']);
export type InboundFilterKind = z.infer<typeof InboundFilterKind>;

/** Whether a record falls under an `inbound ls --kind` filter (`ignored` covers auto-replies and unverified mail). */
export function matchesInboundKind(record: InboundRecord, kind: InboundFilterKind): boolean {
  if (kind === 'ignored') return record.kind === 'ignored' || record.kind === 'auto-reply' || record.outcome === 'ignored' || record.outcome === 'unverified';
  if (kind === 'bounce') return record.kind === 'bounce' || record.kind === 'sender-alert';
  return record.kind === kind;
}

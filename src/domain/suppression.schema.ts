/**
 * Suppression: addresses that must never be mailed again, whatever list they appear on.
 * Keyed by the normalized address, so it also covers people who were never subscribers.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** `erased`: the reader's data was erased on request; only a hash of the address is kept. */
export const SUPPRESSION_REASONS = ['unsubscribe', 'bounce', 'complaint', 'manual', 'erased'] as const;
export const SuppressionReason = z.enum(SUPPRESSION_REASONS);
export type SuppressionReason = z.infer<typeof SuppressionReason>;

export const Suppression = z.strictObject({
  /** Normalized address. */
  email: z.string().min(1),
  reason: SuppressionReason,
  /** Free text from the source: an SMTP reply, "unsubscribe link", … */
  detail: z.string().max(500).optional(),
  at: z.iso.datetime(),
});
export type Suppression = z.infer<typeof Suppression>;

/**
 * The suppression field of an erased address: a hash, so the address stays unmailable without
 * being kept. SHA-1 because Redis Lua computes it too (`redis.sha1hex`, for imports): the same
 * text must give the same field on both sides. Keep `erasedField` in subscriber.scripts.ts in step.
 */
export function erasedSuppressionField(normalizedEmail: string): string {
  return `erased:${createHash('sha1').update(`newsdesk-erased:${normalizedEmail}`).digest('hex')}`;
}

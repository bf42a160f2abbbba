/**
 * Suppression: addresses that must never be mailed again, whatever list they appear on.
 * Keyed by the normalized address, so it also covers people who were never subscribers.
 */
import { z } from 'zod';

export const SUPPRESSION_REASONS = ['unsubscribe', 'bounce', 'complaint', 'manual'] as const;
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

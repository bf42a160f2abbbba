/**
 * Mailgun webhook events as {@link ReturnEvent}s (payload as in Mailgun's "Webhooks" and
 * "Events" documentation: `{ signature, "event-data" }`, where `event-data.message.headers`
 * has the Message-ID of the message we sent, without its angle brackets).
 */
import { z } from 'zod';
import type { ReturnEvent } from '../../domain/return-event.ts';
import { bounceOf, clip, domainOf, isoTime, messageIdIdentity } from './esp-identity.ts';
import { classifyBounce, findStatus } from '../bounce-classifier.ts';

export const MailgunSignature = z.object({
  timestamp: z.string().regex(/^\d{1,12}$/, 'must be Unix seconds'),
  token: z.string().min(1).max(200),
  signature: z.string().regex(/^[0-9a-f]{64}$/i, 'must be 64 hex digits'),
});
export type MailgunSignature = z.infer<typeof MailgunSignature>;

const MailgunEventData = z.object({
  event: z.string().max(50),
  id: z.string().min(1).max(200),
  timestamp: z.number(),
  recipient: z.string().max(998).optional(),
  severity: z.string().max(20).optional(),
  reason: z.string().max(100).optional(),
  'delivery-status': z
    .object({
      code: z.union([z.number(), z.string()]).optional(),
      message: z.string().optional(),
      description: z.string().optional(),
      'enhanced-code': z.string().max(20).optional(),
    })
    .optional(),
  message: z.object({ headers: z.record(z.string(), z.unknown()).optional() }).optional(),
});

export const MailgunWebhook = z.object({ signature: MailgunSignature, 'event-data': MailgunEventData });
export type MailgunWebhook = z.infer<typeof MailgunWebhook>;

/** The event of one Mailgun webhook request; undefined for events newsdesk does not act on. */
export function mailgunEvent(w: MailgunWebhook): ReturnEvent | undefined {
  const d = w['event-data'];
  const occurredAt = isoTime(d.timestamp);
  const common = {
    source: 'mailgun',
    identity: messageIdIdentity(d.message?.headers?.['message-id']),
    dedupeKey: `mailgun:${d.id}`,
    ...(occurredAt ? { occurredAt } : {}),
  } as const;
  if (d.event === 'complained') return { ...common, kind: 'complaint', feedbackType: 'abuse' };
  if (d.event === 'unsubscribed') return { ...common, kind: 'unsubscribe', note: 'unsubscribed through Mailgun' };
  if (d.event !== 'failed') return undefined;
  // Mailgun would not send to an address it suppressed before: act as on the original event.
  if (d.reason === 'suppress-complaint') return { ...common, kind: 'complaint', feedbackType: 'abuse', note: 'not sent by Mailgun: the address complained before' };
  if (d.reason === 'suppress-unsubscribe') return { ...common, kind: 'unsubscribe', note: 'not sent by Mailgun: the address unsubscribed there' };
  const status = d['delivery-status'];
  const enhanced = status?.['enhanced-code'] || findStatus(status?.message || status?.description || '');
  const diagnostic = clip([status?.code, status?.message || status?.description].filter((p) => p !== undefined && p !== '').join(' '), 2000);
  // `espblock`: Mailgun's own block of our mail; suppress-bounce: an address that hard-bounced before.
  // A permanent failure is hard only on evidence that the address takes no mail (as for bounce
  // mail): not `old` (Mailgun gave up retrying), a full mailbox or an unknown cause.
  const c = classifyBounce({ status: enhanced, diagnostic });
  const aboutSender = d.reason === 'espblock' || c.aboutSender;
  const severity = d.severity === 'permanent' && !aboutSender && (d.reason === 'suppress-bounce' || c.severity === 'hard') ? 'hard' : 'soft';
  return {
    ...common,
    kind: 'bounce',
    bounce: bounceOf({
      severity,
      aboutSender,
      status: enhanced,
      diagnostic: clip(`${d.reason ?? 'failed'}${diagnostic ? `: ${diagnostic}` : ''}`, 2000),
      provider: domainOf(d.recipient),
    }),
  };
}

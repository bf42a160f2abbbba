/**
 * Amazon SES bounce and complaint notifications (delivered through SNS) as {@link ReturnEvent}s.
 * The payload is SES's documented notification ("Amazon SNS notification contents for Amazon
 * SES"): `notificationType` (or `eventType` for event publishing), `mail` with the original
 * headers, and a `bounce` or `complaint` object; one event per recipient it names.
 *
 * SES keeps the headers of the message we sent in `mail.commonHeaders` and `mail.headers`, so
 * the delivery is named by our Message-ID. Unknown fields are allowed: SES adds fields over time.
 */
import { z } from 'zod';
import type { ReturnEvent } from '../../domain/return-event.ts';
import { clip, domainOf, isoTime, messageIdIdentity } from './esp-identity.ts';
import { feedbackEvent } from './feedback-type.ts';
import { isBlockAboutSender } from './about-sender.ts';

const Recipient = z.object({ emailAddress: z.string().max(998) });

const SesMail = z.object({
  messageId: z.string().max(200).optional(),
  timestamp: z.string().optional(),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).max(500).optional(),
  commonHeaders: z.object({ messageId: z.string().optional() }).optional(),
});

export const SesNotification = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  mail: SesMail,
  bounce: z
    .object({
      bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
      bounceSubType: z.string().max(100).optional(),
      bouncedRecipients: z
        .array(Recipient.extend({ status: z.string().max(20).optional(), diagnosticCode: z.string().optional(), action: z.string().optional() }))
        .min(1)
        .max(1000),
      timestamp: z.string().optional(),
      feedbackId: z.string().min(1).max(200),
    })
    .optional(),
  complaint: z
    .object({
      complainedRecipients: z.array(Recipient).min(1).max(1000),
      timestamp: z.string().optional(),
      feedbackId: z.string().min(1).max(200),
      complaintFeedbackType: z.string().max(100).optional(),
      complaintSubType: z.string().max(100).nullable().optional(),
    })
    .optional(),
});
export type SesNotification = z.infer<typeof SesNotification>;

/** Subtypes SES files under "Transient" that are about our message, not the reader's mailbox. */
const SENDER_SUBTYPES = new Set(['ContentRejected', 'AttachmentRejected']);

/**
 * The events of one SES notification: one per bounced or complained recipient; none for the
 * kinds newsdesk does not act on (Delivery, Send, Open …).
 */
export function sesEvents(n: SesNotification): ReturnEvent[] {
  const type = n.notificationType ?? n.eventType;
  const identity = messageIdIdentity(n.mail.commonHeaders?.messageId ?? n.mail.headers?.find((h) => /^message-id$/i.test(h.name))?.value);
  if (type === 'Bounce' && n.bounce) {
    const b = n.bounce;
    return b.bouncedRecipients.map((r) => {
      const diagnostic = clip(r.diagnosticCode, 2000);
      const aboutSender = SENDER_SUBTYPES.has(b.bounceSubType ?? '') || isBlockAboutSender(r.status, diagnostic);
      // Only a permanent bounce about the address itself removes a reader; "Undetermined" does not.
      const severity = b.bounceType === 'Permanent' && !aboutSender ? 'hard' : 'soft';
      return {
        source: 'ses',
        kind: 'bounce',
        identity,
        dedupeKey: `ses:bounce:${b.feedbackId}:${r.emailAddress.toLowerCase()}`,
        ...(isoTime(b.timestamp) ? { occurredAt: isoTime(b.timestamp) } : {}),
        bounce: {
          severity,
          aboutSender,
          ...(r.status ? { status: r.status } : {}),
          diagnostic: clip(`${b.bounceType}/${b.bounceSubType ?? 'General'}${diagnostic ? `: ${diagnostic}` : ''}`, 2000),
          ...(domainOf(r.emailAddress) ? { provider: domainOf(r.emailAddress) } : {}),
        },
      } satisfies ReturnEvent;
    });
  }
  if (type === 'Complaint' && n.complaint) {
    const c = n.complaint;
    const feedbackType = c.complaintFeedbackType ?? 'abuse';
    return c.complainedRecipients.map((r) => ({
      ...feedbackEvent('ses', feedbackType),
      identity,
      dedupeKey: `ses:complaint:${c.feedbackId}:${r.emailAddress.toLowerCase()}`,
      ...(isoTime(c.timestamp) ? { occurredAt: isoTime(c.timestamp) } : {}),
    }));
  }
  return [];
}

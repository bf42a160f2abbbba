/**
 * SendGrid Event Webhook events as {@link ReturnEvent}s (payload as in SendGrid's "Event Webhook
 * reference": a JSON array of events, each with `event`, `email`, `timestamp`, `sg_event_id`
 * and `smtp-id`, the Message-ID of the message we sent). Delivery and engagement events
 * (processed, delivered, deferred, open, click) are not return mail and give no event.
 */
import { z } from 'zod';
import type { ReturnEvent } from '../../domain/return-event.ts';
import { bounceOf, clip, domainOf, isoTime, messageIdIdentity } from './esp-identity.ts';
import { classifyBounce } from '../bounce-classifier.ts';

const SendGridEventItem = z.object({
  event: z.string().max(50),
  email: z.string().max(998),
  timestamp: z.number(),
  sg_event_id: z.string().min(1).max(200),
  'smtp-id': z.string().max(998).optional(),
  type: z.string().max(50).optional(),
  reason: z.string().optional(),
  status: z.string().max(20).optional(),
  bounce_classification: z.string().max(100).optional(),
  asm_group_id: z.number().optional(),
});

/** One request: at most a thousand events (SendGrid batches far fewer). */
export const SendGridEvents = z.array(SendGridEventItem).min(1).max(1000);
export type SendGridEvents = z.infer<typeof SendGridEvents>;
type SendGridEventItem = z.infer<typeof SendGridEventItem>;

/**
 * SendGrid's bounce classifications (Content, Frequency or Volume Too High, Invalid Address,
 * Mailbox Unavailable, Reputation, Technical Failure, Unclassified) that are about our mail
 * rather than the address.
 */
const SENDER_CLASSES = new Set(['Content', 'Reputation', 'Frequency or Volume Too High']);

/** The events newsdesk acts on, in the order SendGrid sent them. */
export function sendGridEvents(events: SendGridEvents): ReturnEvent[] {
  return events.flatMap((e) => {
    const mapped = mapOne(e);
    return mapped ? [mapped] : [];
  });
}

function mapOne(e: SendGridEventItem): ReturnEvent | undefined {
  const occurredAt = isoTime(e.timestamp);
  const common = {
    source: 'sendgrid',
    identity: messageIdIdentity(e['smtp-id']),
    dedupeKey: `sendgrid:${e.sg_event_id}`,
    ...(occurredAt ? { occurredAt } : {}),
  } as const;
  const provider = domainOf(e.email);
  const diagnostic = clip(e.reason, 2000);
  switch (e.event) {
    case 'bounce': {
      // `type: blocked` is SendGrid's word for a temporary or policy rejection; `bounce` is permanent,
      // but hard only on evidence that the address takes no mail: SendGrid's "Invalid Address", or
      // the reply itself (as for bounce mail) — not a technical failure, a full mailbox or an unknown cause.
      const c = classifyBounce({ status: e.status, diagnostic });
      const aboutSender = SENDER_CLASSES.has(e.bounce_classification ?? '') || c.aboutSender;
      const severity = e.type !== 'blocked' && !aboutSender && (e.bounce_classification === 'Invalid Address' || c.severity === 'hard') ? 'hard' : 'soft';
      return { ...common, kind: 'bounce', bounce: bounceOf({ severity, aboutSender, status: e.status, diagnostic, provider }) };
    }
    case 'dropped':
      return dropped(e, common);
    case 'spamreport':
      return { ...common, kind: 'complaint', feedbackType: 'abuse' };
    case 'unsubscribe':
      return { ...common, kind: 'unsubscribe', note: 'unsubscribed through SendGrid' };
    case 'group_unsubscribe':
      return { ...common, kind: 'unsubscribe', note: `left SendGrid unsubscribe group ${e.asm_group_id ?? '?'}` };
    default:
      return undefined;
  }
}

/**
 * A message SendGrid would not send. Its reason says why: an address SendGrid saw bounce or
 * complain before is acted on as such; anything else (invalid headers, spam content) is ours.
 */
function dropped(e: SendGridEventItem, common: Omit<ReturnEvent, 'kind'>): ReturnEvent {
  const reason = e.reason ?? '';
  if (/^Bounced Address/i.test(reason)) {
    return { ...common, kind: 'bounce', bounce: { severity: 'hard', aboutSender: false, diagnostic: `dropped by SendGrid: ${clip(reason, 1900)}` } };
  }
  if (/^Spam Reporting Address/i.test(reason)) return { ...common, kind: 'complaint', feedbackType: 'abuse', note: 'dropped by SendGrid: the address reported spam before' };
  if (/^Unsubscribed Address/i.test(reason)) return { ...common, kind: 'unsubscribe', note: 'dropped by SendGrid: the address unsubscribed there' };
  return { ...common, kind: 'sender-alert', note: clip(`dropped by SendGrid: ${reason || 'no reason given'}`, 500) };
}

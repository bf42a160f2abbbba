/**
 * Postmark's Bounce, SpamComplaint and SubscriptionChange webhooks as {@link ReturnEvent}s
 * (payloads as in Postmark's webhook documentation; bounce `Type` names from its Bounce API).
 *
 * Postmark reports its own MessageID, not ours. The delivery is named by the metadata the
 * message carried: newsdesk adds `X-PM-Metadata-newsdesk-message-id` (our Message-ID) to every
 * message when the Postmark webhook is configured, and Postmark echoes it in `Metadata`.
 */
import { z } from 'zod';
import type { ReturnEvent } from '../../domain/return-event.ts';
import { clip, domainOf, isoTime, messageIdIdentity } from './esp-identity.ts';
import { isBlockAboutSender } from './about-sender.ts';

/** The `Metadata` key (and `X-PM-Metadata-` header suffix) that carries our Message-ID. */
export const POSTMARK_MESSAGE_ID_METADATA = 'newsdesk-message-id';

/** The header every message carries when the Postmark webhook is configured. */
export const POSTMARK_MESSAGE_ID_HEADER = `X-PM-Metadata-${POSTMARK_MESSAGE_ID_METADATA}`;

const Metadata = z.record(z.string(), z.unknown()).optional().nullable();

const PostmarkBounce = z.object({
  RecordType: z.literal('Bounce'),
  ID: z.union([z.number(), z.string()]),
  Type: z.string().max(100),
  Email: z.string().max(998),
  Description: z.string().optional().nullable(),
  Details: z.string().optional().nullable(),
  BouncedAt: z.string().optional(),
  Metadata,
});

const PostmarkSpamComplaint = PostmarkBounce.extend({ RecordType: z.literal('SpamComplaint') });

const PostmarkSubscriptionChange = z.object({
  RecordType: z.literal('SubscriptionChange'),
  MessageID: z.string().max(200),
  Recipient: z.string().max(998),
  ChangedAt: z.string().max(64),
  Origin: z.string().max(50).optional(),
  SuppressSending: z.boolean(),
  SuppressionReason: z.string().max(100).optional().nullable(),
  Metadata,
});

export const PostmarkEvent = z.discriminatedUnion('RecordType', [PostmarkBounce, PostmarkSpamComplaint, PostmarkSubscriptionChange]);
export type PostmarkEvent = z.infer<typeof PostmarkEvent>;

/**
 * Postmark's record `ID`s are 64-bit integers, beyond what a JavaScript number holds exactly:
 * parsed as numbers, two bounces could share a dedupe key and one be dropped. This quotes the
 * `ID` field in the raw JSON first (a quote inside a string value is escaped, so only keys match).
 */
export function quotePostmarkIds(json: string): string {
  return json.replace(/(?<!\\)"ID"(\s*):(\s*)(-?\d+)/g, '"ID"$1:$2"$3"');
}

/** Bounce types that say the address is gone. */
const HARD = new Set(['HardBounce', 'BadEmailAddress']);
/** Temporary failures of the reader's mailbox or domain. */
const SOFT = new Set(['SoftBounce', 'Transient', 'DnsError']);
/** Blocks about our mail (content, reputation, DMARC): alerts for the sender, never a removal. */
const ABOUT_SENDER = new Set(['SpamNotification', 'Blocked', 'DMARCPolicy', 'VirusNotification']);

/** The one event of a Postmark webhook request; undefined for record types newsdesk does not act on. */
export function postmarkEvent(e: PostmarkEvent): ReturnEvent | undefined {
  const identity = messageIdIdentity(e.Metadata?.[POSTMARK_MESSAGE_ID_METADATA]);
  if (e.RecordType === 'SubscriptionChange') {
    const base = { source: 'postmark', identity, dedupeKey: `postmark:subscription:${e.MessageID}:${e.Recipient.toLowerCase()}:${e.ChangedAt}` } as const;
    const occurredAt = isoTime(e.ChangedAt);
    // Re-activation never puts anyone back: only their own opt-in does that.
    if (!e.SuppressSending) return { ...base, kind: 'ignored', note: 'Postmark reactivated the address; newsdesk subscribes nobody from an event' };
    // Bounces and complaints arrive through their own webhooks too; acting on both would count them twice.
    if (e.SuppressionReason !== 'ManualSuppression') {
      return { ...base, kind: 'ignored', note: `Postmark suppressed the address for ${clip(e.SuppressionReason ?? 'no reason', 100)}: acted on through its Bounce or SpamComplaint event` };
    }
    return { ...base, kind: 'unsubscribe', ...(occurredAt ? { occurredAt } : {}), note: `unsubscribed at Postmark (origin ${clip(e.Origin ?? 'unknown', 50)})` };
  }
  const occurredAt = isoTime(e.BouncedAt);
  const common = { source: 'postmark', identity, ...(occurredAt ? { occurredAt } : {}) } as const;
  if (e.RecordType === 'SpamComplaint' || e.Type === 'SpamComplaint') {
    return { ...common, kind: 'complaint', feedbackType: 'abuse', dedupeKey: `postmark:complaint:${e.ID}` };
  }
  const dedupeKey = `postmark:bounce:${e.ID}`;
  const diagnostic = clip([e.Description, e.Details].filter(Boolean).join(' — '), 2000);
  const provider = domainOf(e.Email);
  const bounce = (severity: 'hard' | 'soft', aboutSender: boolean): ReturnEvent => ({
    ...common,
    kind: 'bounce',
    dedupeKey,
    bounce: { severity, aboutSender, ...(diagnostic ? { diagnostic: clip(`${e.Type}: ${diagnostic}`, 2000) } : { diagnostic: e.Type }), ...(provider ? { provider } : {}) },
  });
  if (ABOUT_SENDER.has(e.Type)) return bounce('soft', true);
  if (HARD.has(e.Type)) return isBlockAboutSender(undefined, e.Details ?? undefined) ? bounce('soft', true) : bounce('hard', false);
  if (SOFT.has(e.Type)) return bounce('soft', isBlockAboutSender(undefined, e.Details ?? undefined));
  if (e.Type === 'Unsubscribe') return { ...common, kind: 'unsubscribe', dedupeKey, note: 'an unsubscribe request Postmark received' };
  if (e.Type === 'AutoResponder') return { ...common, kind: 'auto-reply', dedupeKey, note: 'an auto-responder reply' };
  return { ...common, kind: 'ignored', dedupeKey, note: `Postmark bounce type ${clip(e.Type, 100)} asks for no action` };
}

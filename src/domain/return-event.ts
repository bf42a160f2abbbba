/**
 * Return mail and provider events, as every entry point hands them to the return-path service:
 * the SMTP listener, the pipe command, the IMAP poller and the ESP webhooks each turn what they
 * received into a {@link ReturnEvent}; one service applies it (docs/return-path.md).
 *
 * An event says *who* it is about only through an identity the service can trust: a signed
 * return token found in the message (the VERP address, our own header, the List-Unsubscribe
 * link), or — for an ESP webhook whose request signature was verified — the Message-ID the
 * provider reports, which names the delivery.
 */
import { z } from 'zod';

/** Where an event came in. */
export const ReturnSource = z.enum(['smtp', 'pipe', 'imap', 'ses', 'postmark', 'sendgrid', 'mailgun']);
export type ReturnSource = z.infer<typeof ReturnSource>;

/** What the event is, once classified. */
export const ReturnKind = z.enum(['bounce', 'complaint', 'unsubscribe', 'auto-reply', 'sender-alert', 'ignored']);
export type ReturnKind = z.infer<typeof ReturnKind>;

/**
 * How the event names its delivery. `token`: a signed token found in the mail (verified by the
 * service, never by the entry point). `message-id`: only from an authenticated webhook.
 */
export const ReturnIdentity = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('token'), token: z.string().max(200) }),
  z.strictObject({ kind: z.literal('message-id'), messageId: z.string().max(998) }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type ReturnIdentity = z.infer<typeof ReturnIdentity>;

/** A bounce's class: hard removes the reader; soft counts towards the soft-bounce rule. */
export const BounceSeverity = z.enum(['hard', 'soft']);
export type BounceSeverity = z.infer<typeof BounceSeverity>;

export const ReturnEvent = z.strictObject({
  source: ReturnSource,
  kind: ReturnKind,
  identity: ReturnIdentity,
  /**
   * Makes processing idempotent: the report's own Message-ID, or the provider's event id.
   * The same key seen twice is processed once.
   */
  dedupeKey: z.string().min(1).max(998),
  /** When the provider or MTA says it happened (ISO 8601); default when it was received. */
  occurredAt: z.string().optional(),
  /** For bounces: hard or soft, and whether the block is about the sender rather than the reader. */
  bounce: z
    .strictObject({
      severity: BounceSeverity,
      aboutSender: z.boolean(),
      /** Enhanced status code, e.g. `5.1.1`, when known. */
      status: z.string().optional(),
      /** The remote server's words, for the delivery record and the operator. */
      diagnostic: z.string().max(2000).optional(),
      /** The receiving domain or provider (`gmail.com`, `outlook`), for sender alerts. */
      provider: z.string().optional(),
    })
    .optional(),
  /** For complaints: the ARF Feedback-Type (`abuse`, `opt-out`, `fraud` …) or the ESP's type. */
  feedbackType: z.string().optional(),
  /** Why an event is ignored or kept for inspection, in a sentence. */
  note: z.string().max(500).optional(),
  /**
   * For mail-borne events: the message's From, Subject and first lines, kept in the audit log
   * with mail that was ignored or could not be verified, so an operator can see what it was.
   */
  excerpt: z.string().max(1000).optional(),
});
export type ReturnEvent = z.infer<typeof ReturnEvent>;

/** What applying one event did. */
export const ReturnOutcome = z.enum([
  'applied', // a subscriber or delivery changed
  'recorded', // counted (a soft bounce, a sender alert) without a subscriber change
  'duplicate', // this dedupeKey was processed before
  'unverified', // no valid token or unknown delivery: nothing changed, logged
  'ignored', // auto-replies and anything unrecognised, kept for inspection
]);
export type ReturnOutcome = z.infer<typeof ReturnOutcome>;

/** The one port every entry point calls. Throws only when the event could not be stored (Redis away). */
export interface ReturnEventSink {
  accept(event: ReturnEvent): Promise<ReturnOutcome>;
}

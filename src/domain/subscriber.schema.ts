/**
 * A subscriber: one address, known by a normalized form for identity and the form as typed for
 * display, with a status that decides whether campaigns reach it. One subscriber, many lists.
 */
import { z } from 'zod';
import { SubscriberStatus } from './subscriber-status.ts';
import { isTimeZone } from './time-zone.ts';

/** Identity form of an address: trimmed and lower-cased, so `Jane@Example.com ` is `jane@example.com`. */
export function normalizeEmail(address: string): string {
  return address.trim().toLowerCase();
}

/** An address as someone typed it (surrounding spaces dropped). RFC 5321 caps a path at 254. */
export const EmailAddress = z
  .string()
  .trim()
  .min(1, 'required')
  .max(254, 'longer than 254 characters')
  .pipe(z.email({ message: 'not a valid email address' }));

/** Attribute names: what a CSV header or an API body may use as a key. */
export const AttributeName = z
  .string()
  .trim()
  .min(1, 'empty attribute name')
  .max(64, 'attribute names are at most 64 characters')
  // zod drops `__proto__` keys from records; refusing it by name beats losing it silently.
  .refine((n) => n !== '__proto__', 'reserved name');

export const AttributeValue = z.union([z.string().max(1000, 'at most 1000 characters'), z.number().finite(), z.boolean()]);
export type AttributeValue = z.infer<typeof AttributeValue>;

/** Free attributes: string → string | number | boolean, at most 50 of them. */
export const Attributes = z
  .record(AttributeName, AttributeValue)
  .refine((a) => Object.keys(a).length <= 50, 'at most 50 attributes');
export type Attributes = z.infer<typeof Attributes>;

/** The attribute a schedule's `--local-time` reads: the reader's IANA zone (README.md, "The daily schedule"). */
export const TIMEZONE_ATTRIBUTE = 'timezone';

/**
 * Attributes as given (an import row, an admin add): a `timezone` must be an IANA zone. Stored
 * records read back through {@link Attributes}, whatever an earlier version let in.
 */
export const InputAttributes = Attributes.superRefine((a, ctx) => {
  const tz = a[TIMEZONE_ATTRIBUTE];
  if (tz !== undefined && (typeof tz !== 'string' || !isTimeZone(tz))) {
    ctx.addIssue({ code: 'custom', path: [TIMEZONE_ATTRIBUTE], message: `"${String(tz)}" is not an IANA time zone such as America/New_York or Asia/Kolkata` });
  }
});

/** A name as stored: records read back parse through this, whatever an earlier version let in. */
const StoredName = z.string().trim().min(1).max(200, 'at most 200 characters');

/** A name as given (an import row, an admin add, a sign-up): one line of printable text. */
export const SubscriberName = StoredName.refine((n) => !/[\u0000-\u001f\u007f-\u009f]/.test(n), 'no control characters (line breaks, tabs, NUL)');

/** Positive integer ids, handed out in increasing order so campaigns can page by `id > cursor`. */
export const SubscriberId = z.number().int().positive();

/** A subscriber as stored and as every layer sees it. Records read back from Redis parse through this. */
export const Subscriber = z.strictObject({
  id: SubscriberId,
  /** Normalized: the identity. */
  email: z.string().min(1),
  /** As typed (trimmed), used in To: and in the UI. */
  emailDisplay: z.string().min(1),
  name: StoredName.optional(),
  attributes: Attributes,
  status: SubscriberStatus,
  createdAt: z.iso.datetime(),
  /** When a confirmed opt-in last happened; absent for imported or single opt-in subscribers. */
  confirmedAt: z.iso.datetime().optional(),
  statusChangedAt: z.iso.datetime(),
  /** Why the status last changed: `import`, `confirmed opt-in`, an SMTP reply, … */
  statusReason: z.string().max(500).optional(),
});
export type Subscriber = z.infer<typeof Subscriber>;

/** What an import row, an admin add or a sign-up form supplies. */
export const SubscriberInput = z.strictObject({
  email: EmailAddress,
  name: SubscriberName.optional(),
  attributes: InputAttributes.default({}),
});
export type SubscriberInput = z.infer<typeof SubscriberInput>;

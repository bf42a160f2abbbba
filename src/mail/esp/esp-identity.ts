/**
 * What the ESP webhooks share when they turn a provider's event into a {@link ReturnEvent}: how
 * the delivery is named, and whether a block is about the sender rather than the reader.
 */
import type { ReturnEvent, ReturnIdentity } from '../../domain/return-event.ts';

/** Longest Message-ID we pass on (RFC 5322's line limit). */
const MAX_MESSAGE_ID = 998;

/**
 * The identity of a delivery from the Message-ID a provider reports (with or without its angle
 * brackets, as providers differ). Only an authenticated webhook may use it (the request's
 * signature vouches that the provider saw that Message-ID on our message); anything that is not
 * one `local@domain` id becomes `{ kind: 'none' }`, which changes nothing.
 */
export function messageIdIdentity(value: unknown): ReturnIdentity {
  if (typeof value !== 'string') return { kind: 'none' };
  const bare = value.trim().replace(/^<(.*)>$/, '$1');
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(bare) || bare.length + 2 > MAX_MESSAGE_ID) return { kind: 'none' };
  return { kind: 'message-id', messageId: `<${bare}>` };
}

/** The domain of an address, lower-cased, for the event's `bounce.provider`. */
export function domainOf(address: unknown): string | undefined {
  if (typeof address !== 'string') return undefined;
  const at = address.lastIndexOf('@');
  return at > 0 ? address.slice(at + 1).replace(/>$/, '').trim().toLowerCase() || undefined : undefined;
}

/** `when` (ISO text, or Unix seconds) as ISO 8601; undefined when it is no time. */
export function isoTime(when: unknown): string | undefined {
  const date = typeof when === 'number' ? new Date(when * 1000) : typeof when === 'string' ? new Date(when) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

/** Cuts provider text to what the event takes. */
export function clip(text: unknown, max: number): string | undefined {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  const t = text.trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** An event's `bounce` part, leaving out what the provider did not say. */
export function bounceOf(b: { severity: 'hard' | 'soft'; aboutSender: boolean; status?: string | undefined; diagnostic?: string | undefined; provider?: string | undefined }): NonNullable<ReturnEvent['bounce']> {
  return {
    severity: b.severity,
    aboutSender: b.aboutSender,
    ...(b.status ? { status: b.status } : {}),
    ...(b.diagnostic ? { diagnostic: b.diagnostic } : {}),
    ...(b.provider ? { provider: b.provider } : {}),
  };
}

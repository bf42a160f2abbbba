/**
 * One piece of returned mail → one {@link ReturnEvent}: the entry point every mail-borne source
 * shares (the SMTP listener, the pipe command, the IMAP poller). It reads the message, classifies
 * it, and finds the signed token that names the delivery — in the envelope recipient first
 * (`bounces+<token>@`, `unsubscribe+<token>@`), else in the returned copy's headers (our
 * List-Unsubscribe mailto and URL carry tokens, so a feedback report whose provider redacted
 * the recipient still names it). The token is only *found* here; the service verifies it.
 */
import { createHash } from 'node:crypto';
import { type ReturnAddressKind, readReturnAddress } from '../domain/return-token.ts';
import type { ReturnEvent, ReturnIdentity, ReturnSource } from '../domain/return-event.ts';
import { type AddressedAs, classifyReturnMessage } from './return-classifier.ts';
import { type ReadReturnMessageOptions, type ReturnMessage, readReturnMessage } from './return-message.ts';

export interface ReadReturnMailOptions {
  source: ReturnSource;
  /**
   * The envelope recipient (`RCPT TO`), when the entry point knows it. Without it the message's
   * Delivered-To, X-Original-To, Envelope-To and To headers are read instead.
   */
  rcpt?: string | undefined;
  /** Feedback addresses (`config.inbound.feedbackAddresses`). */
  feedbackAddresses: readonly string[];
  /** Which MIME reader (see {@link ReadReturnMessageOptions}). Default `auto`. */
  parser?: ReadReturnMessageOptions['parser'];
}

export interface ReturnMail {
  event: ReturnEvent;
  /** What the recipient address was, when it was one of ours. */
  address: ReturnAddressKind | null;
  message: ReturnMessage;
}

// A return token after our local-part prefix, and an unsubscribe link token (with or without its
// key id) in a `/u/` URL; view links prove nothing (they get shared).
const ADDRESS_TOKEN = /\b(?:bounces|unsubscribe)\+([a-z2-7]{29}[0-9a-z]{1,11})@/gi;
const LINK_TOKEN = /\/u\/(uc\.[0-9a-z]{1,11}\.[A-Za-z0-9_-]{1,81}\.[0-9a-z]{1,11}(?:\.[A-Za-z0-9_-]{4})?\.[A-Za-z0-9_-]{22})(?![A-Za-z0-9_-])/;

/** Reads one returned message into an event (never throws on bad mail). */
export async function readReturnMail(raw: Buffer, options: ReadReturnMailOptions): Promise<ReturnMail> {
  const message = await readReturnMessage(raw, { parser: options.parser ?? 'auto' });
  const address = recipientAddress(message, options);
  const addressedAs: AddressedAs = !address ? 'unknown' : address.kind === 'unsubscribe-untokened' ? 'unsubscribe' : address.kind;
  const c = classifyReturnMessage(message, addressedAs);
  const identity = findIdentity(message, address);
  // The same report seen twice (an MTA's retry, an IMAP re-poll) is the same Message-ID and token.
  const id = message.messageId ?? `sha256:${createHash('sha256').update(raw.subarray(0, 256 * 1024)).digest('hex')}`;
  const dedupeKey = `${id}|${identity.kind === 'token' ? identity.token.toLowerCase() : '-'}`.slice(0, 998);
  const note = address?.kind === 'unsubscribe-untokened' && c.kind === 'unsubscribe' ? 'mail to the plain unsubscribe address: no token names the reader' : c.note;
  const event: ReturnEvent = {
    source: options.source,
    kind: c.kind,
    identity,
    dedupeKey,
    ...(message.headers.get('date') && !Number.isNaN(Date.parse(message.headers.get('date') as string))
      ? { occurredAt: new Date(message.headers.get('date') as string).toISOString() }
      : {}),
    ...(c.bounce ? { bounce: c.bounce } : {}),
    ...(c.feedbackType ? { feedbackType: c.feedbackType } : {}),
    note: note.slice(0, 500),
    excerpt: excerptOf(message),
  };
  return { event, address, message };
}

function recipientAddress(message: ReturnMessage, options: ReadReturnMailOptions): ReturnAddressKind | null {
  const opts = { feedbackAddresses: options.feedbackAddresses };
  if (options.rcpt !== undefined) return readReturnAddress(options.rcpt, opts);
  for (const h of ['delivered-to', 'x-original-to', 'envelope-to', 'to']) {
    const value = message.headers.get(h);
    if (!value) continue;
    for (const a of value.match(/[^\s<>,;"]+@[^\s<>,;"]+/g) ?? []) {
      const found = readReturnAddress(a, opts);
      if (found) return found;
    }
  }
  return null;
}

function findIdentity(message: ReturnMessage, address: ReturnAddressKind | null): ReturnIdentity {
  if (address && (address.kind === 'bounce' || address.kind === 'unsubscribe')) return { kind: 'token', token: address.token };
  // Mail that reached us without a token in its address (a feedback loop's report): the returned
  // copy's List-Unsubscribe (mailto or URL) or envelope sender still names the delivery.
  const text = message.searchText;
  ADDRESS_TOKEN.lastIndex = 0;
  const m = ADDRESS_TOKEN.exec(text);
  if (m) return { kind: 'token', token: (m[1] as string).toLowerCase() };
  const link = LINK_TOKEN.exec(text);
  if (link) return { kind: 'token', token: link[1] as string };
  return { kind: 'none' };
}

/** From, Subject and the first lines of the text, at most 1,000 characters, for the audit log. */
function excerptOf(message: ReturnMessage): string {
  const text = (message.text || (message.unparsed ? message.searchText : '')).replace(/[^\x20-\x7e\u00a0-\uffff\n]/g, '?');
  const lines = text.split(/\r?\n/).map((l) => l.trimEnd()).filter(Boolean).slice(0, 12);
  return [`From: ${message.from}`, `Subject: ${message.subject}`, ...lines].join('\n').slice(0, 1000);
}

/**
 * Header fields written by hand (RFC 5322, RFC 2047): folding, encoded words, mailboxes.
 * Every function returns ASCII with CRLF folds and no trailing CRLF.
 */
import { NewsdeskError } from '../domain/errors.ts';

/** Lines we aim for; RFC 5322 asks for 78 and allows 998. */
const FOLD_AT = 78;
/** A single unbreakable token (a long URL) may exceed 78 but never this. */
export const MAX_LINE = 998;

/** Printable ASCII: what may appear in a header without encoding. */
const PRINTABLE = /^[\x20-\x7e]*$/;

/** Thrown when a value cannot be written into a header safely (it would break the message). */
export class HeaderValueError extends NewsdeskError {
  constructor(field: string, problem: string) {
    super('header_value_invalid', `${field}: ${problem}`);
  }
}

/**
 * Turns control characters into spaces: a CR or LF from data (a subscriber's name, an
 * editor's subject) must never start a header of its own.
 */
export function singleLine(value: string): string {
  return /[\x00-\x1f\x7f]/.test(value) ? value.replace(/[\x00-\x1f\x7f]+/g, ' ') : value;
}

/**
 * Folds `Name: value` at spaces so lines stay within 78 octets where a space allows it.
 * Never folds before a run of whitespace only (RFC 5322 forbids all-blank continuation lines).
 */
export function foldHeader(name: string, value: string): string {
  const line = `${name}: ${value}`;
  if (line.length <= FOLD_AT) return line;
  const lines: string[] = [];
  let current = '';
  for (const piece of line.split(/(?= )/)) {
    if (current.length + piece.length > FOLD_AT && current.trim() !== '' && piece.trim() !== '') {
      lines.push(current);
      current = piece;
    } else {
      current += piece;
    }
  }
  lines.push(current);
  return lines.join('\r\n');
}

// 42 UTF-8 octets → 56 base64 characters → a 68-character encoded word: with "Subject: " the
// first line is 77 octets, continuation lines 69.
const WORD_OCTETS = 42;

/** RFC 2047 B encoded words for `text`, split on character boundaries (never inside a UTF-8 sequence). */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: string[] = [];
  let octets = 0;
  for (const ch of text) {
    const len = Buffer.byteLength(ch, 'utf8');
    if (octets + len > WORD_OCTETS && chunk.length) {
      words.push(chunk.join(''));
      chunk = [];
      octets = 0;
    }
    chunk.push(ch);
    octets += len;
  }
  if (chunk.length) words.push(chunk.join(''));
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`);
}

/** True when `text` must be carried in encoded words: non-ASCII, or it would be read as one. */
function needsEncoding(text: string): boolean {
  return !PRINTABLE.test(text) || text.includes('=?');
}

/** An unstructured field such as Subject: plain and folded when ASCII, else encoded words. */
export function unstructuredHeader(name: string, text: string): string {
  const value = singleLine(text);
  if (!needsEncoding(value)) return foldHeader(name, value);
  return foldHeader(name, encodedWords(value).join(' '));
}

/** A display name as a phrase: a quoted string when ASCII, encoded words otherwise. */
export function phrase(name: string): string {
  const value = singleLine(name).trim();
  if (!needsEncoding(value)) return `"${value.replace(/(["\\])/g, '\\$1')}"`;
  return encodedWords(value).join(' ');
}

/**
 * Checks an address is safe to put in a header and an SMTP envelope: ASCII, one `@`, no
 * whitespace, brackets or control characters. (The store validates addresses; this guards
 * the message against whatever reaches it.)
 */
export function headerAddress(field: string, address: string): string {
  if (!/^[^\s<>()"\\,;:@\x00-\x1f\x7f]+@[A-Za-z0-9.-]+$/.test(address) || !PRINTABLE.test(address)) {
    throw new HeaderValueError(field, `not an address that can be written into a message: ${JSON.stringify(address)}`);
  }
  return address;
}

/** `"Name" <address>` or `<address>`. */
export function mailbox(field: string, box: { name?: string | undefined; address: string }): string {
  const address = headerAddress(field, box.address);
  return box.name ? `${phrase(box.name)} <${address}>` : address;
}

/**
 * How a {@link Subscriber} is written into its bucket hash: compact JSON with one-letter keys,
 * because at a million subscribers every byte of the record is a megabyte of Redis.
 *
 * | key | field           | note                                          |
 * | --- | --------------- | --------------------------------------------- |
 * | e   | emailDisplay    | the normalized email is derived from it       |
 * | n   | name            | omitted when absent                           |
 * | a   | attributes      | omitted when empty; keys sorted               |
 * | s   | status          | Lua scripts read this one                     |
 * | c   | createdAt       | ms since the epoch, in base 36 (text)         |
 * | k   | confirmedAt     | the same; omitted when absent                 |
 * | t   | statusChangedAt | the same; omitted when equal to `c`           |
 * | r   | statusReason    | omitted when absent; the reasons newsdesk     |
 * |     |                 | writes itself are a number ({@link REASONS})  |
 *
 * The id is not stored: it is the hash field. Records written before times went to base 36 and
 * reasons to numbers (times as decimal numbers, reasons as text) read as they always did: a
 * number is a decimal time, a text a base-36 one; a text reason is the reason itself.
 */
import { NewsdeskError } from '../domain/errors.ts';
import { Subscriber, normalizeEmail, type Attributes } from '../domain/subscriber.schema.ts';

interface StoredRecord {
  e: string;
  n?: string;
  a?: Attributes;
  s: string;
  c: number | string;
  k?: number | string;
  t?: number | string;
  r?: string | number;
}

/**
 * Reasons newsdesk itself writes, stored as their number (1-based). Append only: a number, once
 * written, must keep meaning its reason.
 */
export const REASONS = ['import', 'added by admin', 'signed up', 'confirmed opt-in'] as const;

/** A time as stored: base 36, 8 characters where the decimal needs 13. */
const time36 = (ms: number) => ms.toString(36);

/** Attributes with their keys in order, so equal attributes encode to equal text. */
export function sortedAttributes(attributes: Attributes): Attributes {
  const out: Attributes = {};
  for (const key of Object.keys(attributes).sort()) out[key] = attributes[key] as Attributes[string];
  return out;
}

/** Imports encode thousands of records with the same times: remember the last one parsed. */
let lastIso = '';
let lastMs = 0;
function ms(iso: string): number {
  if (iso !== lastIso) {
    lastMs = Date.parse(iso);
    lastIso = iso;
  }
  return lastMs;
}

/** The stored text of a subscriber (everything but the id). */
export function encodeRecord(s: Omit<Subscriber, 'id' | 'email'>): string {
  const created = ms(s.createdAt);
  const changed = ms(s.statusChangedAt);
  const r: StoredRecord = { e: s.emailDisplay, s: s.status, c: time36(created) };
  if (s.name !== undefined) r.n = s.name;
  if (Object.keys(s.attributes).length) r.a = sortedAttributes(s.attributes);
  if (s.confirmedAt !== undefined) r.k = time36(ms(s.confirmedAt));
  if (changed !== created) r.t = time36(changed);
  if (s.statusReason !== undefined) {
    const code = (REASONS as readonly string[]).indexOf(s.statusReason);
    r.r = code >= 0 ? code + 1 : s.statusReason;
  }
  return JSON.stringify(r);
}

/** A stored record that does not read back as a subscriber: a bug or a hand edit, never user input. */
export class CorruptRecordError extends NewsdeskError {
  constructor(id: number, detail: string) {
    super('record_corrupt', `subscriber ${id}: stored record is unreadable (${detail})`);
  }
}

/** A time from the record (base-36 text, or a decimal number in older records) as ISO text; garbage stays garbage so the schema reports it. */
function iso(stored: unknown): string | undefined {
  if (stored === undefined) return undefined;
  const ms = typeof stored === 'string' && /^[0-9a-z]{1,9}$/.test(stored) ? fromTime36(stored) : stored;
  return typeof ms === 'number' && Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : String(stored);
}

/** A base-36 time, when it is one newsdesk could have written (2000 to 2200), else the text. */
function fromTime36(text: string): number | string {
  const ms = parseInt(text, 36);
  return ms >= 946_684_800_000 && ms < 7_258_118_400_000 ? ms : text;
}

/** A reason from the record: a number names one of {@link REASONS}; anything else is itself. */
function reason(stored: unknown): unknown {
  return typeof stored === 'number' ? (REASONS[stored - 1] ?? stored) : stored;
}

/**
 * Reads a stored record back and parses it with the {@link Subscriber} schema.
 * @throws CorruptRecordError when it does not parse.
 */
export function decodeRecord(id: number, text: string): Subscriber {
  let r: StoredRecord;
  try {
    r = JSON.parse(text) as StoredRecord;
  } catch {
    throw new CorruptRecordError(id, 'not JSON');
  }
  const candidate = {
    id,
    email: typeof r.e === 'string' ? normalizeEmail(r.e) : r.e,
    emailDisplay: r.e,
    name: r.n,
    attributes: r.a ?? {},
    status: r.s,
    createdAt: iso(r.c),
    confirmedAt: iso(r.k),
    statusChangedAt: iso(r.t ?? r.c),
    statusReason: reason(r.r),
  };
  // Optional fields absent from the record must be absent from the object for strictObject.
  for (const k of Object.keys(candidate) as (keyof typeof candidate)[]) if (candidate[k] === undefined) delete candidate[k];
  const parsed = Subscriber.safeParse(candidate);
  if (!parsed.success) throw new CorruptRecordError(id, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return parsed.data;
}

/**
 * How format 2 of the compact delivery ledger (ledger-codec.ts; docs/architecture.md, "The
 * delivery ledger after a campaign ends") cuts a reply into a shared template and its holes, and
 * writes the holes with no per-hole header: the template also says each hole's shape.
 *
 * A template key is the reply with each hole cut out (`\0`), then `\1`, then the shapes of the
 * holes, space-separated:
 *
 *   d        a decimal number (no leading zero, ≤ 15 digits): varint
 *   s        a 10-digit unix time in seconds within a day of the send time (Gmail's `OK  <secs>`):
 *            zigzag varint of (it − send time in whole seconds), one byte when a few s apart
 *   m<p>/M<p> hex (lower/upper case) `<p>` then 11 digits of unix ms within a day of the send time
 *            (SES's message ids: `01000` then the ms it was accepted): zigzag varint of (ms − send time)
 *   z<n>     n zeros: nothing
 *   x<n>/X<n> n hex digits, lower/upper case (digits only count as lower): their bytes, 2 digits a byte
 *   r<n>     n letters and digits, as they are
 *
 * The holes are the runs of letters and digits in the words that have a digit (as in format 1);
 * a long run in one letter case is cut further at the letters that are not hex digits, so a
 * Gmail token like `aac0f040f87si490882066b` is hex, `si`, hex, not 23 characters kept as they
 * are. Short runs (Exim's ids) and runs in mixed case (base-62 queue ids) stay whole: cut, their
 * pieces would differ in shape from one message to the next, and so would the templates.
 */
import { LedgerFormatError, type Reader, unzigzag, type Writer, zigzag } from './ledger-bytes.ts';

export const HOLE = '\u0000';
/** Between a template's text and its shapes. */
export const SHAPES = '\u0001';
const DAY_MS = 86_400_000;
/** A hex run with a ms time at its end has at most this many digits (SES: 16). */
const MAX_TIMED_HEX = 16;
/** Runs in one letter case at least this long are cut at their letters that are not hex digits. */
const CUT_RUNS_FROM = 12;

/** A reply cut into the template key and the holes, or null when it must be kept verbatim. */
export interface ShapedReply {
  key: string;
  holes: string[];
  shapes: string[];
}

/**
 * Whether a reply must be kept verbatim rather than cut into a template and holes: text with an
 * `@` (an address must never land in a template shared by others, nor outlive an erasure in
 * one), the separators, or over 500 chars. Both formats cut the rest the same way
 * ({@link variableRuns}).
 */
export function keptVerbatim(text: string): boolean {
  return text.includes('@') || text.includes(HOLE) || text.includes(SHAPES) || text.length > 500;
}

/**
 * The runs of letters and digits in a reply that vary from one message to the next, with their
 * offsets: those in the words (letters and digits, maybe joined by . _ - : a queue id, a
 * timestamp, a UUID) that hold a digit, except the first word (the reply code) and an enhanced
 * status code (2.0.0), which stay in the template with the joiners and the rest.
 */
export function* variableRuns(text: string): Generator<{ at: number; run: string }> {
  for (const w of text.matchAll(/[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*/g)) {
    const word = w[0];
    if (w.index === 0 || word.length < 3 || !/\d/.test(word) || /^\d\.\d{1,3}\.\d{1,3}$/.test(word)) continue;
    for (const m of word.matchAll(/[A-Za-z0-9]+/g)) yield { at: w.index + (m.index as number), run: m[0] };
  }
}

/** Cuts a reply sent at `at` (ms); null when it is {@link keptVerbatim}. */
export function shapeReply(text: string, at: number): ShapedReply | null {
  if (keptVerbatim(text)) return null;
  const holes: string[] = [];
  const shapes: string[] = [];
  let template = '';
  let last = 0;
  for (const { at: start, run } of variableRuns(text)) {
    const whole = run.length < CUT_RUNS_FROM || (/[a-z]/.test(run) && /[A-Z]/.test(run));
    let at0 = start;
    for (const seg of whole ? [run] : (run.match(/[0-9a-fA-F]+|[g-zG-Z]+/g) as string[])) {
      template += text.slice(last, at0) + HOLE;
      holes.push(seg);
      shapes.push(shapeOf(seg, at));
      last = at0 + seg.length;
      at0 = last;
    }
  }
  template += text.slice(last);
  return { key: `${template}${SHAPES}${shapes.join(' ')}`, holes, shapes };
}

function shapeOf(seg: string, at: number): string {
  if (/^[1-9]\d{0,14}$/.test(seg)) return seg.length === 10 && Math.abs(Number(seg) - Math.floor(at / 1000)) <= DAY_MS / 1000 ? 's' : 'd';
  if (/^0+$/.test(seg)) return `z${seg.length}`;
  const lower = /^[0-9a-f]+$/.test(seg);
  if (lower || /^[0-9A-F]+$/.test(seg)) {
    if (seg.length >= 11 && seg.length <= MAX_TIMED_HEX && Math.abs(parseInt(seg.slice(-11), 16) - at) <= DAY_MS) return `${lower ? 'm' : 'M'}${seg.slice(0, -11)}`;
    return `${lower ? 'x' : 'X'}${seg.length}`;
  }
  return `r${seg.length}`;
}

/** Writes a hole of the given shape (as {@link shapeReply} chose it for this reply and `at`). */
export function writeShaped(w: Writer, shape: string, hole: string, at: number) {
  switch (shape[0]) {
    case 'd':
      w.varint(Number(hole));
      return;
    case 's':
      w.varint(zigzag(Number(hole) - Math.floor(at / 1000)));
      return;
    case 'm':
    case 'M':
      w.varint(zigzag(parseInt(hole.slice(-11), 16) - at));
      return;
    case 'z':
      return;
    case 'x':
    case 'X':
      w.bytes(Buffer.from(hole.length % 2 ? `${hole}0` : hole, 'hex'));
      return;
    default:
      w.bytes(Buffer.from(hole, 'latin1'));
  }
}

/** A shape read out of a template key once: its letter, its length (x, X, z, r), its prefix (m, M). */
export interface Shape {
  kind: string;
  len: number;
  prefix: string;
}

/** Reads a hole written by {@link writeShaped}. */
export function readShaped(r: Reader, shape: Shape, at: number): string {
  switch (shape.kind) {
    case 'd':
      return String(r.varint());
    case 's':
      return String(Math.floor(at / 1000) + unzigzag(r.varint()));
    case 'm':
    case 'M': {
      const hex = (at + unzigzag(r.varint())).toString(16).padStart(11, '0');
      return shape.prefix + (shape.kind === 'M' ? hex.toUpperCase() : hex);
    }
    case 'z':
      return shape.prefix;
    case 'x':
    case 'X': {
      const b = r.bytes((shape.len + 1) >> 1);
      let hex = b.toString('hex');
      if (hex.length > shape.len) hex = hex.slice(0, shape.len);
      return shape.kind === 'X' ? hex.toUpperCase() : hex;
    }
    default:
      return r.bytes(shape.len).toString('latin1');
  }
}

/**
 * A template key read for decoding: the text between its holes, and the holes' shapes (null:
 * the key ends in `*`, format 1's holes, each with its header).
 */
export function parseKey(key: string): { parts: string[]; shapes: Shape[] | null } {
  const cut = key.indexOf(SHAPES);
  if (cut < 0) throw new LedgerFormatError('template without shapes');
  const parts = key.slice(0, cut).split(HOLE);
  const rest = key.slice(cut + 1);
  if (rest === '*') return { parts, shapes: null };
  const shapes = (rest === '' ? [] : rest.split(' ')).map((s): Shape => {
    const kind = s[0] as string;
    if (!'dsmMzxXr'.includes(kind)) throw new LedgerFormatError(`unknown hole shape ${JSON.stringify(s)}`);
    const len = kind === 'm' || kind === 'M' ? 0 : Number(s.slice(1));
    if (!Number.isInteger(len)) throw new LedgerFormatError(`unknown hole shape ${JSON.stringify(s)}`);
    return { kind, len, prefix: kind === 'z' ? '0'.repeat(len) : s.slice(1) };
  });
  if (shapes.length !== parts.length - 1) throw new LedgerFormatError(`template has ${parts.length - 1} holes and ${shapes.length} shapes`);
  return { parts, shapes };
}

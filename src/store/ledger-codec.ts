/**
 * The byte format of a finished campaign's compact delivery ledger (docs/architecture.md,
 * "The delivery ledger after a campaign ends"). Pure functions, no Redis.
 *
 * A bucket holds the deliveries of 256 consecutive subscriber ids (`id div 256`), ascending, each:
 *
 *   u8 id mod 256 · varint kind · …
 *   kind 0 (queued): nothing more (a recipient of a cancelled campaign who was never tried)
 *   kind t + 1 (sent, reply template t): zigzag varint (at − previous at; the first from the
 *                    ledger's base time) · the reply: template 0 is verbatim (varint byte length,
 *                    UTF-8), any other template is followed by its holes
 *
 * A reply is stored as a shared template (the text with its variable parts cut out, kept once
 * per campaign) and the variable parts ("holes": runs of letters and digits with a digit in them,
 * like a queue id), each a header byte (kind · length) and its bytes: decimal numbers as a varint,
 * hex as nibbles, anything else as it is. The Message-ID is not stored: the send path writes
 * `<campaign id>.<subscriber id>@domain`, and the ledger keeps the domain once.
 */

/** Subscriber ids per bucket. */
export const IDS_PER_BUCKET = 256;
/** Templates one campaign may define; replies past that are kept verbatim. */
export const MAX_TEMPLATES = 1024;

export const TAG_SENT = 0;
export const TAG_QUEUED = 1;

/** One compact delivery: a sent message (time, reply) or a recipient never tried. */
export type CompactEntry = { id: number; tag: typeof TAG_SENT; at: number; reply: string } | { id: number; tag: typeof TAG_QUEUED };

const HOLE = '\u0000';
const KIND_RAW = 0;
const KIND_DEC = 1;
const KIND_LOWER_HEX = 2;
const KIND_UPPER_HEX = 3;

/**
 * A reply's template and holes, or null when it must be kept verbatim: text with an `@` (an
 * address must never land in a template shared by others, nor outlive an erasure in one), or
 * text too long or odd to cut up.
 */
export function splitReply(text: string): { template: string; holes: string[] } | null {
  if (text.includes('@') || text.includes(HOLE) || text.length > 500) return null;
  const holes: string[] = [];
  let template = '';
  let last = 0;
  // A word: letters and digits, maybe joined by . _ - (a queue id, a timestamp, a UUID).
  for (const w of text.matchAll(/[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*/g)) {
    const word = w[0];
    // The reply code at the start, an enhanced status code (2.0.0) and words without a digit
    // are the same from one reply to the next: they stay in the template.
    if (w.index === 0 || word.length < 3 || !/\d/.test(word) || /^\d\.\d{1,3}\.\d{1,3}$/.test(word)) continue;
    // Every run of letters and digits in the word is a hole; the joiners stay in the template.
    for (const m of word.matchAll(/[A-Za-z0-9]+/g)) {
      if (m[0].length > 63) return null;
      const at = w.index + m.index;
      template += text.slice(last, at) + HOLE;
      holes.push(m[0]);
      last = at + m[0].length;
    }
  }
  return { template: template + text.slice(last), holes };
}

/** The reply a template and its holes make. */
export function joinReply(template: string, holes: readonly string[]): string {
  const parts = template.split(HOLE);
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i++) out += (holes[i - 1] ?? '') + parts[i];
  return out;
}

/** How many holes a template has. */
export function holeCount(template: string): number {
  let n = 0;
  for (const ch of template) if (ch === HOLE) n++;
  return n;
}

/** A growable byte buffer. */
class Writer {
  private buf = Buffer.allocUnsafe(4096);
  length = 0;
  private room(n: number) {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  byte(b: number) {
    this.room(1);
    this.buf[this.length++] = b;
  }
  /** Unsigned varint of a safe integer (7 bits a byte). */
  varint(n: number) {
    this.room(8);
    while (n >= 0x80) {
      this.buf[this.length++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.length++] = n;
  }
  bytes(b: Buffer) {
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  done(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get more(): boolean {
    return this.pos < this.buf.length;
  }
  byte(): number {
    if (this.pos >= this.buf.length) throw new LedgerFormatError('bucket ends early');
    return this.buf[this.pos++] as number;
  }
  varint(): number {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = this.byte();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
      if (mul > 2 ** 56) throw new LedgerFormatError('varint too long');
    }
  }
  bytes(n: number): Buffer {
    if (this.pos + n > this.buf.length) throw new LedgerFormatError('bucket ends early');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** A compact bucket that does not decode: a bug or a hand edit. */
export class LedgerFormatError extends Error {
  constructor(detail: string) {
    super(`compact delivery ledger unreadable: ${detail}`);
    this.name = 'LedgerFormatError';
  }
}

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
const unzigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);

function writeHole(w: Writer, run: string) {
  if (/^[1-9]\d{0,14}$/.test(run)) {
    w.byte((KIND_DEC << 6) | run.length);
    w.varint(Number(run));
  } else if (/^[0-9a-f]+$/.test(run) || /^[0-9A-F]+$/.test(run)) {
    w.byte(((/^[0-9a-f]+$/.test(run) ? KIND_LOWER_HEX : KIND_UPPER_HEX) << 6) | run.length);
    w.bytes(Buffer.from(run.length % 2 ? `${run}0` : run, 'hex'));
  } else {
    w.byte((KIND_RAW << 6) | run.length);
    w.bytes(Buffer.from(run, 'latin1'));
  }
}

function readHole(r: Reader): string {
  const h = r.byte();
  const kind = h >> 6;
  const len = h & 0x3f;
  switch (kind) {
    case KIND_DEC:
      return String(r.varint());
    case KIND_LOWER_HEX:
    case KIND_UPPER_HEX: {
      const hex = r.bytes(Math.ceil(len / 2)).toString('hex').slice(0, len);
      return kind === KIND_UPPER_HEX ? hex.toUpperCase() : hex;
    }
    default:
      return r.bytes(len).toString('latin1');
  }
}

/** Templates of one campaign: number → template, and back. Number 0 is "verbatim". */
export class TemplateTable {
  private readonly byText = new Map<string, number>();
  private readonly byNumber = new Map<number, { text: string; holes: number }>();
  /** Templates added since {@link takeNew} was last called, to be stored. */
  private fresh: [number, string][] = [];

  constructor(stored: Iterable<[number, string]> = []) {
    for (const [n, text] of stored) this.set(n, text);
  }

  private set(n: number, text: string) {
    this.byText.set(text, n);
    this.byNumber.set(n, { text, holes: holeCount(text) });
  }

  get size(): number {
    return this.byNumber.size;
  }

  /** The number of a template, adding it when there is room; 0 when there is none. */
  numberOf(text: string): number {
    const known = this.byText.get(text);
    if (known !== undefined) return known;
    if (this.byNumber.size >= MAX_TEMPLATES) return 0;
    const n = this.byNumber.size + 1;
    this.set(n, text);
    this.fresh.push([n, text]);
    return n;
  }

  get(n: number): { text: string; holes: number } {
    const t = this.byNumber.get(n);
    if (!t) throw new LedgerFormatError(`no template ${n}`);
    return t;
  }

  /** The templates added since the last call (and forgets them as new). */
  takeNew(): [number, string][] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Puts templates back as new (their write did not go through). */
  giveBack(entries: [number, string][]) {
    this.fresh = [...entries, ...this.fresh];
  }
}

/** Encodes one bucket's entries (any order; written ascending by id). */
export function encodeBucket(entries: readonly CompactEntry[], base: number, templates: TemplateTable): Buffer {
  const w = new Writer();
  let prev = base;
  for (const e of [...entries].sort((a, b) => a.id - b.id)) {
    w.byte(e.id % IDS_PER_BUCKET);
    if (e.tag === TAG_QUEUED) {
      w.varint(0);
      continue;
    }
    const split = splitReply(e.reply);
    const n = split ? templates.numberOf(split.template) : 0;
    w.varint(n + 1);
    w.varint(zigzag(e.at - prev));
    prev = e.at;
    if (n === 0 || !split) {
      const b = Buffer.from(e.reply, 'utf8');
      w.varint(b.length);
      w.bytes(b);
    } else {
      for (const h of split.holes) writeHole(w, h);
    }
  }
  return w.done();
}

/** Decodes a bucket. `bucket` is its number (id div 256). */
export function decodeBucket(buf: Buffer, bucket: number, base: number, templates: Pick<TemplateTable, 'get'>): CompactEntry[] {
  const r = new Reader(buf);
  const out: CompactEntry[] = [];
  let prev = base;
  while (r.more) {
    const id = bucket * IDS_PER_BUCKET + r.byte();
    const kind = r.varint();
    if (kind === 0) {
      out.push({ id, tag: TAG_QUEUED });
      continue;
    }
    const n = kind - 1;
    const at = prev + unzigzag(r.varint());
    prev = at;
    let reply: string;
    if (n === 0) {
      reply = r.bytes(r.varint()).toString('utf8');
    } else {
      const t = templates.get(n);
      const holes: string[] = [];
      for (let i = 0; i < t.holes; i++) holes.push(readHole(r));
      reply = joinReply(t.text, holes);
    }
    out.push({ id, tag: TAG_SENT, at, reply });
  }
  return out;
}

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
 * per campaign) and the variable parts ("holes"). The ledger's meta hash says which format its
 * buckets are in (`v`; none is format 1), and both are read:
 * - format 1: the holes are the runs of letters and digits in words with a digit in them, each
 *   a header byte (kind · length) and its bytes: decimal numbers as a varint, hex as nibbles,
 *   anything else as it is;
 * - format 2 (written now): the template also says each hole's shape, so a hole is only its
 *   bytes, and times in replies are stored against the send time (ledger-shapes.ts). A reply
 *   whose shapes find no room in the campaign's templates falls back to format 1's holes under
 *   a template marked `*`, then to verbatim.
 * The Message-ID is not stored: the send path writes `<campaign id>.<subscriber id>@domain`, and
 * the ledger keeps the domain once.
 */
import { LedgerFormatError, Reader, unzigzag, Writer, zigzag } from './ledger-bytes.ts';
import { HOLE, keptVerbatim, parseKey, readShaped, type Shape, SHAPES, shapeReply, variableRuns, writeShaped } from './ledger-shapes.ts';

export { LedgerFormatError } from './ledger-bytes.ts';

/** The format new compactions write; a ledger's meta field `v` says its own (none: 1). */
export const LEDGER_FORMAT = 2;
export type LedgerFormat = 1 | 2;

/** Subscriber ids per bucket. */
export const IDS_PER_BUCKET = 256;
/** Templates one campaign may define; replies past that are kept verbatim. */
export const MAX_TEMPLATES = 1024;
/**
 * Format 2 templates with shapes stop this many short of {@link MAX_TEMPLATES}: replies of a
 * server whose holes change shape a lot then still get templates with format 1's holes.
 */
const SHAPED_TEMPLATES = MAX_TEMPLATES - 128;

export const TAG_SENT = 0;
export const TAG_QUEUED = 1;

/** One compact delivery: a sent message (time, reply) or a recipient never tried. */
export type CompactEntry = { id: number; tag: typeof TAG_SENT; at: number; reply: string } | { id: number; tag: typeof TAG_QUEUED };

const KIND_RAW = 0;
const KIND_DEC = 1;
const KIND_LOWER_HEX = 2;
const KIND_UPPER_HEX = 3;

/** A reply's template and holes in format 1, or null when it must be kept verbatim. */
export function splitReply(text: string): { template: string; holes: string[] } | null {
  if (keptVerbatim(text)) return null;
  const holes: string[] = [];
  let template = '';
  let last = 0;
  // Every variable run is a hole (format 1 keeps a run over 63 characters verbatim).
  for (const { at, run } of variableRuns(text)) {
    if (run.length > 63) return null;
    template += text.slice(last, at) + HOLE;
    holes.push(run);
    last = at + run.length;
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

  /** The number of a template, adding it when there are fewer than `limit`; 0 when there is no room. */
  numberOf(text: string, limit = MAX_TEMPLATES): number {
    const known = this.byText.get(text);
    if (known !== undefined) return known;
    if (this.byNumber.size >= Math.min(limit, MAX_TEMPLATES)) return 0;
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

/** Templates of format 2, parsed once (a key's text is the same in every campaign that has it). */
const parsed = new Map<string, ReturnType<typeof parseKey>>();
function parsedKey(key: string) {
  let p = parsed.get(key);
  if (!p) {
    p = parseKey(key);
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(key, p);
  }
  return p;
}

/** Writes a reply's template number + 1 and its holes (verbatim: 1, its length and text). */
function writeReply(w: Writer, reply: string, at: number, templates: TemplateTable, format: LedgerFormat, writeAt: () => void) {
  if (format === 2) {
    const shaped = shapeReply(reply, at);
    const n = shaped ? templates.numberOf(shaped.key, SHAPED_TEMPLATES) : 0;
    if (shaped && n > 0) {
      w.varint(n + 1);
      writeAt();
      shaped.holes.forEach((h, i) => writeShaped(w, shaped.shapes[i] as string, h, at));
      return;
    }
  }
  const split = splitReply(reply);
  const n = split ? templates.numberOf(format === 2 ? `${split.template}${SHAPES}*` : split.template) : 0;
  w.varint(n + 1);
  writeAt();
  if (n === 0 || !split) {
    const b = Buffer.from(reply, 'utf8');
    w.varint(b.length);
    w.bytes(b);
  } else {
    for (const h of split.holes) writeHole(w, h);
  }
}

function readReply(r: Reader, n: number, at: number, templates: Pick<TemplateTable, 'get'>, format: LedgerFormat): string {
  if (n === 0) return r.bytes(r.varint()).toString('utf8');
  const t = templates.get(n);
  const holes: string[] = [];
  if (format === 1) {
    for (let i = 0; i < t.holes; i++) holes.push(readHole(r));
    return joinReply(t.text, holes);
  }
  const { parts, shapes } = parsedKey(t.text);
  if (!shapes) {
    for (let i = 0; i < t.holes; i++) holes.push(readHole(r));
    return joinReply(parts.join(HOLE), holes);
  }
  let out = parts[0] as string;
  for (let i = 0; i < shapes.length; i++) out += readShaped(r, shapes[i] as Shape, at) + parts[i + 1];
  return out;
}

/** Encodes one bucket's entries (any order; written ascending by id) in `format`. */
export function encodeBucket(entries: readonly CompactEntry[], base: number, templates: TemplateTable, format: LedgerFormat = LEDGER_FORMAT): Buffer {
  const w = new Writer();
  let prev = base;
  for (const e of [...entries].sort((a, b) => a.id - b.id)) {
    w.byte(e.id % IDS_PER_BUCKET);
    if (e.tag === TAG_QUEUED) {
      w.varint(0);
      continue;
    }
    writeReply(w, e.reply, e.at, templates, format, () => {
      w.varint(zigzag(e.at - prev));
      prev = e.at;
    });
  }
  return w.done();
}

/** Decodes a bucket written in `format`. `bucket` is its number (id div 256). */
export function decodeBucket(buf: Buffer, bucket: number, base: number, templates: Pick<TemplateTable, 'get'>, format: LedgerFormat = LEDGER_FORMAT): CompactEntry[] {
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
    const at = prev + unzigzag(r.varint());
    prev = at;
    out.push({ id, tag: TAG_SENT, at, reply: readReply(r, kind - 1, at, templates, format) });
  }
  return out;
}

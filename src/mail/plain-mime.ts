/**
 * A light MIME reader for the plain shapes most returned mail has — a single `text/plain` body,
 * or one `multipart/report` / `multipart/mixed` level of 7bit/8bit parts (an RFC 3464 report,
 * an ARF report, a bounce with the returned message attached) — that gives what mailparser
 * would give for them, at a small fraction of its cost. Anything it cannot read exactly as
 * mailparser does (encoded bodies or words, other charsets, nested multiparts, attachments with
 * a disposition, unusual From/Subject/Message-ID fields) makes it answer `undefined`, and the
 * caller falls back to mailparser. test/unit/mail/plain-mime.test.ts holds the two readers to the
 * same answers on every fixture, on edge shapes and on reports cut short.
 */

/** What return-message.ts needs from a MIME parser. */
export interface MimeSummary {
  /** Top-level header fields in order: lowercased name, the raw field (folded as it came). */
  headerLines: ReadonlyArray<{ key: string; line: string }>;
  messageId: string | undefined;
  subject: string | undefined;
  /** First From address, lowercased, or ''. */
  from: string;
  /** Top-level Content-Type value, lowercased; undefined without a Content-Type field. */
  contentType: string | undefined;
  /** Its `report-type` parameter, as written. */
  reportType: string | undefined;
  /** The text parts (`text/plain`, `message/delivery-status`), decoded and joined. */
  text: string | undefined;
  /** Every other part: its media type and decoded bytes. */
  attachments: ReadonlyArray<{ contentType: string; content: Buffer }>;
}

interface Part {
  headers: Map<string, { count: number; value: string }>;
  lines: Array<{ key: string; line: string }>;
  body: string;
}

const TEXT_TYPES = new Set(['text/plain', 'message/delivery-status']);
const PLAIN_ENCODINGS = new Set(['7bit', '8bit', 'binary']);
const UTF8_CHARSETS = new Set(['ascii', 'usascii', 'utf8']);
const ADDR = String.raw`[^<>\s(),;:"@\\[\]]+@[^<>\s(),;:"@\\[\]]+`;
/** `a@b`, `<a@b>`, `Name <a@b>`, `"Name" <a@b>`, each with an optional trailing `(comment)`. */
const SIMPLE_ADDRESS = new RegExp(String.raw`^(?:(?:"[^"\\]*"|[A-Za-z0-9 ._'-]*)\s*<(${ADDR})>|(${ADDR}))(?:\s*\([^()"<>@\\]*\))?$`);

/**
 * Reads `raw` (the message as latin1 text, one character per byte) when it has one of the plain
 * shapes above; `undefined` means "ask mailparser".
 */
export function readPlainMime(raw: string): MimeSummary | undefined {
  const top = splitPart(raw, true);
  if (!top || top.lines.length === 0) return undefined;
  for (const name of ['from', 'subject', 'message-id', 'content-type', 'content-transfer-encoding', 'content-disposition']) {
    if ((top.headers.get(name)?.count ?? 0) > 1) return undefined;
  }
  if (!plainDisposition(top) || !plainEncoding(top)) return undefined;

  const messageIdField = top.headers.get('message-id');
  let messageId: string | undefined;
  if (messageIdField) {
    if (!/^<[^<>\s]+>$/.test(messageIdField.value)) return undefined;
    messageId = messageIdField.value;
  }
  const subjectField = top.headers.get('subject');
  if (subjectField && (!/^[\x20-\x7e]*$/.test(subjectField.value) || subjectField.value.includes('=?'))) return undefined;
  const fromField = top.headers.get('from');
  let from = '';
  if (fromField) {
    const m = SIMPLE_ADDRESS.exec(fromField.value);
    if (!m) return undefined;
    from = (m[1] ?? m[2] ?? '').toLowerCase();
  }
  const ct = contentTypeOf(top);
  if (ct === null) return undefined;
  const base = {
    headerLines: top.lines,
    messageId,
    subject: subjectField?.value,
    from,
    contentType: ct?.type,
    reportType: ct?.params.get('report-type'),
  };

  const type = ct?.type ?? 'text/plain';
  if (type === 'text/plain') {
    const text = textOf(top, ct);
    return text === undefined ? undefined : { ...base, text, attachments: [] };
  }
  if (type !== 'multipart/report' && type !== 'multipart/mixed') return undefined;
  const boundary = ct?.params.get('boundary');
  if (!boundary) return undefined;
  const bodies = splitMultipart(top.body, boundary);
  if (!bodies) return undefined;
  const texts: string[] = [];
  const attachments: Array<{ contentType: string; content: Buffer }> = [];
  for (const body of bodies) {
    const part = splitPart(body, false);
    if (!part || !plainDisposition(part) || !plainEncoding(part)) return undefined;
    const pct = contentTypeOf(part) ?? (part.lines.length === 0 ? { type: 'text/plain', params: new Map<string, string>() } : null);
    if (!pct) return undefined;
    if (pct.type.startsWith('multipart/') || pct.type === 'text/html' || pct.type === 'application/octet-stream') return undefined;
    if (TEXT_TYPES.has(pct.type)) {
      const text = textOf(part, pct);
      if (text === undefined) return undefined;
      texts.push(text);
    } else {
      // mailparser opens an inline message/rfc822 into the text (with its header fields): declined.
      if (part.headers.has('content-disposition')) return undefined;
      attachments.push({ contentType: pct.type, content: Buffer.from(part.body, 'latin1') });
    }
  }
  if (texts.length === 0) return undefined;
  return { ...base, text: texts.join('\n'), attachments };
}

/** Header fields and body of a message or part; undefined when its header block is not plain. */
function splitPart(raw: string, root: boolean): Part | undefined {
  // A part may start with its blank line: no header fields (a text/plain part, RFC 2046).
  const end = /^\r?\n/.exec(raw) ?? /\r?\n\r?\n/.exec(raw);
  if (!end) return undefined;
  const block = end.index === 0 ? [] : raw.slice(0, end.index).split(/\r?\n/);
  const lines: Array<{ key: string; line: string }> = [];
  let i = 0;
  if (root && /^From /i.test(block[0] ?? '')) {
    // An mbox separator line, as mailparser skips it (with any continuation lines).
    i = 1;
    while (i < block.length && /^[ \t]/.test(block[i] as string)) i++;
  }
  for (; i < block.length; i++) {
    const line = block[i] as string;
    if (/^[ \t]/.test(line)) {
      const last = lines[lines.length - 1];
      if (!last) return undefined;
      last.line += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || !/^[!-9;-~]+$/.test(line.slice(0, colon))) return undefined;
    lines.push({ key: line.slice(0, colon).toLowerCase(), line });
  }
  const headers = new Map<string, { count: number; value: string }>();
  for (const { key, line } of lines) {
    const seen = headers.get(key);
    if (seen) seen.count++;
    else headers.set(key, { count: 1, value: line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim() });
  }
  return { headers, lines, body: raw.slice(end.index + end[0].length) };
}

/** No Content-Disposition, or a bare `inline` (which changes nothing mailparser reports for a text part). */
function plainDisposition(part: Part): boolean {
  const d = part.headers.get('content-disposition');
  return !d || (d.count === 1 && /^inline$/i.test(d.value));
}

function plainEncoding(part: Part): boolean {
  const cte = part.headers.get('content-transfer-encoding');
  return !cte || PLAIN_ENCODINGS.has(cte.value.toLowerCase());
}

/**
 * The Content-Type's value and parameters; undefined when there is none, null when it cannot be
 * read plainly (RFC 2231 parameters, stray quotes).
 */
function contentTypeOf(part: Part): { type: string; params: Map<string, string> } | undefined | null {
  const field = part.headers.get('content-type');
  if (!field) return undefined;
  const [first, ...rest] = splitParams(field.value);
  if (first === undefined || !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/i.test(first.trim())) return null;
  const params = new Map<string, string>();
  for (const p of rest) {
    if (p.trim() === '') continue;
    const m = /^\s*([a-z0-9_.-]+)\s*=\s*(?:"([^"\\]*)"|([^\s";]+))\s*$/i.exec(p);
    if (!m) return null;
    const name = (m[1] as string).toLowerCase();
    if (params.has(name)) return null;
    params.set(name, m[2] ?? (m[3] as string));
  }
  return { type: first.trim().toLowerCase(), params };
}

/** Splits on `;` outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

/** A text part's text as mailparser decodes it (UTF-8, LF line ends); undefined for other charsets and format=flowed. */
function textOf(part: Part, ct: { params: Map<string, string> } | undefined): string | undefined {
  const charset = (ct?.params.get('charset') ?? 'utf-8').toLowerCase().replace(/[^a-z0-9]+/g, '');
  if (!UTF8_CHARSETS.has(charset) || (ct?.params.get('format') ?? '').toLowerCase() === 'flowed') return undefined;
  return Buffer.from(part.body, 'latin1').toString('utf8').replace(/\r?\n/g, '\n');
}

/** The bodies between the boundary lines; undefined when a line only starts like one, or there is none. */
function splitMultipart(body: string, boundary: string): string[] | undefined {
  const delimiter = `--${boundary}`;
  const parts: string[] = [];
  let partStart = -1;
  let from = 0;
  for (;;) {
    const at = body.indexOf(delimiter, from);
    if (at < 0) {
      // Cut short (no closing line, as in a report truncated at RETURN_MESSAGE_READ_BYTES): the last part runs to the end.
      if (partStart < 0) return undefined;
      parts.push(body.slice(partStart));
      return parts;
    }
    from = at + delimiter.length;
    if (at > 0 && body[at - 1] !== '\n') continue;
    const eol = body.indexOf('\n', from);
    const rest = body.slice(from, eol < 0 ? body.length : eol).replace(/\r$/, '');
    if (rest !== '' && rest !== '--') return undefined;
    if (partStart >= 0) {
      const breakLength = at >= 2 && body[at - 2] === '\r' ? 2 : 1;
      if (at - breakLength < partStart) return undefined;
      parts.push(body.slice(partStart, at - breakLength));
    }
    if (rest === '--') return parts;
    if (eol < 0) return undefined;
    partStart = eol + 1;
    from = partStart;
  }
}

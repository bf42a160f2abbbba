/**
 * Returned mail, read: the parts the classifier looks at, from any message however broken.
 * MIME is mailparser's job; this keeps the structured report parts (RFC 3464
 * `message/delivery-status`, RFC 5965 `message/feedback-report`) as text, and a search text —
 * the raw message plus every decoded part — in which the return tokens of our own headers are
 * looked for (a returned copy may be inline, attached, or base64-encoded).
 */
import { simpleParser } from 'mailparser';

/** Only this much of a message is read: reports put what matters first. */
export const RETURN_MESSAGE_READ_BYTES = 2 * 1024 * 1024;

export interface ReturnMessage {
  /** The report's own Message-ID (with its angle brackets), when it has one. */
  messageId: string | undefined;
  subject: string;
  /** The From address, lowercased. */
  from: string;
  /** Top-level media type, lowercased (`multipart/report`). */
  contentType: string;
  /** The `report-type` parameter of a multipart/report. */
  reportType: string | undefined;
  /** Top-level header fields by lowercased name (first occurrence, unfolded). */
  headers: ReadonlyMap<string, string>;
  /** The human-readable text (first text part, decoded), at most 64 KB. */
  text: string;
  /** The delivery-status part's text (RFC 3464), when present. */
  deliveryStatus: string | undefined;
  /** The feedback-report part's text (RFC 5965), when present. */
  feedbackReport: string | undefined;
  /** Raw message and decoded parts, for finding our tokens. */
  searchText: string;
  /** True when nothing could be parsed as MIME (binary junk): only the raw text was kept. */
  unparsed: boolean;
}

const TEXT_LIMIT = 64 * 1024;

/** Parses returned mail. Never throws: a message that is not MIME comes back `unparsed`. */
export async function readReturnMessage(raw: Buffer): Promise<ReturnMessage> {
  const head = raw.length > RETURN_MESSAGE_READ_BYTES ? raw.subarray(0, RETURN_MESSAGE_READ_BYTES) : raw;
  const rawText = head.toString('latin1');
  try {
    const parsed = await simpleParser(head, { skipHtmlToText: true, skipTextLinks: true, skipImageLinks: true, skipTextToHtml: true, maxHtmlLengthToParse: 1 });
    const headers = new Map<string, string>();
    for (const line of parsed.headerLines) {
      const name = line.key.toLowerCase();
      if (!headers.has(name)) headers.set(name, line.line.slice(line.line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim());
    }
    const ct = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
    let deliveryStatus: string | undefined;
    let feedbackReport: string | undefined;
    const decoded: string[] = [];
    for (const a of parsed.attachments) {
      const type = a.contentType.toLowerCase();
      const text = a.content.subarray(0, TEXT_LIMIT * 4).toString('utf8');
      if (/^(message|text)\/(global-)?delivery-status$/.test(type)) deliveryStatus ??= text;
      else if (type === 'message/feedback-report') feedbackReport ??= text;
      decoded.push(text);
    }
    // mailparser folds message/delivery-status (and some feedback-report) parts into the text;
    // read them from the raw message by their Content-Type, or from the text by their fields.
    deliveryStatus ??= rawPart(rawText, /^content-type:[ \t]*(message|text)\/(global-)?delivery-status\b/im) ?? fieldBlock(parsed.text ?? '', /^(reporting-mta|final-recipient|original-recipient):/im);
    feedbackReport ??= rawPart(rawText, /^content-type:[ \t]*message\/feedback-report\b/im);
    const text = (parsed.text ?? '').slice(0, TEXT_LIMIT);
    const from = parsed.from?.value[0]?.address?.toLowerCase() ?? '';
    return {
      messageId: parsed.messageId,
      subject: parsed.subject ?? '',
      from,
      contentType: (ct?.value ?? 'text/plain').toLowerCase(),
      reportType: ct?.params?.['report-type']?.toLowerCase(),
      headers,
      text,
      deliveryStatus,
      feedbackReport,
      searchText: [rawText, text, ...decoded].join('\n'),
      unparsed: parsed.headerLines.length === 0,
    };
  } catch {
    return {
      messageId: undefined,
      subject: '',
      from: '',
      contentType: 'application/octet-stream',
      reportType: undefined,
      headers: new Map(),
      text: '',
      deliveryStatus: undefined,
      feedbackReport: undefined,
      searchText: rawText,
      unparsed: true,
    };
  }
}

/**
 * Header-style fields of a report part (`Status: 5.1.1`), one group per blank-line-separated
 * block (RFC 3464: per-message fields, then one block per recipient). Names lowercased, values
 * unfolded; the first occurrence of a name in a block wins.
 */
export function reportFields(text: string): Map<string, string>[] {
  const blocks: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size) blocks.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      current.set(last, `${current.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    last = (m[1] as string).toLowerCase();
    if (!current.has(last)) current.set(last, (m[2] as string).trim());
    else last = undefined;
  }
  if (current.size) blocks.push(current);
  return blocks;
}

/** The body of the first MIME part whose header matches `typeLine` (its headers skipped, up to the next boundary line). */
function rawPart(raw: string, typeLine: RegExp): string | undefined {
  const m = typeLine.exec(raw);
  if (!m) return undefined;
  const rest = raw.slice(m.index);
  const bodyStart = /\r?\n\r?\n/.exec(rest);
  if (!bodyStart) return undefined;
  const body = rest.slice(bodyStart.index + bodyStart[0].length);
  const end = /^--\S/m.exec(body);
  return (end ? body.slice(0, end.index) : body).slice(0, TEXT_LIMIT);
}

/** From the first line matching `start` to the end of the text: DSN fields that were decoded into the text. */
function fieldBlock(text: string, start: RegExp): string | undefined {
  const m = start.exec(text);
  return m ? text.slice(m.index, m.index + TEXT_LIMIT) : undefined;
}

/**
 * The complete RFC 5322 message for a campaign, built once, then rendered per recipient by
 * concatenating Buffers. This is the send path's hot loop: per message it QP-encodes only the
 * few recipient values (name, address, links) and writes five short header fields; the
 * template's static text — nearly all of the bytes — was encoded when the campaign started.
 *
 * Layout of every message:
 * ```
 * From, [Reply-To], To, Subject, Date, Message-ID, MIME-Version, List-Unsubscribe,
 * List-Unsubscribe-Post, List-Id, Feedback-ID, Content-Type: multipart/alternative
 *   text/plain; charset=utf-8, quoted-printable
 *   text/html; charset=utf-8, quoted-printable
 * ```
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { CompiledEmail, Recipient, Template, Slot } from '../domain/compiled-email.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { fillTemplate, htmlSlotValues, slotValues } from '../domain/personalization.ts';
import { relaxedBodyHash, relaxedLines } from './dkim-body.ts';
import { HeaderValueError, MAX_LINE, foldHeader, headerAddress, mailbox, phrase, singleLine, unstructuredHeader } from './mime-header.ts';
import { encodeQuotedPrintable } from './quoted-printable.ts';
import type { OutgoingMessage } from './transport.ts';

/** What a campaign's messages are built from. */
export interface CampaignMessageOptions {
  compiled: CompiledEmail;
  newsletter: Newsletter;
  /** The campaign and the list it goes to: they name the List-Id and Feedback-ID. */
  campaign: { id: string; listId: string };
  /** Put before the subject with a space, e.g. `[TEST]` for a test send. Default none. */
  subjectPrefix?: string | undefined;
  /**
   * Address for the List-Unsubscribe `mailto:` (a mailbox the unsubscribe handler reads).
   * Default `unsubscribe@<From domain>`.
   */
  unsubscribeAddress?: string | undefined;
  /** SMTP MAIL FROM (where bounces go). Default the newsletter's From address. */
  envelopeFrom?: string | undefined;
  /** Clock for the Date header. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
  /**
   * A header that repeats the Message-ID (without its brackets) for an ESP that reports only
   * headers of its own naming back in its webhooks, e.g. Postmark's `X-PM-Metadata-…`. Default none.
   */
  messageIdEchoHeader?: string | undefined;
}

/** Per-message options. */
export interface RenderOptions {
  /**
   * Local part for the Message-ID (`<local@from-domain>`), e.g. derived from the delivery id so
   * a copy re-sent after a crash carries the same Message-ID and mailbox providers that
   * de-duplicate on it drop the repeat. Default a random UUID.
   */
  messageIdLocal?: string | undefined;
  /**
   * This message's envelope sender, e.g. `bounces+<token>@<bounce domain>` so a bounce names its
   * delivery (VERP). Default the campaign's `envelopeFrom`.
   */
  returnPath?: string | undefined;
  /** This message's List-Unsubscribe mailto address, e.g. `unsubscribe+<token>@…`. Default the campaign's. */
  unsubscribeAddress?: string | undefined;
}

/** A campaign's message, ready to render for any number of recipients. */
export interface CampaignMessage {
  /**
   * One recipient's complete message: raw bytes, envelope and Message-ID. Microseconds.
   * Throws {@link HeaderValueError} for an address or unsubscribe link that cannot be written
   * into a header (it would break or forge header fields).
   */
  render(recipient: Recipient, options?: RenderOptions): OutgoingMessage;
}

/** A template part with its slots: static QP-encoded Buffers and the tokens between them. */
type Segment = Buffer | Slot;

const CRLF = '\r\n';

/**
 * Builds a campaign's message once: encodes the From/List headers and every static part of the
 * text and HTML templates. Throws {@link HeaderValueError} when the newsletter's addresses or
 * the campaign ids cannot be written into a header.
 */
export function prepareCampaignMessage(options: CampaignMessageOptions): CampaignMessage {
  const { compiled, newsletter, campaign } = options;
  const fromAddress = headerAddress('newsletter.from.address', newsletter.from.address);
  const domain = (fromAddress.split('@')[1] as string).toLowerCase();
  const envelopeFrom = headerAddress('envelopeFrom', options.envelopeFrom ?? fromAddress);
  const unsubscribeAddress = headerAddress('unsubscribeAddress', options.unsubscribeAddress ?? `unsubscribe@${domain}`);
  const now = options.now ?? (() => new Date());
  const prefix = options.subjectPrefix ? `${singleLine(options.subjectPrefix).trim()} ` : '';
  const boundary = `=_nd_${randomBytes(12).toString('hex')}`;

  const headersBefore = [
    foldHeader('From', mailbox('newsletter.from', newsletter.from)),
    ...(newsletter.replyTo ? [foldHeader('Reply-To', mailbox('newsletter.replyTo', newsletter.replyTo))] : []),
  ].join(CRLF);
  const staticHeaders = [
    'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    foldHeader('List-Id', `${phrase(newsletter.name)} <${atom(campaign.listId).toLowerCase()}.${newsletter.id}.${domain}>`),
    foldHeader('Feedback-ID', `${atom(campaign.id)}:${atom(campaign.listId)}:${atom(newsletter.id)}:newsdesk`),
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
    '',
    `--${boundary}`,
    partHeaders('plain'),
  ].join(CRLF);

  // Static segments carry the boundary lines and part headers; the per-message head ends
  // right after List-Unsubscribe, so the first segment starts with the static headers.
  const textPart = encodeTemplate(compiled.text, staticHeaders, `${CRLF}--${boundary}${CRLF}${partHeaders('html')}`);
  const htmlPart = encodeTemplate(compiled.html, '', `${CRLF}--${boundary}--${CRLF}`);
  // Slots up to the seam between the parts are filled with raw values, after it with HTML-escaped ones.
  const seam = textPart.length - 1;
  const segments: Segment[] = [
    ...textPart.slice(0, seam),
    Buffer.concat([textPart[seam] as Buffer, htmlPart[0] as Buffer]),
    ...htmlPart.slice(1),
  ];

  const relaxedStatic = relaxedSegments(segments);

  const echoHeader = options.messageIdEchoHeader;
  if (echoHeader !== undefined && !/^[A-Za-z0-9-]{1,76}$/.test(echoHeader)) {
    throw new HeaderValueError('messageIdEchoHeader', `not a header field name: ${JSON.stringify(echoHeader)}`);
  }
  let dateSecond = -1;
  let dateHeader = '';

  return {
    render(recipient, renderOptions) {
      const to = headerAddress('recipient.email', recipient.email);
      const unsubscribeUrl = headerUrl('recipient.unsubscribeUrl', recipient.unsubscribeUrl);
      const raw = slotValues(recipient, compiled.greetingFallback);
      const messageId = `<${messageIdLocal(renderOptions?.messageIdLocal)}@${domain}>`;

      // The Date header changes once a second; formatting it is the costliest header.
      const t = now();
      const second = Math.floor(t.getTime() / 1000);
      if (second !== dateSecond) {
        dateSecond = second;
        dateHeader = `Date: ${t.toUTCString().replace(/GMT$/, '+0000')}`;
      }
      const listUnsubscribe = `List-Unsubscribe: <${unsubscribeUrl}>,`;
      const mailtoAddress = renderOptions?.unsubscribeAddress === undefined ? unsubscribeAddress : headerAddress('unsubscribeAddress', renderOptions.unsubscribeAddress);
      const mailto = ` <mailto:${mailtoAddress}?subject=unsubscribe>`;
      const from = renderOptions?.returnPath === undefined ? envelopeFrom : headerAddress('returnPath', renderOptions.returnPath);
      const head = [
        headersBefore,
        `To: ${to}`,
        unstructuredHeader('Subject', prefix + fillTemplate(compiled.subject, raw)),
        dateHeader,
        `Message-ID: ${messageId}`,
        ...(echoHeader ? [`${echoHeader}: ${messageId.slice(1, -1)}`] : []),
        'MIME-Version: 1.0',
        // One field, both URIs; the mailto goes on a continuation line when the pair is long.
        listUnsubscribe.length + mailto.length <= 78 ? listUnsubscribe + mailto : listUnsubscribe + CRLF + mailto,
        '',
      ].join(CRLF);

      const html = htmlSlotValues(raw);
      const textEncoded: Partial<Record<Slot, Buffer>> = {};
      const htmlEncoded: Partial<Record<Slot, Buffer>> = {};
      const chunks: Buffer[] = [Buffer.from(head, 'latin1')];
      let length = (chunks[0] as Buffer).length;
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i] as Segment;
        let chunk: Buffer;
        if (typeof segment !== 'string') chunk = segment;
        else if (i > seam) chunk = htmlEncoded[segment] ??= encodeValue(html[segment]);
        else chunk = textEncoded[segment] ??= encodeValue(raw[segment]);
        chunks.push(chunk);
        length += chunk.length;
      }
      const message: OutgoingMessage = { envelope: { from, to }, raw: Buffer.concat(chunks, length), messageId, smtpReady: true };
      if (relaxedStatic) message.relaxedBodyHash = () => relaxedHashOf(relaxedStatic, message.raw, chunks);
      return message;
    },
  };
}

/**
 * DKIM's relaxed form of the static segments, made once per campaign, so a signature needs only
 * the per-reader values canonicalized (src/mail/dkim-body.ts says why pieces may be). `body0`:
 * where the body starts in the first segment (the message's blank line is in it). Undefined when
 * the pieces do not allow it; then the signer canonicalizes each whole body itself.
 */
interface RelaxedSegments {
  body0: number;
  pieces: (Buffer | undefined)[];
}

function relaxedSegments(segments: Segment[]): RelaxedSegments | undefined {
  const first = segments[0];
  const last = segments[segments.length - 1];
  if (first === undefined || typeof first === 'string' || typeof last === 'string') return undefined;
  const blank = first.indexOf('\r\n\r\n');
  if (blank === -1) return undefined;
  const body0 = blank + 4;
  const pieces: (Buffer | undefined)[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if (typeof segment === 'string') {
      pieces.push(undefined);
      continue;
    }
    const relaxed = relaxedLines(i === 0 ? segment.subarray(body0) : segment);
    if (!relaxed) return undefined;
    pieces.push(relaxed);
  }
  // Empty lines at the body's end are dropped by the rules: the last piece must end on a line
  // with content, so that nothing before it is at the end.
  const end = pieces[pieces.length - 1] as Buffer;
  if (end.length < 3 || (end[end.length - 3] === 10 && end[end.length - 4] === 13)) return undefined;
  return { body0, pieces };
}

/** `bh=` for one rendered message: the static pieces as made once, the reader's values relaxed now. */
function relaxedHashOf(relaxed: RelaxedSegments, raw: Buffer, chunks: Buffer[]): string | undefined {
  // chunks[0] is this message's own head; the blank line must be the first segment's.
  if (raw.indexOf('\r\n\r\n') !== (chunks[0] as Buffer).length + relaxed.body0 - 4) return undefined;
  const pieces: Buffer[] = [];
  for (let i = 0; i < relaxed.pieces.length; i++) {
    const piece = relaxed.pieces[i] ?? relaxedLines(chunks[i + 1] as Buffer);
    if (!piece) return undefined;
    pieces.push(piece);
  }
  return relaxedBodyHash(pieces);
}

/** A template as segments: `before + parts[0]`, slot, `parts[1]`, … `parts[n] + after`, static parts QP-encoded. */
function encodeTemplate(template: Template, before: string, after: string): Segment[] {
  const segments: Segment[] = [];
  const { parts, slots } = template;
  for (let i = 0; i < parts.length; i++) {
    const isLast = i === parts.length - 1;
    // Every part but the last ends at a line start (soft break), so a slot value starts fresh.
    const body = encodeQuotedPrintable(parts[i] as string, !isLast);
    segments.push(Buffer.from((i === 0 ? before : '') + body + (isLast ? after : ''), 'latin1'));
    if (!isLast) segments.push(slots[i] as Slot);
  }
  return segments;
}

/** Headers of one body part, through the blank line that ends them. */
function partHeaders(subtype: 'plain' | 'html'): string {
  return `Content-Type: text/${subtype}; charset=utf-8${CRLF}Content-Transfer-Encoding: quoted-printable${CRLF}${CRLF}`;
}

function encodeValue(value: string): Buffer {
  return Buffer.from(encodeQuotedPrintable(value, true), 'latin1');
}

/** Ids in List-Id and Feedback-ID must be atom text without dots or colons (their separators). */
function atom(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]+/g, '-');
}

function messageIdLocal(given: string | undefined): string {
  if (given === undefined) return randomUUID();
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}$/.test(given)) {
    throw new HeaderValueError('messageIdLocal', `not usable in a Message-ID: ${JSON.stringify(given)}`);
  }
  return given;
}

/** A link for List-Unsubscribe: http(s), printable ASCII, nothing that would end the `<…>`. */
function headerUrl(field: string, url: string): string {
  if (!/^https?:\/\/[\x21-\x7e]+$/.test(url) || /[<>]/.test(url) || url.length > MAX_LINE - 40) {
    throw new HeaderValueError(field, `not a link that can be written into List-Unsubscribe: ${JSON.stringify(url)}`);
  }
  return url;
}

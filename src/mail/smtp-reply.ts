/**
 * SMTP replies (RFC 5321 §4.2): reading them off a connection, one line or many, what an EHLO
 * reply says the server can do, and the error an SMTP client reports when things go wrong.
 */
import type { SmtpFailure } from './transport.ts';

/** One complete reply. */
export interface SmtpReply {
  /** The three-digit code, e.g. 250. */
  code: number;
  /** The whole reply as the server sent it, lines joined by `\n`: `250-a\n250 b`. */
  text: string;
  /** Each line's text after the code and separator: `['a', 'b']`. */
  lines: string[];
}

/**
 * A failed SMTP step, carrying the {@link SmtpFailure} fields `classifySmtpFailure` maps to an
 * outcome. `code` names the kind (`EENVELOPE`, `EMESSAGE`, `EAUTH`, `ETLS`, `ETIMEDOUT`,
 * `ECONNECTION`, a system code such as `ECONNREFUSED`…), `command` the step (`CONN` covers
 * connecting, the greeting and EHLO), and a server's refusal is in `responseCode`/`response`.
 */
export class SmtpError extends Error implements SmtpFailure {
  readonly command: string | undefined;
  readonly responseCode: number | undefined;
  readonly response: string | undefined;

  constructor(
    readonly code: string,
    message: string,
    details: { command?: string | undefined; reply?: SmtpReply | undefined; cause?: unknown } = {},
  ) {
    super(details.reply ? `${message}: ${details.reply.text}` : message, { cause: details.cause });
    this.name = 'SmtpError';
    this.command = details.command;
    this.responseCode = details.reply?.code;
    this.response = details.reply?.text;
  }
}

// A reply line longer than this is no SMTP server we want to talk to (RFC 5321 allows 512).
const MAX_PENDING = 64 * 1024;
const REPLY_LINE = /^([2-5]\d\d)([ -]|$)/;

/**
 * Turns the bytes a server sends into replies. Feed it every chunk in order; it returns the
 * replies each chunk completed (usually one, several when commands were pipelined).
 */
export class SmtpReplyReader {
  private pending = '';
  private lines: string[] = [];
  private text: string[] = [];

  /** @throws SmtpError (`EPROTOCOL`) on a line that is not part of an SMTP reply. */
  push(chunk: Buffer): SmtpReply[] {
    // latin1 keeps one char per byte; replies are ASCII in practice, and this never throws.
    this.pending += chunk.toString('latin1');
    const replies: SmtpReply[] = [];
    let start = 0;
    for (let end = this.pending.indexOf('\n'); end !== -1; end = this.pending.indexOf('\n', start)) {
      // Some servers end lines with a bare LF; accept it.
      const line = this.pending.slice(start, this.pending.charCodeAt(end - 1) === 13 ? end - 1 : end);
      start = end + 1;
      const m = REPLY_LINE.exec(line);
      if (!m) throw new SmtpError('EPROTOCOL', `not an SMTP reply: ${JSON.stringify(line.slice(0, 200))}`);
      this.text.push(line);
      this.lines.push(line.slice(4));
      if (m[2] !== '-') {
        replies.push({ code: Number(m[1]), text: this.text.join('\n'), lines: this.lines });
        this.text = [];
        this.lines = [];
      }
    }
    this.pending = this.pending.slice(start);
    if (this.pending.length > MAX_PENDING) throw new SmtpError('EPROTOCOL', `reply line longer than ${MAX_PENDING} bytes`);
    return replies;
  }

  /** Forgets any partial reply: after STARTTLS nothing sent in clear may be trusted. */
  reset(): void {
    this.pending = '';
    this.lines = [];
    this.text = [];
  }
}

/** What a server announced in its EHLO reply. */
export interface SmtpExtensions {
  /** RFC 2920: commands may be sent without waiting for each reply. */
  pipelining: boolean;
  /** RFC 1870: the largest message the server takes, in bytes; `undefined` when not announced or unlimited. */
  size: number | undefined;
  /** True when the server announced SIZE at all (then MAIL FROM may carry `SIZE=`). */
  sizeAnnounced: boolean;
  starttls: boolean;
  /** SASL mechanisms, upper case: `PLAIN`, `LOGIN`… */
  auth: Set<string>;
  eightBitMime: boolean;
  smtpUtf8: boolean;
  enhancedStatusCodes: boolean;
}

/** Extensions of a server that answered HELO only: none. */
export function noExtensions(): SmtpExtensions {
  return {
    pipelining: false,
    size: undefined,
    sizeAnnounced: false,
    starttls: false,
    auth: new Set(),
    eightBitMime: false,
    smtpUtf8: false,
    enhancedStatusCodes: false,
  };
}

/** Reads the extension lines of a 250 EHLO reply (the first line is the server's greeting). */
export function parseEhlo(reply: SmtpReply): SmtpExtensions {
  const ext = noExtensions();
  for (const line of reply.lines.slice(1)) {
    // `AUTH=PLAIN LOGIN` is an old form some servers still send next to `AUTH PLAIN LOGIN`.
    const [keyword = '', ...params] = line.trim().toUpperCase().split(/[\s=]+/);
    switch (keyword) {
      case 'PIPELINING':
        ext.pipelining = true;
        break;
      case 'SIZE': {
        ext.sizeAnnounced = true;
        const limit = Number(params[0]);
        // `SIZE` or `SIZE 0` means no fixed limit.
        if (Number.isSafeInteger(limit) && limit > 0) ext.size = limit;
        break;
      }
      case 'STARTTLS':
        ext.starttls = true;
        break;
      case 'AUTH':
        for (const mechanism of params) ext.auth.add(mechanism);
        break;
      case '8BITMIME':
        ext.eightBitMime = true;
        break;
      case 'SMTPUTF8':
        ext.smtpUtf8 = true;
        break;
      case 'ENHANCEDSTATUSCODES':
        ext.enhancedStatusCodes = true;
        break;
    }
  }
  return ext;
}

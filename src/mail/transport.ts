/**
 * The `MailTransport` port: what the send pipeline needs from "something that speaks SMTP",
 * and the one place SMTP replies and network errors become outcomes (SMTP replies are mapped
 * once: 5xx permanent, 4xx and network errors transient). An outcome is a return value; `send` rejects only on a programming error.
 */

/** One finished message, ready for the wire. */
export interface OutgoingMessage {
  /** SMTP envelope: MAIL FROM (the bounce address) and RCPT TO. */
  envelope: { from: string; to: string };
  /** The complete RFC 5322 message, CRLF line ends. */
  raw: Buffer;
  /** The Message-ID header's value, with angle brackets, as written into `raw`. */
  messageId: string;
  /**
   * `raw` is already what SMTP DATA needs (CRLF line ends only, no line opening with `.`, a CRLF
   * at the end) and 7-bit ASCII, so the client sends it without checking it byte by byte (the
   * largest share of its CPU per message). Set by `campaign-message.ts`, whose tests hold it to it.
   */
  smtpReady?: boolean;
  /**
   * DKIM's body hash of `raw` (`bh=`, SHA-256 of the relaxed body, base64), computed on demand by
   * a builder that can do it cheaper than the signer, or undefined when it cannot for this
   * message: the signer then canonicalizes the body itself. Set by `campaign-message.ts`, whose
   * tests hold it equal to the signer's own (src/mail/dkim-body.ts).
   */
  relaxedBodyHash?: (() => string | undefined) | undefined;
}

/** The server took the message (250). It says nothing about delivery or reading. */
export interface SendSent {
  status: 'sent';
  /** The server's reply, e.g. `250 2.0.0 Ok: queued as 4F1A2`. */
  response: string;
  messageId: string;
}

/** The message was not taken; `kind` tells whether trying again later can help. */
export interface SendFailed {
  status: 'failed';
  /** `transient`: 4xx, timeouts, network trouble — retry later. `permanent`: 5xx — do not. */
  kind: 'transient' | 'permanent';
  /** Permanent and about the address itself (enhanced status 5.1.x): suppress the subscriber. */
  hardBounce: boolean;
  /** The basic reply code (421, 550…), when a server answered. */
  code?: number;
  /** The enhanced status code (RFC 3463, `5.1.1`), when the reply carried one. */
  enhancedCode?: string;
  /** The server's reply, or what went wrong on the way to it. */
  response: string;
  /**
   * Set when the failure is about newsdesk's SMTP settings (certificate, login, relay refused;
   * see smtp-setup-problem.ts): one sentence naming the setting to change. No retry can help and
   * no recipient is at fault, so the send pipeline pauses the campaign with it.
   */
  setupProblem?: string;
}

export type SendOutcome = SendSent | SendFailed;

/** What the send pipeline talks to. Implementations: the SMTP adapter (production and dev outbox). */
export interface MailTransport {
  /** Hands one message to the server. Resolves with an outcome; never rejects for an SMTP or network failure. */
  send(msg: OutgoingMessage): Promise<SendOutcome>;
  /** Connects and logs in once, so bad settings fail at start-up. Rejects with a `NewsdeskError`. */
  verify(): Promise<void>;
  /** Closes connections and anything the transport started. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * What an SMTP client reports about a failure: nodemailer's error fields, which are also the
 * fields of a Node system error (`code: 'ECONNREFUSED'`).
 */
export interface SmtpFailure {
  /** Basic reply code when a server answered. */
  responseCode?: number | undefined;
  /** The server's reply line(s). */
  response?: string | undefined;
  /** nodemailer's (`ECONNECTION`, `EAUTH`…) or the system's (`ECONNRESET`) error code. */
  code?: string | undefined;
  /** The SMTP stage the failure happened in; `CONN` is connecting and the greeting. */
  command?: string | undefined;
  message?: string | undefined;
}

// Failures about the sender's own setup or the link to the server, not about this message:
// retrying later (after the operator fixes it) is right, failing the recipient for good is not.
const SENDER_SIDE = new Set(['EAUTH', 'ENOAUTH', 'EOAUTH2', 'ETLS', 'EREQUIRETLS', 'EPROXY', 'ECONFIG']);

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3}$/;

/** Pulls `5.1.1` out of `550 5.1.1 <x@y>: Recipient address rejected` (or `550-5.1.1 …`). */
export function enhancedCodeOf(response: string | undefined): string | undefined {
  const m = /^\d{3}[ -](\d\.\d{1,3}\.\d{1,3})\b/.exec(response?.trim() ?? '');
  return m && ENHANCED.test(m[1] as string) ? m[1] : undefined;
}

/**
 * Maps an SMTP failure to an outcome: 5xx permanent; 4xx, timeouts and network errors
 * transient; a permanent reply with enhanced status 5.1.x (bad mailbox or domain) is a
 * hard bounce. Replies during the greeting, a server's refusal of MAIL FROM (our sender
 * address) and sender-side problems (login, TLS) stay transient: they say nothing about
 * this recipient, and failing or suppressing every subscriber for them would be wrong.
 */
export function classifySmtpFailure(err: SmtpFailure): SendFailed {
  const response = (err.response ?? err.message ?? 'unknown error').trim();
  const code = err.responseCode ?? (Number(/^([2-5]\d\d)\b/.exec(response)?.[1]) || undefined);
  const enhancedCode = enhancedCodeOf(err.response);
  // A refusal of MAIL FROM is about our sender address, whatever its enhanced code says.
  const senderRefused = err.command === 'MAIL FROM';
  const permanent =
    code !== undefined &&
    code >= 500 &&
    code < 600 &&
    err.command !== 'CONN' &&
    !senderRefused &&
    !SENDER_SIDE.has(err.code ?? '');
  // nodemailer refuses a malformed envelope itself, before any server sees it: no retry can fix that.
  const localReject = code === undefined && err.code === 'EENVELOPE';
  const kind = permanent || localReject ? 'permanent' : 'transient';
  const out: SendFailed = {
    status: 'failed',
    kind,
    hardBounce: permanent && (enhancedCode?.startsWith('5.1.') ?? false),
    response,
  };
  if (code !== undefined) out.code = code;
  if (enhancedCode !== undefined) out.enhancedCode = enhancedCode;
  return out;
}

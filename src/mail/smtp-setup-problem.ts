/**
 * SMTP failures that are about newsdesk's own settings, not about a message or a passing outage:
 * a relay certificate that does not verify, a refused login, a relay that demands one, a relay
 * that will not relay for us. Retrying cannot fix them, and failing recipients for them would be
 * wrong, so the worker refuses to start on one and a running campaign pauses on one, each with
 * one sentence that names the setting to change.
 */
import type { SmtpFailure } from './transport.ts';

/** Which setting fixes it, and the sentence to show (start-up error, campaign pause reason, log). */
export interface SmtpSetupProblem {
  setting: 'SMTP_URL' | 'SMTP_TLS_CA' | 'SMTP_TLS_SERVERNAME';
  /** One sentence, naming the setting; never the password. */
  sentence: string;
}

/** An SMTP failure, possibly with the system or TLS error under it (`cause`). */
export type SmtpFailureWithCause = SmtpFailure & { cause?: unknown };

// What Node (OpenSSL) calls a certificate that does not lead to a trusted CA.
const UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const RELAY_DENIED = /relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)|not permitted to relay|unable to relay/i;
const AUTH_REQUIRED = /authentication required|must authenticate|auth(entication)? first/i;

/** Every error code in the chain: the failure's own and its causes' (nodemailer and our client nest them). */
function codesOf(err: SmtpFailureWithCause): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * The setup problem behind `err`, or `undefined` when it is not one (a 4xx, a network error, a
 * recipient refused). `server` is how to name the relay (`smtp://mail.example.com:587`).
 */
export function smtpSetupProblem(err: SmtpFailureWithCause, server: string): SmtpSetupProblem | undefined {
  const codes = codesOf(err);
  const message = err.message ?? '';
  const reply = (err.response ?? '').trim();
  const detail = reply || message;

  if (codes.some((c) => UNTRUSTED.has(c)) || /self[- ]signed certificate|unable to (verify|get) .*certificate/i.test(message)) {
    return {
      setting: 'SMTP_TLS_CA',
      sentence: `the certificate of SMTP server ${server} is not signed by a trusted CA (${message}): set SMTP_TLS_CA to the PEM of the CA that signed it (or, to accept it unverified, SMTP_TLS_INSECURE=1)`,
    };
  }
  if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID') || /does not match certificate's altnames/i.test(message)) {
    return {
      setting: 'SMTP_TLS_SERVERNAME',
      sentence: `the certificate of SMTP server ${server} does not name that host (${message}): set SMTP_TLS_SERVERNAME to a name the certificate carries, or use that name in SMTP_URL`,
    };
  }
  if (codes.some((c) => EXPIRED.has(c))) {
    return {
      setting: 'SMTP_TLS_CA',
      sentence: `the certificate of SMTP server ${server} is outside its validity dates (${message}): the relay needs a current certificate (SMTP_TLS_INSECURE=1 accepts it unverified)`,
    };
  }
  const code = err.responseCode ?? Number(/^([2-5]\d\d)\b/.exec(reply)?.[1]);
  const command = err.command ?? '';
  if (codes.includes('EAUTH') || /^AUTH/.test(command)) {
    return {
      setting: 'SMTP_URL',
      sentence: `SMTP server ${server} refused the login (${detail}): check the user and password in SMTP_URL (percent-encoded)`,
    };
  }
  if (code === 530 || (code !== undefined && code >= 500 && AUTH_REQUIRED.test(reply))) {
    return {
      setting: 'SMTP_URL',
      sentence: `SMTP server ${server} requires a login (${detail}): put the user and password in SMTP_URL (smtp://user:pass@host:587)`,
    };
  }
  if (code !== undefined && code >= 500 && RELAY_DENIED.test(reply)) {
    return {
      setting: 'SMTP_URL',
      sentence: `SMTP server ${server} does not relay mail for newsdesk (${detail}): put a user and password that may relay in SMTP_URL, or allow this host on the relay`,
    };
  }
  if (codes.includes('ETLS') && /STARTTLS/.test(message)) {
    return {
      setting: 'SMTP_URL',
      sentence: `SMTP server ${server} cannot protect the password (${message}): use smtps:// in SMTP_URL, or a relay that offers STARTTLS`,
    };
  }
  return undefined;
}

/**
 * Amazon SNS's HTTP(S) deliveries (how SES hands bounces and complaints to a webhook): the
 * message envelope, and the check that SNS signed it.
 *
 * SNS signs a canonical "string to sign" made of some of the envelope's fields with the private
 * key of the certificate at `SigningCertURL`, RSA with SHA1 (`SignatureVersion` 1) or SHA256
 * (2). We accept a certificate only from `https://sns.<region>.amazonaws.com/….pem`, so a
 * forger cannot point us at a certificate of their own, and keep the ones fetched in memory.
 */
import { X509Certificate, createVerify } from 'node:crypto';
import { z } from 'zod';
import { boundedMemo } from '../../bounded-memo.ts';
import { NewsdeskError } from '../../domain/errors.ts';

/** The SNS envelope: a JSON object posted as `text/plain`. */
export const SnsMessage = z.object({
  Type: z.enum(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']),
  MessageId: z.string().min(1).max(200),
  TopicArn: z.string().min(1).max(400),
  Message: z.string(),
  Timestamp: z.string().min(1).max(64),
  SignatureVersion: z.enum(['1', '2']),
  Signature: z.string().min(1).max(2048),
  SigningCertURL: z.string().min(1).max(1000),
  Subject: z.string().optional(),
  Token: z.string().max(2048).optional(),
  SubscribeURL: z.string().max(2000).optional(),
});
export type SnsMessage = z.infer<typeof SnsMessage>;

/** The request did not come from SNS: a bad signature, an untrusted certificate URL. */
export class SnsSignatureError extends NewsdeskError {
  constructor(message: string) {
    super('webhook_unauthenticated', message);
  }
}

/** Fetches a URL over HTTPS and resolves to its body; injectable so tests serve their own. */
export type HttpsGet = (url: string) => Promise<string>;

/** A URL on an Amazon SNS regional host over HTTPS (no port, no user), or undefined. */
function snsUrl(url: string): URL | undefined {
  if (!URL.canParse(url)) return undefined;
  const u = new URL(url);
  const ok = u.protocol === 'https:' && /^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com$/.test(u.hostname) && u.port === '' && !u.username && !u.password;
  return ok ? u : undefined;
}

/** `https://sns.<region>.amazonaws.com/<anything>.pem`, nothing else. */
export function isTrustedCertUrl(url: string): boolean {
  return !!snsUrl(url)?.pathname.endsWith('.pem');
}

/**
 * The SubscribeURL SNS sends for `topicArn`: what confirming a subscription may fetch. It must
 * confirm that very topic (its `TopicArn` parameter), on the SNS host of the topic's own region
 * (`arn:aws:sns:<region>:…` → `sns.<region>.amazonaws.com`), so a signed confirmation can make us
 * fetch nothing but that one Amazon endpoint.
 */
export function isTrustedSubscribeUrl(url: string, topicArn: string): boolean {
  const u = snsUrl(url);
  const region = /^arn:aws:sns:([a-z0-9-]+):\d{12}:[A-Za-z0-9_-]{1,256}$/.exec(topicArn)?.[1];
  return (
    u !== undefined &&
    region !== undefined &&
    u.hostname === `sns.${region}.amazonaws.com` &&
    u.searchParams.get('Action') === 'ConfirmSubscription' &&
    u.searchParams.get('TopicArn') === topicArn
  );
}

/**
 * How old a signed SNS message may be: SNS gives up retrying an HTTP(S) delivery within an hour
 * ("the total policy retry time for an HTTP/S endpoint cannot be greater than 3,600 seconds"),
 * plus five minutes for clocks. Anything older is a replay — one that would outlive its dedupe mark.
 */
export const SNS_MAX_AGE_MS = 3_600_000 + 5 * 60_000;

/** Throws {@link SnsSignatureError} unless the message's signed `Timestamp` is within {@link SNS_MAX_AGE_MS} (and not five minutes ahead). */
export function checkSnsTimestamp(m: SnsMessage, now: number): void {
  const at = Date.parse(m.Timestamp);
  if (Number.isNaN(at)) throw new SnsSignatureError(`Timestamp: not a time: ${JSON.stringify(m.Timestamp.slice(0, 64))}`);
  if (now - at > SNS_MAX_AGE_MS || at - now > 5 * 60_000) {
    throw new SnsSignatureError(`Timestamp: ${m.Timestamp} is further from now than SNS ever delivers (a replayed message, or a wrong clock)`);
  }
}

/** The canonical text SNS signs: `Name\nvalue\n` for each field of the message's type, in this order. */
export function snsStringToSign(m: SnsMessage): string {
  const fields =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  let text = '';
  for (const name of fields) {
    const value = m[name];
    if (value === undefined) {
      if (name === 'Subject') continue; // the one optional field: left out when absent
      throw new SnsSignatureError(`the ${m.Type} has no ${name}`);
    }
    text += `${name}\n${value}\n`;
  }
  return text;
}

export interface SnsVerifierOptions {
  /** How certificates are fetched. */
  get: HttpsGet;
  /** Certificates kept in memory. Default 20 (SNS rotates them rarely). */
  maxCached?: number;
}

/** Verifies SNS signatures; one per process, so the certificate cache is shared. */
export interface SnsVerifier {
  /** Resolves when `m` carries a valid SNS signature; rejects with {@link SnsSignatureError} otherwise. */
  verify(m: SnsMessage): Promise<void>;
}

export function createSnsVerifier(opts: SnsVerifierOptions): SnsVerifier {
  // A failed fetch is not kept: the next message tries again.
  const keyFor = boundedMemo(opts.maxCached ?? 20, (url) =>
    opts.get(url).then(
      (pem) => {
        try {
          return new X509Certificate(pem).publicKey;
        } catch {
          throw new SnsSignatureError(`the certificate at ${url} is not a PEM certificate`);
        }
      },
      (err: unknown) => {
        throw new NewsdeskError('sns_certificate_unavailable', `could not fetch the SNS certificate ${url}: ${String(err)}`, { cause: err });
      },
    ),
  );

  return {
    async verify(m) {
      if (!isTrustedCertUrl(m.SigningCertURL)) {
        throw new SnsSignatureError(`SigningCertURL is not an Amazon SNS certificate URL: ${JSON.stringify(m.SigningCertURL.slice(0, 200))}`);
      }
      const key = await keyFor(m.SigningCertURL);
      const verifier = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
      verifier.update(snsStringToSign(m), 'utf8');
      if (!verifier.verify(key, m.Signature, 'base64')) throw new SnsSignatureError('the SNS signature does not match the message');
    },
  };
}

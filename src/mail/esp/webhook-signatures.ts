/**
 * The request signatures of SendGrid's signed Event Webhook and of Mailgun's webhooks. Each
 * check is a pure function of the request and the configured key; replay protection (Mailgun's
 * token seen before) is the caller's, as it needs a store.
 */
import { createHmac, createPublicKey, createVerify, type KeyObject, timingSafeEqual } from 'node:crypto';
import { NewsdeskError } from '../../domain/errors.ts';

/** The request is not from the provider: a missing or wrong signature, or a timestamp too old. */
export class WebhookSignatureError extends NewsdeskError {
  constructor(message: string) {
    super('webhook_unauthenticated', message);
  }
}

/** How far a signed timestamp may be from our clock, either way. */
export const DEFAULT_TOLERANCE_MS = 5 * 60_000;

/**
 * SendGrid's verification key as configured: the base64 DER (SubjectPublicKeyInfo) its settings
 * page shows, or the same in PEM. Throws when it is not an ECDSA P-256 public key.
 */
export function sendGridPublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  const key = trimmed.includes('BEGIN PUBLIC KEY')
    ? createPublicKey(trimmed)
    : createPublicKey({ key: Buffer.from(trimmed, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('not an ECDSA P-256 public key');
  }
  return key;
}

function checkTimestamp(seconds: string | undefined, now: number, toleranceMs: number, header: string): void {
  if (!seconds || !/^\d{1,12}$/.test(seconds)) throw new WebhookSignatureError(`${header}: missing or not Unix seconds`);
  if (Math.abs(now - Number(seconds) * 1000) > toleranceMs) {
    throw new WebhookSignatureError(`${header}: the signature is more than ${Math.round(toleranceMs / 1000)} s from now (a replay or a wrong clock)`);
  }
}

export interface SendGridSignatureInput {
  key: KeyObject;
  /** `X-Twilio-Email-Event-Webhook-Signature`: base64 DER ECDSA signature. */
  signature: string | undefined;
  /** `X-Twilio-Email-Event-Webhook-Timestamp`: Unix seconds. */
  timestamp: string | undefined;
  /** The request body exactly as received. */
  body: Buffer;
  now: number;
  toleranceMs?: number;
}

/** Throws {@link WebhookSignatureError} unless SendGrid signed `timestamp + body` recently. */
export function verifySendGridSignature(input: SendGridSignatureInput): void {
  if (!input.signature) throw new WebhookSignatureError('X-Twilio-Email-Event-Webhook-Signature: missing');
  checkTimestamp(input.timestamp, input.now, input.toleranceMs ?? DEFAULT_TOLERANCE_MS, 'X-Twilio-Email-Event-Webhook-Timestamp');
  const verifier = createVerify('sha256');
  verifier.update(input.timestamp as string, 'utf8');
  verifier.update(input.body);
  let ok = false;
  try {
    ok = verifier.verify({ key: input.key, dsaEncoding: 'der' }, Buffer.from(input.signature, 'base64'));
  } catch {
    ok = false; // a signature that is not DER at all
  }
  if (!ok) throw new WebhookSignatureError('X-Twilio-Email-Event-Webhook-Signature: does not match the body');
}

export interface MailgunSignatureInput {
  signingKey: string;
  timestamp: string;
  token: string;
  /** Hex HMAC-SHA256 of `timestamp + token`. */
  signature: string;
  now: number;
  toleranceMs?: number;
}

/** Throws {@link WebhookSignatureError} unless the HMAC is Mailgun's and recent. */
export function verifyMailgunSignature(input: MailgunSignatureInput): void {
  checkTimestamp(input.timestamp, input.now, input.toleranceMs ?? DEFAULT_TOLERANCE_MS, 'signature.timestamp');
  const expected = createHmac('sha256', input.signingKey).update(input.timestamp + input.token).digest();
  const given = Buffer.from(input.signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new WebhookSignatureError('signature.signature: does not match (is MAILGUN_WEBHOOK_SIGNING_KEY the webhook signing key?)');
  }
}

/**
 * Return tokens: the signed identity in the addresses returned mail comes back to —
 * `bounces+<token>@<bounce domain>` (the envelope sender, VERP) and
 * `unsubscribe+<token>@<domain>` (the per-reader List-Unsubscribe mailto).
 *
 * Why a format of its own, not the link tokens of token.ts: an address's local part holds at
 * most 64 octets (RFC 5321 §4.5.3.1.1), and campaign ids alone run to 81 characters; and some
 * MTAs lowercase local parts, which would break base64url. So a return token is lowercase
 * base32/base36 only, and names its campaign by a **campaign reference**: 40 bits of SHA-256 of
 * the campaign id. The reference needs no storage (every campaign, old ones too, has one) and
 * is only a lookup hint — the MAC covers the *full* campaign id, so a reference shared by two
 * campaigns (about one chance in 10^9 for a thousand campaigns) is settled by trying both.
 *
 * Form: `<purpose><ref: 8 base32><mac: 20 base32><subscriber id: base36>`, e.g.
 * `bq3zk7f2ma4xk2vqyxg6tbnwr7e5a2n9c`, at most 40 characters: `unsubscribe+` plus a token is
 * at most 52 octets. The MAC is 100 bits of HMAC-SHA256 over the purpose, the full campaign id
 * and the subscriber id: forging one means mailing us ~2^99 guesses on average.
 *
 * node:crypto is a platform module, not an I/O adapter, so the domain may use it here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** What a return address is for. `unsubscribe-all` leaves every list (the token says so). */
export const ReturnTokenPurpose = z.enum(['bounce', 'unsubscribe', 'unsubscribe-all']);
export type ReturnTokenPurpose = z.infer<typeof ReturnTokenPurpose>;

export const ReturnTokenPayload = z.strictObject({
  purpose: ReturnTokenPurpose,
  campaignId: z.string().min(1).max(81),
  subscriberId: z.number().int().positive(),
});
export type ReturnTokenPayload = z.infer<typeof ReturnTokenPayload>;

/** The token as read from an address, before the campaign it names is known. */
export interface ReturnTokenParts {
  purpose: ReturnTokenPurpose;
  /** The campaign reference: look it up with {@link campaignRef} over the known campaign ids. */
  ref: string;
  subscriberId: number;
}

const PURPOSE_CODE: Record<ReturnTokenPurpose, string> = { bounce: 'b', unsubscribe: 'u', 'unsubscribe-all': 'a' };
const PURPOSE_BY_CODE = new Map(Object.entries(PURPOSE_CODE).map(([k, v]) => [v, k as ReturnTokenPurpose]));
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const REF_CHARS = 8;
const MAC_CHARS = 20;
/** Domain separation from every other use of the key (link tokens use their own context). */
const MAC_CONTEXT = 'newsdesk-return-v1\n';
const TOKEN = /^([bua])([a-z2-7]{8})([a-z2-7]{20})([0-9a-z]{1,11})$/;

/** Longest token: purpose, reference, MAC and an 11-digit base-36 subscriber id. */
export const RETURN_TOKEN_MAX_CHARS = 1 + REF_CHARS + MAC_CHARS + 11;

/** The first `chars` base32 characters of `bytes` (5 bits each, most significant first). */
function base32(bytes: Buffer, chars: number): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; out.length < chars; ) {
    if (bits < 5) {
      acc = ((acc << 8) | (bytes[i++] ?? 0)) & 0xffff;
      bits += 8;
    }
    bits -= 5;
    out += BASE32[(acc >> bits) & 31];
  }
  return out;
}

/** A campaign's reference in return tokens: 40 bits of SHA-256 of its id, 8 base32 characters. */
export function campaignRef(campaignId: string): string {
  return base32(createHash('sha256').update(campaignId).digest(), REF_CHARS);
}

function mac(payload: ReturnTokenPayload, secret: string): string {
  const digest = createHmac('sha256', secret)
    .update(`${MAC_CONTEXT}${PURPOSE_CODE[payload.purpose]}\n${payload.campaignId}\n${payload.subscriberId}`)
    .digest();
  return base32(digest, MAC_CHARS);
}

/**
 * Signs a return token with the current secret.
 * @param ref the campaign's reference, when the caller has it cached (the send path signs per message).
 */
export function signReturnToken(payload: ReturnTokenPayload, secret: string, ref = campaignRef(payload.campaignId)): string {
  return `${PURPOSE_CODE[payload.purpose]}${ref}${mac(payload, secret)}${payload.subscriberId.toString(36)}`;
}

/**
 * Splits a token into purpose, campaign reference and subscriber id, case-insensitively (MTAs
 * may lowercase or uppercase a local part). Null when it is not a token's shape. Proves nothing:
 * {@link verifyReturnToken} does.
 */
export function parseReturnToken(token: string): ReturnTokenParts | null {
  if (token.length > RETURN_TOKEN_MAX_CHARS) return null;
  const m = TOKEN.exec(token.toLowerCase());
  if (!m) return null;
  const subscriberId = parseInt(m[4] as string, 36);
  if (!Number.isSafeInteger(subscriberId) || subscriberId < 1) return null;
  return { purpose: PURPOSE_BY_CODE.get(m[1] as string) as ReturnTokenPurpose, ref: m[2] as string, subscriberId };
}

/**
 * Checks a token against the campaign ids its reference may stand for and every accepted
 * secret (current first, then the previous during a rotation), each comparison in constant time.
 * @param candidates campaign ids whose {@link campaignRef} equals the token's reference.
 * @returns the payload, or null for anything altered, forged or for an unknown campaign.
 */
export function verifyReturnToken(token: string, candidates: readonly string[], secrets: readonly string[]): ReturnTokenPayload | null {
  const parts = parseReturnToken(token);
  if (!parts) return null;
  const given = Buffer.from(token.toLowerCase().slice(1 + REF_CHARS, 1 + REF_CHARS + MAC_CHARS));
  for (const campaignId of candidates) {
    if (campaignRef(campaignId) !== parts.ref) continue;
    const payload = { purpose: parts.purpose, campaignId, subscriberId: parts.subscriberId };
    for (const secret of secrets) {
      if (timingSafeEqual(given, Buffer.from(mac(payload, secret)))) return payload;
    }
  }
  return null;
}

/** The local-part prefixes of the two return addresses. */
export const BOUNCE_LOCAL_PREFIX = 'bounces+';
export const UNSUBSCRIBE_LOCAL_PREFIX = 'unsubscribe+';

/** What an envelope recipient of returned mail is: a bounce, unsubscribe or feedback address. */
export type ReturnAddressKind =
  | { kind: 'bounce'; token: string }
  | { kind: 'unsubscribe'; token: string }
  /** `unsubscribe@…` without a token (an older message's mailto): nobody can be named. */
  | { kind: 'unsubscribe-untokened' }
  | { kind: 'feedback' };

/**
 * Reads an envelope recipient. `feedbackAddresses` are the configured feedback report addresses
 * (lowercase; none: `feedback@` at any domain). `domain`: when set, only bounce and unsubscribe
 * addresses at it are ours. Null for any other address.
 */
export function readReturnAddress(address: string, opts: { feedbackAddresses: readonly string[]; domain?: string | undefined }): ReturnAddressKind | null {
  const a = address.trim().replace(/^<|>$/g, '').toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 1) return null;
  const local = a.slice(0, at);
  const domain = a.slice(at + 1);
  // No feedback address configured (BOUNCE_DOMAIN unset): `feedback@` at any domain.
  if (opts.feedbackAddresses.length ? opts.feedbackAddresses.includes(a) : local === 'feedback') return { kind: 'feedback' };
  if (opts.domain !== undefined && domain !== opts.domain.toLowerCase()) return null;
  if (local.startsWith(BOUNCE_LOCAL_PREFIX)) return parseReturnToken(local.slice(8)) ? { kind: 'bounce', token: local.slice(8) } : null;
  if (local.startsWith(UNSUBSCRIBE_LOCAL_PREFIX)) {
    const token = local.slice(UNSUBSCRIBE_LOCAL_PREFIX.length);
    return parseReturnToken(token) ? { kind: 'unsubscribe', token } : null;
  }
  if (local === 'unsubscribe') return { kind: 'unsubscribe-untokened' };
  return null;
}

/** The per-delivery return addresses of one campaign, which the send path writes into every message. */
export interface CampaignReturnAddresses {
  /** `bounces+<token>@<domain>`: the envelope sender (MAIL FROM) of one delivery. */
  bounceAddress(subscriberId: number): string;
  /** `unsubscribe+<token>@<domain>`: the List-Unsubscribe mailto of one delivery. */
  unsubscribeAddress(subscriberId: number): string;
}

/** Builds the return addresses of a campaign; what is the same for all its deliveries, once. */
export interface ReturnAddresser {
  /** @param fromDomain the newsletter's From domain, used when BOUNCE_DOMAIN is unset. */
  forCampaign(campaignId: string, fromDomain: string): CampaignReturnAddresses;
}

/**
 * Signs with the first secret. `bounceDomain` (BOUNCE_DOMAIN) is the domain of both addresses;
 * unset, each newsletter's From domain.
 */
export function createReturnAddresser(opts: { secrets: readonly string[]; bounceDomain?: string | undefined }): ReturnAddresser {
  const secret = opts.secrets[0];
  if (!secret) throw new Error('createReturnAddresser: no secret');
  return {
    forCampaign(campaignId, fromDomain) {
      // A campaign's reference is a SHA-256 of its id: once per campaign, not per message.
      const ref = campaignRef(campaignId);
      const domain = opts.bounceDomain ?? fromDomain;
      const address = (prefix: string, purpose: ReturnTokenPurpose, subscriberId: number) =>
        `${prefix}${signReturnToken({ purpose, campaignId, subscriberId }, secret, ref)}@${domain}`;
      return {
        bounceAddress: (subscriberId) => address(BOUNCE_LOCAL_PREFIX, 'bounce', subscriberId),
        unsubscribeAddress: (subscriberId) => address(UNSUBSCRIBE_LOCAL_PREFIX, 'unsubscribe', subscriberId),
      };
    },
  };
}

/**
 * Link tokens: the signed strings in unsubscribe, view-in-browser and opt-in confirmation links
 * (docs/architecture.md, invariant 5). A token names a subscriber, what it may be used for and its scope (a list or a
 * campaign), and carries an HMAC-SHA256 so an altered or forged one is rejected.
 *
 * Form: `<purpose><kind>.<subscriber id>.<scope id>.<issued at>.<key id>.<mac>`, e.g.
 * `ul.2n9c.daily.m5x8k0ab.Xy3_.Q2hlY2tzdW0tZXhhbXBsZQ` — ids and time in base 36, the key id of the
 * signing secret (see signing-secret.ts), the MAC truncated to 128 bits in base64url. Every
 * character is URL-safe, so tokens go into paths unescaped. Tokens signed before key ids existed
 * (the same form without the key id) are still accepted: they are checked against every key.
 *
 * node:crypto is a platform module, not an I/O adapter, so the domain may use it here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { keyIdOf } from './signing-secret.ts';

export const LINK_PURPOSES = ['unsubscribe', 'view', 'confirm'] as const;
export const LinkPurpose = z.enum(LINK_PURPOSES);
export type LinkPurpose = z.infer<typeof LinkPurpose>;

/**
 * Scope ids must survive the `.`-separated form untouched, so they are restricted to URL-safe
 * characters; up to 81, the longest campaign id (a 63-character newsletter id, date and suffix).
 */
const SCOPE_ID_TEXT = /^[A-Za-z0-9_-]{1,81}$/;
const ScopeId = z.string().regex(SCOPE_ID_TEXT, 'letters, digits, _ and - only, at most 81');

export const LinkScope = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('list'), id: ScopeId }),
  z.strictObject({ kind: z.literal('campaign'), id: ScopeId }),
]);
export type LinkScope = z.infer<typeof LinkScope>;

export const LinkTokenPayload = z.strictObject({
  subscriberId: z.number().int().positive(),
  purpose: LinkPurpose,
  scope: LinkScope,
  /** Milliseconds since the epoch; lets a confirmation expire and be compared with later changes. */
  issuedAt: z.number().int().nonnegative(),
});
export type LinkTokenPayload = z.infer<typeof LinkTokenPayload>;

/** Confirmation links older than this are refused: an opt-in must be fresh. */
export const CONFIRM_TOKEN_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

const PURPOSE_CODE: Record<LinkPurpose, string> = { unsubscribe: 'u', view: 'v', confirm: 'c' };
const KIND_CODE: Record<LinkScope['kind'], string> = { list: 'l', campaign: 'c' };
const PURPOSE_BY_CODE = new Map(Object.entries(PURPOSE_CODE).map(([k, v]) => [v, k as LinkPurpose]));
const KIND_BY_CODE = new Map(Object.entries(KIND_CODE).map(([k, v]) => [v, k as LinkScope['kind']]));

/** 128 bits of HMAC-SHA256 is ample against forgery and keeps links short (22 characters). */
const MAC_BYTES = 16;
const MAC_CHARS = 22;
/** Domain separation: the key might one day sign other things; those can never pass as tokens. */
const MAC_CONTEXT = 'newsdesk-token-v1\n';

function mac(body: string, secret: string): string {
  return createHmac('sha256', secret).update(MAC_CONTEXT).update(body).digest().subarray(0, MAC_BYTES).toString('base64url');
}

/**
 * Signs a token for one subscriber, purpose and scope with the current secret.
 * @param payload `issuedAt` defaults to now.
 * @param secret the first of `config.secrets`.
 * @param keyId `keyIdOf(secret)`, when the caller signs many tokens and computed it once. Default: computed here.
 */
export function signLinkToken(payload: Omit<LinkTokenPayload, 'issuedAt'> & { issuedAt?: number }, secret: string, keyId = keyIdOf(secret)): string {
  const p = checkedPayload(payload);
  const body = [
    PURPOSE_CODE[p.purpose] + KIND_CODE[p.scope.kind],
    p.subscriberId.toString(36),
    p.scope.id,
    p.issuedAt.toString(36),
    keyId,
  ].join('.');
  return `${body}.${mac(body, secret)}`;
}

const PAYLOAD_KEYS: ReadonlySet<string> = new Set(['subscriberId', 'purpose', 'scope', 'issuedAt']);

/**
 * The payload to sign, checked. Every message a campaign sends signs two tokens, and the schema
 * costs as much as the MAC, so a payload is first checked by hand against a strict subset of what
 * the schema accepts; anything else goes through the schema, which accepts it or names the fault.
 */
function checkedPayload(payload: Omit<LinkTokenPayload, 'issuedAt'> & { issuedAt?: number }): LinkTokenPayload {
  const issuedAt = payload.issuedAt ?? Date.now();
  const { subscriberId, purpose, scope } = payload;
  const plain =
    Number.isSafeInteger(subscriberId) &&
    subscriberId > 0 &&
    Object.hasOwn(PURPOSE_CODE, purpose) &&
    typeof scope === 'object' &&
    scope !== null &&
    Object.hasOwn(KIND_CODE, scope.kind) &&
    typeof scope.id === 'string' &&
    SCOPE_ID_TEXT.test(scope.id) &&
    Object.keys(scope).length === 2 &&
    Number.isSafeInteger(issuedAt) &&
    issuedAt >= 0 &&
    Object.keys(payload).every((k) => PAYLOAD_KEYS.has(k));
  return plain ? { subscriberId, purpose, scope: { kind: scope.kind, id: scope.id }, issuedAt } : LinkTokenPayload.parse({ ...payload, issuedAt });
}

export interface VerifyOptions {
  /** Refuse tokens issued longer ago than this. Default: no limit (unsubscribe links must keep working). */
  maxAgeMs?: number;
  /** The current time in ms. Default: `Date.now()`. */
  now?: number;
  /** `keyIdOf` of each secret, in the same order, computed once by the caller. Default: computed here. */
  keyIds?: readonly string[];
}

const BASE36 = /^[0-9a-z]{1,11}$/;
const MAC_TEXT = /^[A-Za-z0-9_-]{22}$/;
const KEY_ID_TEXT = /^[A-Za-z0-9_-]{4}$/;

/**
 * Checks a token against the accepted secrets (the signing one and the previous ones of a
 * rotation) in constant time per comparison: only those whose key id the token names, or all of
 * them for a token from before key ids.
 * @returns the payload, or `null` for anything altered, forged, malformed or too old.
 */
export function verifyLinkToken(token: string, secrets: readonly string[], options: VerifyOptions = {}): LinkTokenPayload | null {
  const parts = token.split('.');
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [codes, id36, scopeId, issued36] = parts as [string, string, string, string];
  const given = parts[parts.length - 1] as string;
  const keyId = parts.length === 6 ? (parts[4] as string) : undefined;
  if (!MAC_TEXT.test(given) || !BASE36.test(id36) || !BASE36.test(issued36)) return null;
  if (keyId !== undefined && !KEY_ID_TEXT.test(keyId)) return null;
  const ids = options.keyIds ?? secrets.map(keyIdOf);
  const candidates = keyId === undefined ? secrets : secrets.filter((_, i) => ids[i] === keyId);
  // The MAC covers the exact text, so a changed character anywhere in the body fails here, and
  // comparing the base64url text (not decoded bytes) rejects changes in the MAC's unused low bits.
  const body = token.slice(0, token.length - MAC_CHARS - 1);
  const givenBytes = Buffer.from(given);
  let valid = false;
  for (const secret of candidates) {
    if (timingSafeEqual(givenBytes, Buffer.from(mac(body, secret)))) valid = true;
  }
  if (!valid) return null;
  const parsed = LinkTokenPayload.safeParse({
    subscriberId: parseInt(id36, 36),
    purpose: PURPOSE_BY_CODE.get(codes[0] ?? ''),
    scope: { kind: KIND_BY_CODE.get(codes[1] ?? ''), id: scopeId },
    issuedAt: parseInt(issued36, 36),
  });
  if (!parsed.success || codes.length !== 2) return null;
  const now = options.now ?? Date.now();
  if (options.maxAgeMs !== undefined && now - parsed.data.issuedAt > options.maxAgeMs) return null;
  return parsed.data;
}

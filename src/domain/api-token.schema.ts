/**
 * API tokens: how editors' scripts and the dashboard sign in. A token is shown once when it is
 * created; only its SHA-256 is kept, so a copy of the database cannot be used to sign in.
 *
 * Form: `nd_<id>_<secret>`: the id (8 hex digits) finds the record in one lookup and names the
 * token in listings; the secret is 32 random bytes in base64url.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ApiTokenId = z.string().regex(/^[0-9a-f]{8}$/, 'not a token id (8 hex digits)');

export const ApiTokenName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'letters, digits, spaces, . _ and - only, starting with a letter or digit, at most 64');

/**
 * What a token may do (see access.ts): `admin` everything; `editor` editions, campaigns, lists and
 * subscribers; `read` look only; `metrics` only `GET /metrics`, for a Prometheus scrape.
 */
export const ApiTokenScope = z.enum(['admin', 'editor', 'read', 'metrics']);
export type ApiTokenScope = z.infer<typeof ApiTokenScope>;

/** A token as stored: everything but the token itself. */
export const ApiToken = z.strictObject({
  id: ApiTokenId,
  name: ApiTokenName,
  /** SHA-256 of the whole token, hex. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  /** Tokens made before scopes existed could do everything, and still can. */
  scope: ApiTokenScope.default('admin'),
  createdAt: z.iso.datetime(),
  /** After this the token no longer signs in. Absent: it lasts until revoked. */
  expiresAt: z.iso.datetime().optional(),
  lastUsedAt: z.iso.datetime().optional(),
});
export type ApiToken = z.infer<typeof ApiToken>;

const TOKEN_FORM = /^nd_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

/** SHA-256 of a token, hex: what is stored and compared. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A fresh token and its id. */
export function newApiToken(): { id: string; token: string } {
  const id = randomBytes(4).toString('hex');
  return { id, token: `nd_${id}_${randomBytes(32).toString('base64url')}` };
}

/** The id inside a well-formed token, or null for anything else. */
export function apiTokenIdOf(token: string): string | null {
  return TOKEN_FORM.exec(token)?.[1] ?? null;
}

/** True when `token` hashes to `hash`; constant time in the hash. */
export function apiTokenMatches(token: string, hash: string): boolean {
  const given = Buffer.from(hashApiToken(token), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}

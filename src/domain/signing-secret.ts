/**
 * The HMAC key that signs readers' links (NEWSDESK_SECRET): what counts as strong enough, how a
 * strong one is made, and the short key id new link tokens carry so a rotation (one signing key,
 * several previous ones) verifies each token with its own key instead of trying every key.
 *
 * node:crypto is a platform module, not an I/O adapter, so the domain may use it here.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Shortest secret accepted: 32 characters, e.g. 24 random bytes in base64. */
export const MIN_SECRET_CHARS = 32;
/**
 * Fewest different characters: a random 32-character text has 20 or more, while `aaaa…`,
 * `abab…` or a word repeated has a handful. A floor well under random, far above patterns.
 */
export const MIN_SECRET_DISTINCT_CHARS = 10;

/** Why `secret` is too weak to sign links, or null when it will do. */
export function secretWeakness(secret: string): string | null {
  if (secret.length < MIN_SECRET_CHARS) return `must be at least ${MIN_SECRET_CHARS} characters (newsdesk secret generate prints one)`;
  if (new Set(secret).size < MIN_SECRET_DISTINCT_CHARS) {
    return `has only ${new Set(secret).size} different characters: use a random one (newsdesk secret generate prints one)`;
  }
  return null;
}

/** A fresh secret: 32 random bytes in base64url (43 characters, 256 bits). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Characters of the key id in a link token. */
export const KEY_ID_CHARS = 4;

/**
 * The id of a signing key, derived from the key itself (so there is nothing to configure and the
 * id says nothing about the key): 4 base64url characters, 24 bits. Two keys in one rotation
 * sharing an id is harmless: a token's id picks the candidates, the MAC decides.
 */
export function keyIdOf(secret: string): string {
  return createHmac('sha256', secret).update('newsdesk-key-id\n').digest('base64url').slice(0, KEY_ID_CHARS);
}

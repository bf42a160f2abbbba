/** HTTP Basic credentials checked in constant time (Postmark's webhook authentication). */
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * True when `authorization` is `Basic base64(user:password)` with exactly these credentials.
 * Both parts are compared through fixed-length digests, so the time taken tells nothing about
 * how much of either matched, nor their lengths.
 */
export function basicAuthMatches(authorization: string | undefined, user: string, password: string): boolean {
  const m = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(authorization?.trim() ?? '');
  const decoded = m ? Buffer.from(m[1] as string, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  const givenUser = colon >= 0 ? decoded.slice(0, colon) : '';
  const givenPassword = colon >= 0 ? decoded.slice(colon + 1) : '';
  const userOk = timingSafeEqual(digest(givenUser), digest(user));
  const passwordOk = timingSafeEqual(digest(givenPassword), digest(password));
  return colon >= 0 && userOk && passwordOk;
}

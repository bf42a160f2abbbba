/**
 * Whether a host or URL is this machine only: what the development key and the dev outbox are
 * allowed for (docs/security.md).
 */

/** True for a host only this machine reaches: localhost, *.localhost, 127.0.0.0/8, ::1 (bracketed or not). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '::1';
}

/** True for a URL whose host {@link isLoopbackHost}; false for anything that is not a URL. */
export function isLoopbackUrl(url: string): boolean {
  return URL.canParse(url) && isLoopbackHost(new URL(url).hostname);
}

/**
 * Where a tracked link sends the reader: the URL compiled into the campaign, exactly (query and
 * fragment untouched), with UTM parameters added only when the newsletter asks — and nothing at
 * all for a scheme other than http and https (docs/architecture.md, invariant 11: no open redirect, no
 * `javascript:` even if one were ever stored).
 */
import type { UtmSettings } from './tracking.schema.ts';

/**
 * The `Location` for a stored link, or null when it must not be followed.
 * @param fill values for `{campaign}` and `{date}` in the UTM settings
 */
export function redirectTarget(url: string, utm: UtmSettings | undefined, fill: { campaign: string; date: string }): string | null {
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const protocol = new URL(url).protocol;
    if (protocol !== 'http:' && protocol !== 'https:') return null;
  } catch {
    return null;
  }
  // Characters a header may not carry (an editor's unicode path) go percent-encoded; the rest stays as written.
  let target = url.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
  if (utm) {
    const hash = target.indexOf('#');
    const base = hash >= 0 ? target.slice(0, hash) : target;
    const fragment = hash >= 0 ? target.slice(hash) : '';
    const query = base.includes('?') ? base.slice(base.indexOf('?') + 1) : '';
    const present = new Set(query.split('&').map((p) => decodeURIComponentSafe(p.split('=')[0] ?? '')));
    const value = (v: string) => encodeURIComponent(v.replaceAll('{campaign}', fill.campaign).replaceAll('{date}', fill.date));
    const added = (['source', 'medium', 'campaign'] as const)
      .filter((k) => !present.has(`utm_${k}`))
      .map((k) => `utm_${k}=${value(utm[k])}`);
    if (added.length) target = `${base}${base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?'}${added.join('&')}${fragment}`;
  }
  return target;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Reading rendered HTML in tests the way a reader would: text without tags, links decoded. */

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', rarr: '→', middot: '·', zwnj: '' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return NAMED[e.toLowerCase()] ?? whole;
  });
}

/** The body's text: tags removed, entities decoded, whitespace collapsed. */
export function textOf(html: string): string {
  const body = html.replace(/<head\b[\s\S]*?<\/head>/i, '').replace(/<!--[\s\S]*?-->/g, '');
  return decodeEntities(body.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');
}

/** Every href in the HTML, decoded. */
export function hrefsOf(html: string): string[] {
  return [...html.matchAll(/\shref="([^"]*)"/gi)].map((m) => decodeEntities(m[1] as string));
}

/** Every alt attribute in the HTML, decoded. */
export function altsOf(html: string): string[] {
  return [...html.matchAll(/\salt="([^"]*)"/gi)].map((m) => decodeEntities(m[1] as string));
}

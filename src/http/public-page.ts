/**
 * The pages subscribers see (unsubscribe, confirm, sign-up answers): small, readable on a
 * phone, no script, no third-party requests, and never indexed.
 */
import type { FastifyReply } from 'fastify';
import { html, raw, type SafeHtml } from './html.ts';

const STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #f6f6f4; --card: #fff; --accent: #c8102e; --line: #e2e2de; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --muted: #a0a0a0; --bg: #161616; --card: #222; --line: #333; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 34rem; margin: 8vh auto; padding: 2rem 1.75rem; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
h1 { font-size: 1.35rem; line-height: 1.3; margin: 0 0 1rem; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: 0.95rem; }
form { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1.5rem 0 0.5rem; }
button { font: inherit; font-weight: 600; padding: 0.7rem 1.2rem; border-radius: 8px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: var(--fg); border-color: var(--line); }
input { font: inherit; padding: 0.6rem 0.75rem; border-radius: 8px; border: 1px solid var(--line); width: 100%; background: var(--card); color: var(--fg); }
ul.problems { padding-left: 1.2rem; }
form.sign-up { flex-direction: column; align-items: stretch; gap: 0.4rem; }
form.sign-up label { font-weight: 600; margin-top: 0.5rem; }
form.sign-up button { margin-top: 1rem; align-self: flex-start; }
`;

/** Headers every subscriber page carries: no script at all, no framing, no referrer (links hold tokens). */
export const PUBLIC_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** A whole page around `body`. */
export function publicPage(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${title}</title><style>${raw(STYLE)}</style></head>
<body><main>${body}</main></body></html>`.value;
}

/**
 * Sends a subscriber page with its headers.
 * @param overrides headers that replace the usual ones (the sign-up page's CSP lets its challenge widget run).
 */
export function sendPublicPage(reply: FastifyReply, status: number, title: string, body: SafeHtml, overrides: Readonly<Record<string, string>> = {}): FastifyReply {
  return reply.code(status).headers({ ...PUBLIC_PAGE_HEADERS, ...overrides }).type('text/html; charset=utf-8').send(publicPage(title, body));
}

/** The one answer to every token that is forged, altered, expired or meant for something else. */
export function sendNotFoundPage(reply: FastifyReply): FastifyReply {
  return sendPublicPage(reply, 404, 'Not found', html`<h1>Not found</h1><p>This link is not valid.</p>`);
}

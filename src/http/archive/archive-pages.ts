/**
 * The public archive's HTML (README.md, "Public archive"): an edition's page (its public copy,
 * with a canonical link, Open Graph tags and, under it, the sign-up forms of the newsletter's
 * public lists) and the paged list of editions.
 */
import type { List } from '../../domain/list.schema.ts';
import type { Newsletter } from '../../domain/newsletter.schema.ts';
import { html, raw, type SafeHtml } from '../html.ts';
import { signUpForm } from '../subscriber/sign-up-form.ts';
import { ABOUT_THIS_COPY, type PublicCopy } from './public-copy.ts';

/** The addresses an archive page links to, all absolute. */
export interface ArchiveUrls {
  /** This page. */
  page: string;
  /** The list of editions. */
  index: string;
  feed: string;
}

/** "13 February 2025" for `2025-02-13`. */
export function longDate(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));
}

const ARCHIVE_STYLE = `
.nd-archive { max-width: 600px; margin: 0 auto; padding: 24px 16px 48px; font: 16px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1d1d1f; }
.nd-archive h2 { font-size: 20px; margin: 24px 0 8px; }
.nd-archive .muted { color: #5f6368; font-size: 14px; }
.nd-archive form.sign-up { display: flex; flex-direction: column; gap: 6px; margin: 12px 0 24px; }
.nd-archive input { font: inherit; padding: 8px 10px; border: 1px solid #c9c6bf; border-radius: 6px; }
.nd-archive button { font: inherit; font-weight: 600; padding: 10px 16px; border: 0; border-radius: 6px; color: #fff; align-self: flex-start; margin-top: 8px; cursor: pointer; }
`;

export interface EditionPageInput {
  newsletter: Newsletter;
  date: string;
  copy: PublicCopy;
  urls: ArchiveUrls;
  /** When the campaign started (ISO 8601). */
  publishedAt: string;
  /** The lead story's image, else the newsletter's logo. */
  image: { src: string; alt: string } | undefined;
  /** The newsletter's public lists: one sign-up form each. */
  lists: List[];
  /** The forms carry the proof-of-work widget (SUBSCRIBE_PROOF_OF_WORK). */
  challenge: boolean;
}

/** The edition's page: its public copy with the archive's head tags and, under it, the sign-up forms. */
export function archiveEditionPage(input: EditionPageInput): string {
  const { newsletter, copy, urls, image } = input;
  const head = html`
<link rel="canonical" href="${urls.page}">
<link rel="alternate" type="application/atom+xml" title="${newsletter.name}" href="${urls.feed}">
<meta name="description" content="${copy.preheader}">
<meta property="og:type" content="article">
<meta property="og:site_name" content="${newsletter.name}">
<meta property="og:title" content="${copy.subject}">
<meta property="og:description" content="${copy.preheader}">
<meta property="og:url" content="${urls.page}">
${image ? html`<meta property="og:image" content="${image.src}">
<meta property="og:image:alt" content="${image.alt}">
<meta name="twitter:card" content="summary_large_image">` : html`<meta name="twitter:card" content="summary">`}
<meta property="article:published_time" content="${input.publishedAt}">
<style>${raw(ARCHIVE_STYLE)} .nd-archive button { background: ${newsletter.brand.accent}; }</style>
`;
  const forms = input.lists.map((list, i) => html`${input.lists.length > 1 ? html`<h3>${list.name}</h3>` : ''}${signUpForm(list, { challenge: input.challenge, id: `sign-up-${i + 1}`, button: 'Subscribe' })}`);
  const foot = html`
<section class="nd-archive" id="${ABOUT_THIS_COPY}">
<p class="muted">This is the public copy of ${newsletter.name} for ${longDate(input.date)}, as it was sent. Readers of the email leave with the unsubscribe link in their own copy.</p>
${input.lists.length ? html`<h2 id="subscribe">Get ${newsletter.name} by email</h2>
${forms}
<p class="muted">Every email has a one-click unsubscribe link.</p>` : ''}
<p><a href="${urls.index}">All editions</a> &middot; <a href="${urls.feed}">Atom feed</a></p>
</section>
`;
  return inject(copy.html, head, foot);
}

/** `head` at the end of `<head>`, `foot` at the end of `<body>` (or around the document when it has neither). */
function inject(document: string, head: SafeHtml, foot: SafeHtml): string {
  const headAt = document.search(/<\/head>/i);
  let out = headAt >= 0 ? document.slice(0, headAt) + head.value + document.slice(headAt) : head.value + document;
  const bodyAt = out.search(/<\/body>(?![\s\S]*<\/body>)/i);
  out = bodyAt >= 0 ? out.slice(0, bodyAt) + foot.value + out.slice(bodyAt) : out + foot.value;
  return out;
}

export interface IndexPageInput {
  newsletter: Newsletter;
  entries: Array<{ date: string; subject: string; preheader: string; url: string }>;
  page: number;
  pages: number;
  urls: ArchiveUrls & { newer: string | undefined; older: string | undefined };
}

const INDEX_STYLE = `
:root { color-scheme: light dark; --fg: #1d1d1f; --muted: #5f6368; --bg: #f6f6f4; --card: #fff; --line: #e2e2de; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --muted: #a0a0a0; --bg: #161616; --card: #222; --line: #333; } }
body { margin: 0; background: var(--bg); color: var(--fg); font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 40rem; margin: 6vh auto; padding: 2rem 1.75rem; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
h1 { font-size: 1.5rem; margin: 0 0 0.25rem; }
ol { list-style: none; padding: 0; margin: 1.5rem 0; }
li { padding: 0.9rem 0; border-top: 1px solid var(--line); }
li a { font-weight: 600; }
time, .muted { color: var(--muted); font-size: 0.95rem; }
li p { margin: 0.25rem 0 0; }
nav { display: flex; gap: 1.5rem; justify-content: space-between; }
`;

/** One page of the list of editions, newest first. */
export function archiveIndexPage(input: IndexPageInput): string {
  const { newsletter, urls } = input;
  const title = input.page > 1 ? `${newsletter.name}: archive, page ${input.page}` : `${newsletter.name}: archive`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="canonical" href="${urls.page}">
<link rel="alternate" type="application/atom+xml" title="${newsletter.name}" href="${urls.feed}">
${urls.newer ? html`<link rel="prev" href="${urls.newer}">` : ''}${urls.older ? html`<link rel="next" href="${urls.older}">` : ''}
<meta property="og:type" content="website">
<meta property="og:site_name" content="${newsletter.name}">
<meta property="og:title" content="${title}">
<meta property="og:url" content="${urls.page}">
${newsletter.tagline ? html`<meta name="description" content="${newsletter.tagline}">` : ''}
<style>${raw(INDEX_STYLE)}</style></head>
<body><main>
<h1>${newsletter.name}</h1>
${newsletter.tagline ? html`<p class="muted">${newsletter.tagline}</p>` : ''}
${input.entries.length
    ? html`<ol class="editions">${input.entries.map(
        (e) => html`<li><time datetime="${e.date}">${longDate(e.date)}</time><br><a href="${e.url}">${e.subject}</a>${e.preheader ? html`<p>${e.preheader}</p>` : ''}</li>`,
      )}</ol>`
    : html`<p>No editions yet.</p>`}
<nav>${urls.newer ? html`<a href="${urls.newer}" rel="prev">Newer editions</a>` : html`<span></span>`}${input.pages > 1 ? html`<span class="muted">Page ${input.page} of ${input.pages}</span>` : ''}${urls.older ? html`<a href="${urls.older}" rel="next">Older editions</a>` : html`<span></span>`}</nav>
<p class="muted"><a href="${urls.feed}">Atom feed</a> &middot; <a href="${newsletter.website}">${newsletter.name} online</a></p>
</main></body></html>`.value;
}

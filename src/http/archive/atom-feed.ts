/**
 * The archive's Atom feed (RFC 4287; README.md, "Public archive"): the newest editions, each with
 * its public copy as escaped HTML content. Ids are the pages' permanent URLs.
 */
import type { Newsletter } from '../../domain/newsletter.schema.ts';

export interface FeedEntry {
  url: string;
  title: string;
  summary: string;
  /** The public copy's whole HTML; the feed carries its body. */
  html: string;
  published: string;
  updated: string;
}

/** XML 1.0 forbids most control characters even escaped: they are dropped. */
const NOT_XML = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text for XML element content and attribute values. */
export function xmlText(s: string): string {
  return s.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** What is inside `<body>` (the document itself when it has none). */
function bodyOf(document: string): string {
  const m = /<body[^>]*>([\s\S]*)<\/body>/i.exec(document);
  return m ? (m[1] as string) : document;
}

export function atomFeed(input: { newsletter: Newsletter; indexUrl: string; feedUrl: string; entries: FeedEntry[]; now: Date }): string {
  const { newsletter } = input;
  // The feed changed when its newest entry did; an empty feed says now.
  const updated = input.entries.reduce<string | undefined>((max, e) => (max === undefined || e.updated > max ? e.updated : max), undefined) ?? input.now.toISOString();
  const entries = input.entries.map(
    (e) => `  <entry>
    <id>${xmlText(e.url)}</id>
    <title type="text">${xmlText(e.title)}</title>
    <link rel="alternate" type="text/html" href="${xmlText(e.url)}"/>
    <published>${xmlText(e.published)}</published>
    <updated>${xmlText(e.updated)}</updated>
${e.summary ? `    <summary type="text">${xmlText(e.summary)}</summary>\n` : ''}    <content type="html">${xmlText(bodyOf(e.html))}</content>
  </entry>
`,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${xmlText(input.indexUrl)}</id>
  <title type="text">${xmlText(newsletter.name)}</title>
${newsletter.tagline ? `  <subtitle type="text">${xmlText(newsletter.tagline)}</subtitle>\n` : ''}  <updated>${xmlText(updated)}</updated>
  <link rel="self" type="application/atom+xml" href="${xmlText(input.feedUrl)}"/>
  <link rel="alternate" type="text/html" href="${xmlText(input.indexUrl)}"/>
  <author><name>${xmlText(newsletter.name)}</name><uri>${xmlText(newsletter.website)}</uri></author>
  <generator>newsdesk</generator>
${entries.join('')}</feed>
`;
}

/**
 * The public archive (README.md, "Public archive"), for newsletters whose file says
 * `archive: { enabled: true }`:
 *
 * - `GET /archive/<newsletter>`: the sent editions, newest first, 20 a page (`?page=2`);
 * - `GET /archive/<newsletter>/<YYYY-MM-DD>`: one edition's public copy (public-copy.ts: the
 *   content frozen in the campaign that sent it, with no reader's data, link token or tracking),
 *   with a canonical link, Open Graph tags and the sign-up forms of the newsletter's public lists;
 * - `GET /archive/<newsletter>/feed.xml`: an Atom feed of the newest editions.
 *
 * A newsletter without the archive, an edition not sent, or a page past the last answers the
 * same 404 page as any dead link.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import { boundedMemo } from '../bounded-memo.ts';
import { parseEditionText } from '../composer/edition.loader.ts';
import { loadNewsletter } from '../composer/newsletter.loader.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { archiveEntries, archiveEntry, type ArchiveEntry } from './archive/archive-entries.ts';
import { archiveEditionPage, archiveIndexPage } from './archive/archive-pages.ts';
import { atomFeed } from './archive/atom-feed.ts';
import { publicCopy, publicSubject } from './archive/public-copy.ts';
import { sendNotFoundPage } from './public-page.ts';

/** Editions on one page of the list. */
const ARCHIVE_PAGE_SIZE = 20;
/** Editions in the feed. */
const FEED_SIZE = 20;

const NewsletterParam = z.string().max(80);
const Params = z.strictObject({ newsletter: NewsletterParam });
const EditionParams = z.strictObject({ newsletter: NewsletterParam, date: z.string().max(40) });
const IndexQuery = z.object({ page: z.string().max(12).optional() });

/** Public pages may be cached a little; a correction or a new edition shows within minutes. */
const CACHE = 'public, max-age=300';

/**
 * The edition page's CSP: the email's own markup and images (as the view page allows), forms
 * posting here, and with the challenge on, its widget (script and challenge from this server,
 * as ALTCHA_PAGE_CSP in altcha-widget.ts).
 */
function editionPageCsp(challenge: boolean): string {
  const widget = challenge ? " script-src 'self'; connect-src 'self'; worker-src blob:;" : '';
  return `default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https:;${widget} form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
}

export interface ArchiveRoutesOptions {
  app: App;
  newsletterDirs: string[];
  /** The sign-up forms carry the proof-of-work widget. */
  challenge: boolean;
}

export const archiveRoutes: FastifyPluginAsync<ArchiveRoutesOptions> = async (server, opts) => {
  const { app } = opts;
  const base = `${app.config.publicUrl}/archive`;

  /** The newsletter when its archive is on; null answers as a dead link. */
  const archived = async (id: string): Promise<Newsletter | null> => {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) return null;
    try {
      const newsletter = await loadNewsletter(id, { dirs: opts.newsletterDirs });
      return newsletter.archive.enabled ? newsletter : null;
    } catch (err) {
      if ((err as { code?: string }).code === 'newsletter_not_found') return null;
      throw err;
    }
  };

  const send = (reply: FastifyReply, type: string, body: string, csp: string) =>
    reply
      .headers({ 'content-security-policy': csp, 'cache-control': CACHE, 'x-content-type-options': 'nosniff', 'referrer-policy': 'strict-origin-when-cross-origin' })
      .type(type)
      .send(body);

  const contentOf = (entry: ArchiveEntry) => app.campaigns.content(entry.campaignId).catch(() => null);

  // What the index shows of an entry, kept per campaign: its content is frozen, so a line once
  // made stays true, and a page then reads no campaign's whole content (~60 KB) again.
  const lineOf = boundedMemo(
    2_000,
    async (campaignId) => {
      const content = await app.campaigns.content(campaignId).catch(() => null);
      return content && { subject: publicSubject(content.compiled), preheader: content.compiled.preheader };
    },
    (line) => line !== null,
  );

  server.get('/archive/:newsletter', { schema: { params: Params, querystring: IndexQuery, hide: true } }, async (req, reply) => {
    const { newsletter: id } = req.params as z.infer<typeof Params>;
    const newsletter = await archived(id);
    const rawPage = (req.query as z.infer<typeof IndexQuery>).page;
    const page = rawPage === undefined ? 1 : /^[1-9]\d{0,5}$/.test(rawPage) ? Number(rawPage) : 0;
    if (!newsletter || page === 0) return sendNotFoundPage(reply);
    const all = await archiveEntries(app, newsletter.id);
    const pages = Math.max(1, Math.ceil(all.length / ARCHIVE_PAGE_SIZE));
    if (page > pages) return sendNotFoundPage(reply);
    const index = `${base}/${newsletter.id}`;
    const pageUrl = (n: number) => (n === 1 ? index : `${index}?page=${n}`);
    const slice = all.slice((page - 1) * ARCHIVE_PAGE_SIZE, page * ARCHIVE_PAGE_SIZE);
    const entries = [];
    for (const entry of slice) {
      const line = await lineOf(entry.campaignId);
      if (line) entries.push({ date: entry.date, ...line, url: `${index}/${entry.date}` });
    }
    const body = archiveIndexPage({
      newsletter,
      entries,
      page,
      pages,
      urls: { page: pageUrl(page), index, feed: `${index}/feed.xml`, newer: page > 1 ? pageUrl(page - 1) : undefined, older: page < pages ? pageUrl(page + 1) : undefined },
    });
    return send(reply, 'text/html; charset=utf-8', body, "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  });

  // The last feed made of each newsletter, under what it was made of: the newsletter's settings
  // and its newest entries (campaign, date, times). The same again gives the same feed, without
  // reading 20 campaigns' content (~60 KB each); any new or finished send makes a new one.
  const feeds = new Map<string, { madeOf: string; body: string }>();

  server.get('/archive/:newsletter/feed.xml', { schema: { params: Params, hide: true } }, async (req, reply) => {
    const newsletter = await archived((req.params as z.infer<typeof Params>).newsletter);
    if (!newsletter) return sendNotFoundPage(reply);
    const newest = (await archiveEntries(app, newsletter.id)).slice(0, FEED_SIZE);
    const madeOf = JSON.stringify([newsletter, newest.map((e) => [e.campaignId, e.date, e.publishedAt, e.updatedAt])]);
    const kept = feeds.get(newsletter.id);
    if (kept?.madeOf === madeOf) return send(reply, 'application/atom+xml; charset=utf-8', kept.body, "default-src 'none'");
    const index = `${base}/${newsletter.id}`;
    const entries = [];
    for (const entry of newest) {
      const content = await contentOf(entry);
      if (!content) continue;
      const url = `${index}/${entry.date}`;
      const copy = publicCopy(content, entry.campaignId, url);
      entries.push({ url, title: copy.subject, summary: copy.preheader, html: copy.html, published: entry.publishedAt, updated: entry.updatedAt });
    }
    const body = atomFeed({ newsletter, indexUrl: index, feedUrl: `${index}/feed.xml`, entries, now: new Date() });
    // An empty feed says "updated now": made again each time. A missing content is read again next time.
    if (entries.length && entries.length === newest.length) feeds.set(newsletter.id, { madeOf, body });
    return send(reply, 'application/atom+xml; charset=utf-8', body, "default-src 'none'");
  });

  server.get('/archive/:newsletter/:date', { schema: { params: EditionParams, hide: true } }, async (req, reply) => {
    const { newsletter: id, date } = req.params as z.infer<typeof EditionParams>;
    const newsletter = await archived(id);
    if (!newsletter || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return sendNotFoundPage(reply);
    const entry = await archiveEntry(app, newsletter.id, date);
    const content = entry && (await contentOf(entry));
    if (!entry || !content) return sendNotFoundPage(reply);
    const index = `${base}/${newsletter.id}`;
    const url = `${index}/${date}`;
    const lists = (await app.stores.lists.all()).filter((l) => l.public && l.newsletter === newsletter.id);
    const challenge = opts.challenge && lists.length > 0;
    const body = archiveEditionPage({
      newsletter,
      date,
      copy: publicCopy(content, entry.campaignId, url),
      urls: { page: url, index, feed: `${index}/feed.xml` },
      publishedAt: entry.publishedAt,
      image: await leadImage(app, entry, newsletter),
      lists,
      challenge,
    });
    return send(reply, 'text/html; charset=utf-8', body, editionPageCsp(challenge));
  });
};

/** The first lead story's image in the revision that was sent, else the newsletter's logo. */
async function leadImage(app: App, entry: ArchiveEntry, newsletter: Newsletter): Promise<{ src: string; alt: string } | undefined> {
  const sent = await app.editions.get(entry.editionId, { revision: entry.revision }).catch(() => null);
  if (sent) {
    try {
      const edition = parseEditionText(sent.source, entry.editionId);
      const image = edition.watching.find((s) => s.image)?.image;
      if (image) return { src: image.src, alt: image.alt };
    } catch {
      // The text was composed when it was saved; should it no longer parse, the logo will do.
    }
  }
  const logo = newsletter.brand.logo;
  return logo ? { src: logo.src, alt: logo.alt } : undefined;
}

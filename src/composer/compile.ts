/**
 * Edition → CompiledEmail, once per campaign (docs/architecture.md, invariant 1).
 *
 * The templates are rendered with a sentinel standing in for each per-recipient value; after
 * MJML, the HTML, text and subject are split on those sentinels into the parts and slots of a
 * {@link Template}. Personalizing a copy is then only string joins (see personalize.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';
import { type CompiledEmail, type CompiledLinks, EDITOR_SLOTS, type LinkSpot, type Template, type Slot, SLOTS } from '../domain/compiled-email.ts';
import { EDITOR_TOKEN, type Edition } from '../domain/edition.schema.ts';
import { NewsdeskError } from '../domain/errors.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { trimIndentation } from './html-indentation.ts';
import { collectLinks, type LinkCollector } from './link-collector.ts';
import { PACKAGE_TEMPLATES_DIR } from '../package-dir.ts';
import { createTemplateCache, type TemplateCache } from './templates.ts';

/** Turns an MJML document into HTML. Must throw on invalid MJML. */
export type MjmlRenderer = (mjml: string) => Promise<string>;

export interface CompileOptions {
  /** Folder holding the `<template>/` folders. Default: the package's own `templates/`. */
  templatesDir?: string;
  /**
   * Compiled templates to reuse across calls. Default: a fresh cache per call (correct, but reads
   * and parses the templates every time; pass one cache per process when compiling often).
   */
  templates?: TemplateCache;
  /** Default: {@link renderMjmlStrict}. Injectable to count or replace MJML runs. */
  renderMjml?: MjmlRenderer;
  /** Clock for `compiledAt`. Default: the system clock. */
  now?: () => Date;
}

/**
 * MJML → HTML with strict validation. Our templates are the only MJML there is (editor text is
 * escaped before it gets here), so an MJML error is a bug in a template and stops the compile.
 * @throws NewsdeskError (`template_invalid`)
 */
export const renderMjmlStrict: MjmlRenderer = async (mjml) => {
  try {
    // No web fonts (no requests to font hosts from readers' inboxes); comments only cost bytes.
    const result = await mjml2html(mjml, { validationLevel: 'strict', fonts: {}, keepComments: false });
    return result.html;
  } catch (err) {
    throw new NewsdeskError('template_invalid', `template produced invalid MJML: ${(err as Error).message.trim()}`, {
      cause: err,
    });
  }
};

/**
 * Renders an edition once for all its recipients.
 * @throws NewsdeskError (`template_invalid`, `template_missing`) on template faults
 */
export async function compile(edition: Edition, newsletter: Newsletter, opts: CompileOptions = {}): Promise<CompiledEmail> {
  const templates = await (opts.templates ?? createTemplateCache()).get(
    join(opts.templatesDir ?? PACKAGE_TEMPLATES_DIR, newsletter.template),
  );
  const renderMjml = opts.renderMjml ?? renderMjmlStrict;

  // A fresh random marker per compile: editor text cannot guess it, so it cannot forge a slot.
  const marker = `ndslot${randomBytes(8).toString('hex')}`;
  const sentinel = (t: Slot) => `${marker}${t}x`;
  const slots = Object.fromEntries(SLOTS.map((t) => [t, sentinel(t)])) as Record<Slot, string>;
  // Every link is rendered as a marker too, so its place in the output is known exactly and a
  // campaign can rewrite it later without compiling again (link-tracking.ts).
  const links = collectLinks(edition, withSentinels(edition, sentinel), newsletter, marker);

  const context = {
    edition: links.edition,
    newsletter: links.newsletter,
    date: longDate(edition.date),
    slots,
    linkMapper: links.mapperFor,
  };
  const html = trimIndentation(await renderMjml(templates.layout(context)));
  const text = tidyText(templates.text(context));

  const split = splitter(marker, links);
  const htmlSplit = split(html, 'html', Handlebars.escapeExpression);
  const textSplit = split(text, 'text', (url) => url);
  const compiledLinks = inEmailOrder({ table: links.table(), html: htmlSplit.spots, text: textSplit.spots });
  return {
    newsletterId: newsletter.id,
    editionDate: edition.date,
    subject: split(links.edition.subject, 'subject', (url) => url).template,
    preheader: edition.preheader ?? '',
    html: htmlSplit.template,
    text: textSplit.template,
    greetingFallback: newsletter.greetingFallback,
    compiledAt: (opts.now?.() ?? new Date()).toISOString(),
    links: compiledLinks,
  };
}

/**
 * Renumbers the links by where they first appear in the HTML (Markdown links are numbered as they
 * render, after the fields around them), so the report lists them in the order of the email.
 */
function inEmailOrder(links: CompiledLinks): CompiledLinks {
  const order: number[] = [];
  const seen = new Set<number>();
  const firstSeen = [...links.html].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const n of [...firstSeen.map((s) => s[3]), ...links.text.map((s) => s[3]), ...links.table.keys()]) {
    if (!seen.has(n)) order.push(n), seen.add(n);
  }
  const renumbered = new Map(order.map((old, i) => [old, i]));
  const spot = ([p, s, e, n]: LinkSpot): LinkSpot => [p, s, e, renumbered.get(n) as number];
  return { table: order.map((n) => links.table[n] as CompiledLinks['table'][number]), html: links.html.map(spot), text: links.text.map(spot) };
}

/** "Thursday, February 13, 2025": the date as a reader says it (the edition's own calendar day); the archive says it so too. */
export function longDate(isoDate: string): string {
  return new Intl.DateTimeFormat('en-US', {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(new Date(`${isoDate}T00:00:00Z`));
}

/** A copy of the edition with each editor-written `{{token}}` replaced by its sentinel. */
function withSentinels(edition: Edition, sentinel: (t: Slot) => string): Edition {
  const swap = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(EDITOR_TOKEN, (whole, name: string) => ((EDITOR_SLOTS as readonly string[]).includes(name) ? sentinel(name as Slot) : whole));
    if (Array.isArray(value)) return value.map(swap);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, swap(v)]));
    }
    return value;
  };
  return swap(edition) as Edition;
}

/** Trims trailing spaces and collapses runs of blank lines the template's conditionals leave. */
function tidyText(text: string): string {
  return `${text
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/**
 * Splits rendered output on the slot sentinels and puts each link back where its marker was
 * (escaped for the part), noting the spot; anything left that looks like a token is a bug.
 */
function splitter(marker: string, links: LinkCollector) {
  const pattern = new RegExp(`${marker}(${SLOTS.join('|')})x`, 'g');
  const leftover = new RegExp(`${marker}|\\{\\{`);
  return (rendered: string, what: string, escape: (url: string) => string): { template: Template; spots: LinkSpot[] } => {
    // With one capture group, split alternates text and token names: p0 t0 p1 t1 … pn.
    const pieces = rendered.split(pattern);
    const spots: LinkSpot[] = [];
    const parts = pieces.filter((_, i) => i % 2 === 0).map((part, p) => links.restore(part, escape, (start, end, link) => spots.push([p, start, end, link])));
    const slots = pieces.filter((_, i) => i % 2 === 1) as Slot[];
    for (const part of parts) {
      const at = part.search(leftover);
      if (at >= 0) {
        const near = part.slice(Math.max(0, at - 20), at + 40);
        throw new NewsdeskError('template_invalid', `the compiled ${what} still holds an unfilled token near "${near}"`);
      }
    }
    return { template: { parts, slots }, spots };
  };
}

/**
 * The links of an edition, numbered in the order of the email (stories, more-for-you items,
 * sponsor, then the newsletter's own site in header and footer), each with its section and
 * label. While compiling, every link is rendered as a marker; {@link LinkCollector.restore} puts
 * the real address back and reports where it sits, which is what lets a campaign rewrite its
 * links once, as plain string work (link-tracking.ts).
 *
 * `mailto:` links are never marked: they are no web request and are never tracked.
 */
import type { Edition } from '../domain/edition.schema.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import type { EmailLink, LinkSection } from '../domain/tracking.schema.ts';
import type { LinkMapper } from './markdown.ts';

export interface LinkCollector {
  /** The edition to render: links swapped for markers. */
  edition: Edition;
  /** The newsletter to render: its website swapped for a marker. */
  newsletter: Newsletter;
  /** The marker-making mapper for the Markdown of one item of {@link edition}, if it has one. */
  mapperFor(item: unknown): LinkMapper | undefined;
  /** Every link marked so far, by number. */
  table(): EmailLink[];
  /**
   * Replaces the markers in one piece of output with `escape(url)`, calling `onSpot` with the
   * start and end of each in the returned text and the link's number.
   */
  restore(text: string, escape: (url: string) => string, onSpot: (start: number, end: number, link: number) => void): string;
}

interface ItemMeta {
  section: LinkSection;
  label: string;
  track: boolean;
}

/**
 * @param original the edition as written (labels come from here)
 * @param content the same edition with slot sentinels, which is what gets rendered
 * @param marker the compile's random marker
 */
export function collectLinks(original: Edition, content: Edition, newsletter: Newsletter, marker: string): LinkCollector {
  const table: EmailLink[] = [];
  const byKey = new Map<string, number>();
  const mappers = new Map<unknown, LinkMapper>();
  let itemNo = 0;

  const markerFor = (meta: ItemMeta, item: number, url: string): string => {
    if (url.startsWith('mailto:')) return url;
    const key = `${item}\u0000${url}`;
    let n = byKey.get(key);
    if (n === undefined) {
      n = table.length;
      table.push({ url, section: meta.section, label: meta.label, track: meta.track });
      byKey.set(key, n);
    }
    return `${marker}L${n}x`;
  };

  /** Marks an item's `link` and registers the mapper for the Markdown it renders. */
  const item = <T extends { link?: string | undefined }>(copy: T, meta: ItemMeta): T => {
    const no = itemNo++;
    const mapped = { ...copy, ...(copy.link !== undefined ? { link: markerFor(meta, no, copy.link) } : {}) };
    mappers.set(mapped, (href) => markerFor(meta, no, href));
    return mapped;
  };

  const track = (t: boolean | undefined) => t !== false;
  const watching = content.watching.map((story, i) =>
    item(story, { section: 'watching', label: original.watching[i]?.headline ?? '', track: track(story.track) }),
  );
  const moreForYou = content.moreForYou.map((entry, i) => {
    const o = original.moreForYou[i];
    const isNumber = entry.figure !== undefined;
    return item(entry, {
      section: isNumber ? 'number' : 'moreForYou',
      label: (isNumber ? o?.figure : o?.headline) ?? o?.headline ?? '',
      track: track(entry.track),
    });
  });
  const sponsor = content.sponsor
    ? item(content.sponsor, { section: 'sponsor', label: original.sponsor?.label ?? 'Sponsor', track: track(content.sponsor.track) })
    : undefined;
  const site: ItemMeta = { section: 'footer', label: `${newsletter.name} website`, track: true };
  const website = markerFor(site, itemNo++, newsletter.website);

  const pattern = new RegExp(`${marker}L(\\d+)x`, 'g');
  return {
    edition: { ...content, watching, moreForYou, ...(sponsor ? { sponsor } : {}) },
    newsletter: { ...newsletter, website },
    mapperFor: (it) => mappers.get(it),
    table: () => table.map((l) => ({ ...l })),
    restore(text, escape, onSpot) {
      let out = '';
      let from = 0;
      for (const m of text.matchAll(pattern)) {
        const n = Number(m[1]);
        const link = table[n];
        if (!link) continue;
        out += text.slice(from, m.index);
        const url = escape(link.url);
        onSpot(out.length, out.length + url.length, n);
        out += url;
        from = m.index + m[0].length;
      }
      return out + text.slice(from);
    },
  };
}

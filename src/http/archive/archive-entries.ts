/**
 * Which editions the public archive shows (README.md, "Public archive"): the stored editions of a
 * newsletter that are `sent` and whose campaign has started sending, newest first. A campaign
 * created for a later time marks its edition sent at once; the edition stays off the web until
 * the campaign starts. Each entry names the campaign whose frozen content the archive shows: the
 * latest one of the edition that started (a correction sent again replaces the first).
 *
 * The index is read in two pipelined round trips of a few fields each (no edition text, no whole
 * campaign), for every sent edition the newsletter has: a page past the thousandth edition is
 * there like the first (bench/archive.ts measures it).
 */
import type { App } from '../../app.ts';
import { editionIdOf } from '../../domain/stored-edition.ts';
import type { SentEdition } from '../../store/edition.store.ts';

export interface ArchiveEntry {
  editionId: string;
  date: string;
  campaignId: string;
  /** The edition revision that campaign froze (for the lead image). */
  revision: number;
  /** When its campaign started sending (ISO 8601): the entry's publication time. */
  publishedAt: string;
  /** When its campaign last changed state (finished, or started): the entry's `updated` in the feed. */
  updatedAt: string;
}

/** Every archive entry of `newsletter`, newest date first. */
export async function archiveEntries(app: App, newsletter: string): Promise<ArchiveEntry[]> {
  return entriesOf(app, await app.editions.sentOf(newsletter));
}

/** The archive entry of `newsletter` for `date`, or null when that edition is not in the archive. */
export async function archiveEntry(app: App, newsletter: string, date: string): Promise<ArchiveEntry | null> {
  const edition = await app.editions.get(editionIdOf(newsletter, date));
  if (edition?.state !== 'sent') return null;
  const [entry] = await entriesOf(app, [edition]);
  return entry ?? null;
}

async function entriesOf(app: App, editions: readonly SentEdition[]): Promise<ArchiveEntry[]> {
  // Each edition's campaigns, latest first: the first that started is the one shown.
  const ids = editions.flatMap((e) => [...e.campaignIds].reverse());
  const times = await app.campaigns.startTimes(ids);
  const byId = new Map(ids.map((id, i) => [id, times[i]]));
  const out: ArchiveEntry[] = [];
  for (const edition of editions) {
    for (const campaignId of [...edition.campaignIds].reverse()) {
      const t = byId.get(campaignId);
      if (!t?.startedAt) continue;
      out.push({
        editionId: edition.id,
        date: edition.date,
        campaignId,
        revision: t.editionRevision ?? edition.sentRevision ?? edition.revision,
        publishedAt: t.startedAt,
        updatedAt: t.finishedAt ?? t.startedAt,
      });
      break;
    }
  }
  return out;
}

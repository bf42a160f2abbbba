/**
 * Which editions the public archive shows (README.md, "Public archive"): the stored editions of a
 * newsletter that are `sent` and whose campaign has started sending, newest first. A campaign
 * created for a later time marks its edition sent at once; the edition stays off the web until
 * the campaign starts. Each entry names the campaign whose frozen content the archive shows: the
 * latest one of the edition that started (a correction sent again replaces the first).
 */
import type { App } from '../../app.ts';
import type { StoredEdition } from '../../domain/stored-edition.ts';

export interface ArchiveEntry {
  edition: StoredEdition;
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
  const sent = (await app.editions.list({ newsletter })).filter((e) => e.state === 'sent' && e.campaignIds.length > 0);
  const entries = await Promise.all(sent.map((edition) => entryOf(app, edition)));
  return entries.filter((e): e is ArchiveEntry => e !== null);
}

async function entryOf(app: App, edition: StoredEdition): Promise<ArchiveEntry | null> {
  for (const campaignId of [...edition.campaignIds].reverse()) {
    const campaign = await app.campaigns.find(campaignId);
    if (!campaign?.startedAt) continue;
    return { edition, date: edition.date, campaignId, revision: campaign.editionRevision ?? edition.sentRevision ?? edition.revision, publishedAt: campaign.startedAt, updatedAt: campaign.finishedAt ?? campaign.startedAt };
  }
  return null;
}

/**
 * Years of sent editions in Redis at once, for the archive's test and bench/archive.ts: one
 * edition of `daily` a day from 2020-01-01, each marked sent by a campaign that started and
 * finished, all with the example edition's frozen content. Written straight to the stores (no
 * compile per edition, nothing mailed), so a thousand take a second or two.
 */
import { readFile } from 'node:fs/promises';
import type { App } from '../../src/app.ts';
import { composeEditionFile } from '../../src/composer/compose-edition.ts';
import { newsletterDirs } from '../../src/composer/newsletter.loader.ts';
import { EditionStore } from '../../src/store/edition.store.ts';
import { EXAMPLE_EDITION_FILE } from './editions.ts';

/** The first edition's date; edition i is dated i days later. */
export const FIRST_SENT_DATE = '2020-01-01';

/** Stores `n` sent editions of `daily` (and the list `sent-editions` their campaigns name). */
export async function storeSentEditions(app: App, n: number): Promise<void> {
  const source = await readFile(EXAMPLE_EDITION_FILE, 'utf8');
  const { compiled, newsletter, edition } = await composeEditionFile(EXAMPLE_EDITION_FILE, { newsletterDirs: newsletterDirs(app.config.newslettersDir) });
  await app.stores.lists.create({ id: 'sent-editions', newsletter: 'daily' });
  const template = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: ['sent-editions'], draft: true, again: true, confirmDate: true });
  const content = await app.campaigns.content(template.id);
  await app.campaigns.delete(template.id);
  const store = new EditionStore({ redis: app.redis, keys: app.stores.keys });
  const first = Date.parse(`${FIRST_SENT_DATE}T00:00:00Z`);
  for (let i = 0; i < n; i++) {
    const day = new Date(first + i * 86_400_000);
    const date = day.toISOString().slice(0, 10);
    const id = `daily-${date}`;
    await store.save({ id, newsletter: 'daily', date, source: source.replace(/^date: .*$/m, `date: ${date}`), hash: `sent-${i}`, savedAt: day.toISOString(), savedBy: 'cli:archive' });
    const campaignId = `${id}-sent`;
    const at = new Date(day.getTime() + 11 * 3_600_000).toISOString();
    await app.campaigns.create({ ...template, id: campaignId, status: 'sent', createdAt: at, scheduledAt: at, startedAt: at, finishedAt: at, editionId: id, editionRevision: 1 }, content);
    await store.markSent(id, { campaignId, revision: 1, at });
  }
}

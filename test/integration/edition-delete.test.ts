/**
 * Deleting stored editions (README.md, "Stored editions") through `app.editions`, on real Redis:
 * an edition never sent goes with every revision; a sent one, one a campaign is being created
 * of, and one with draft campaigns stay, changing nothing; `force` cancels those drafts first.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EditionStore } from '../../src/store/edition.store.ts';
import { keysWithPrefix } from '../support/redis.ts';
import { repoPath, validEditionInput } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { snapshot } from '../support/store-fixtures.ts';

let dir: string;
let p: Pipeline;

const text = (changes: Record<string, unknown> = {}) => JSON.stringify({ ...validEditionInput(), ...changes }, null, 2);
const ID = 'daily-2025-02-13';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-edition-delete-'));
  await writeFile(join(dir, 'daily.yaml'), await readFile(repoPath('newsletters/daily.yaml'), 'utf8'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  p = await startPipeline({ workers: false, env: { NEWSLETTERS_DIR: dir } });
  await p.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => {
  await p.close();
});

const editionKeys = async () => (await keysWithPrefix(p.app.redis, p.t.prefix)).filter((k) => k.includes(':edition')).sort();

describe('deleting a stored edition', () => {
  it('removes a draft with every revision and its places in the listings, and writes who did it to the audit log', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.save(text({ subject: 'Second thoughts' }), 'cli:ana');
    await p.app.editions.save(text({ date: '2025-02-14' }), 'cli:ana');

    expect(await p.app.editions.delete(ID, 'cli:bo')).toEqual({ deleted: ID, state: 'draft', revisions: 2, cancelled: [] });
    expect(await p.app.editions.get(ID)).toBeNull();
    expect((await p.app.editions.list()).map((e) => e.id)).toEqual(['daily-2025-02-14']);
    expect((await p.app.editions.list({ newsletter: 'daily' })).map((e) => e.id)).toEqual(['daily-2025-02-14']);
    // Nothing of it is left: only the other edition's keys and the listings.
    expect(await editionKeys()).toEqual([`{${p.t.prefix}}:edition:daily-2025-02-14`, `{${p.t.prefix}}:edition:daily-2025-02-14:revisions`, `{${p.t.prefix}}:editions`, `{${p.t.prefix}}:editions:daily`]);
    expect((await p.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'edition.delete', target: ID, actor: 'cli:bo', detail: { state: 'draft', revisions: 2 } });

    // The id is free again: a new save starts at revision 1.
    expect((await p.app.editions.save(text(), 'cli:ana')).edition).toMatchObject({ id: ID, revision: 1, state: 'draft' });
  });

  it('removes an approved edition: the day then has none to send', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.approve(ID, 'cli:bo');
    expect(await p.app.editions.approvedFor('daily', '2025-02-13')).not.toBeNull();
    expect(await p.app.editions.delete(ID, 'cli:bo')).toMatchObject({ state: 'approved', revisions: 1 });
    expect(await p.app.editions.approvedFor('daily', '2025-02-13')).toBeNull();
  });

  it('keeps a sent edition, an unknown one (naming the closest id) and one a campaign is being created of, changing nothing', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.approve(ID, 'cli:bo');
    const store = new EditionStore({ redis: p.app.redis, keys: p.app.stores.keys });
    const release = await store.lockSending(ID, 60_000);
    expect(release).not.toBeNull();
    const locked = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo')).rejects.toMatchObject({ code: 'edition_sending' });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(locked);
    await release?.();

    const { campaign } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true });
    const sent = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo')).rejects.toMatchObject({
      code: 'edition_state',
      message: `edition ${ID} was sent (campaign ${campaign.id}): it stays, since its campaigns, the archive and the reports refer to it`,
    });
    await expect(p.app.editions.delete('daily-2025-02-31', 'cli:bo')).rejects.toMatchObject({ code: 'not_found', message: `edition not found: daily-2025-02-31 (did you mean ${ID}?)` });
    // The store's own script refuses too, for a send that lands between the service's read and the delete.
    expect(await store.delete(ID, 'daily')).toEqual({ kind: 'sent' });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(sent);
  });

  it('refuses while draft campaigns were made of it, naming them; force cancels them first, and they cannot start', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const { campaign: first } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    const { campaign: second } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    const before = await snapshot(p.app.redis, p.t.prefix);
    const refused = await p.app.editions.delete(ID, 'cli:bo').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'edition_in_use', message: expect.stringContaining(`draft campaigns ${second.id}, ${first.id}`) });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);

    const r = await p.app.editions.delete(ID, 'cli:bo', { force: true });
    expect(r.cancelled.sort()).toEqual([first.id, second.id].sort());
    expect((await p.app.campaigns.get(first.id)).status).toBe('cancelled');
    expect((await p.app.campaigns.get(second.id)).status).toBe('cancelled');
    expect((await p.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'edition.delete', detail: { cancelled: expect.stringContaining(first.id) } });
    await expect(p.app.service.start(first.id, { confirmDate: true })).rejects.toThrow();
  });
});

/**
 * Stored editions (README.md, "Stored editions") through `app.editions`, on real Redis: revisions,
 * states, approval with lint and the two-person rule, campaigns made of a stored edition, and
 * deleting one never sent (a sent one, one a campaign is being created of, and one with draft
 * campaigns stay, changing nothing; `force` cancels those drafts first).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/domain/errors.ts';
import { EditionStore } from '../../src/store/edition.store.ts';
import { keysWithPrefix } from '../support/redis.ts';
import { repoPath, validEditionInput } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { snapshot } from '../support/store-fixtures.ts';

let dir: string;
let p: Pipeline;

/** An edition as text (JSON is YAML), with `changes` over the valid one. */
const text = (changes: Record<string, unknown> = {}) => JSON.stringify({ ...validEditionInput(), ...changes }, null, 2);

beforeAll(async () => {
  // `daily` as shipped, and `duo`: the same newsletter with the two-person rule.
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-editions-'));
  const daily = await readFile(repoPath('newsletters/daily.yaml'), 'utf8');
  await writeFile(join(dir, 'daily.yaml'), daily);
  await writeFile(join(dir, 'duo.yaml'), `${daily.replace(/^id: daily$/m, 'id: duo')}\napproval: { twoPerson: true }\n`);
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

const auditActions = async () => (await p.app.stores.audit.list()).map((e) => `${e.action} ${e.target} ${e.actor}`);

describe('saving editions', () => {
  it('keeps a revision per changed save, none for the same text, each readable with who and when', async () => {
    const first = await p.app.editions.save(text(), 'cli:ana');
    expect(first).toMatchObject({ changed: true, edition: { id: 'daily-2025-02-13', newsletter: 'daily', date: '2025-02-13', state: 'draft', revision: 1, savedBy: 'cli:ana', campaignIds: [] } });
    const again = await p.app.editions.save(text(), 'cli:bo');
    expect(again).toMatchObject({ changed: false, edition: { revision: 1, savedBy: 'cli:ana' } });
    const second = await p.app.editions.save(text({ subject: 'A busier day' }), 'api:desk');
    expect(second.edition).toMatchObject({ revision: 2, latestRevision: 2, savedBy: 'api:desk' });

    const r1 = await p.app.editions.get('daily-2025-02-13', { revision: 1 });
    expect(r1).toMatchObject({ revision: 1, latestRevision: 2, savedBy: 'cli:ana', source: text() });
    expect((await p.app.editions.get('daily-2025-02-13'))?.source).toBe(text({ subject: 'A busier day' }));
    expect(await p.app.editions.get('daily-2025-02-13', { revision: 3 })).toBeNull();
    expect((await p.app.editions.revisions('daily-2025-02-13')).map((r) => [r.revision, r.savedBy])).toEqual([
      [1, 'cli:ana'],
      [2, 'api:desk'],
    ]);
    // Two saves that changed something, two audit entries; the unchanged one wrote none.
    expect(await auditActions()).toEqual(['edition.save daily-2025-02-13 cli:ana', 'edition.save daily-2025-02-13 api:desk']);
    // Every key under the installation's hash tag, as the store's header says.
    const keys = (await keysWithPrefix(p.app.redis, p.t.prefix)).filter((k) => k.includes('edition'));
    expect(keys.sort()).toEqual([`{${p.t.prefix}}:edition:daily-2025-02-13`, `{${p.t.prefix}}:edition:daily-2025-02-13:revisions`, `{${p.t.prefix}}:editions`, `{${p.t.prefix}}:editions:daily`]);
  });

  it('lists the latest revisions newest date first, of one newsletter when asked', async () => {
    await p.app.editions.save(text({ date: '2025-02-12' }), 'cli:ana');
    await p.app.editions.save(text({ date: '2025-02-14' }), 'cli:ana');
    await p.app.editions.save(text({ date: '2025-02-13' }), 'cli:ana');
    await p.app.editions.save(text({ newsletter: 'duo', date: '2025-02-15' }), 'cli:ana');
    expect((await p.app.editions.list()).editions.map((e) => e.id)).toEqual(['duo-2025-02-15', 'daily-2025-02-14', 'daily-2025-02-13', 'daily-2025-02-12']);
    expect((await p.app.editions.list({ newsletter: 'daily' })).editions.map((e) => e.id)).toEqual(['daily-2025-02-14', 'daily-2025-02-13', 'daily-2025-02-12']);
    expect(await p.app.editions.list({ newsletter: 'nope' })).toEqual({ editions: [], total: 0 });
    // A page at a time, with the count of all.
    const second = await p.app.editions.list({ offset: 1, limit: 2 });
    expect({ ids: second.editions.map((e) => e.id), total: second.total }).toEqual({ ids: ['daily-2025-02-14', 'daily-2025-02-13'], total: 4 });
    expect((await p.app.editions.list({ newsletter: 'daily', offset: 2, limit: 2 })).editions.map((e) => e.id)).toEqual(['daily-2025-02-12']);
  });

  it('refuses a malformed edition, another newsletter/date than expected, and an unknown id, changing nothing', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const before = await snapshot(p.app.redis, p.t.prefix);
    const bad = await p.app.editions.save('newsletter: daily\ndate: 2025-02-13\nsubject: [unclosed\n', 'cli:ana').catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).code).toBe('edition_invalid');
    const badField = (await p.app.editions.save(text({ watchng: [] }), 'cli:ana').catch((e: unknown) => e)) as ValidationError;
    expect(badField.problems).toEqual([expect.objectContaining({ message: expect.stringContaining('did you mean watching?') })]);
    const mismatch = (await p.app.editions.save(text({ subject: 'Changed' }), 'api:desk', { expect: { newsletter: 'daily', date: '2025-02-14' } }).catch((e: unknown) => e)) as ValidationError;
    expect(mismatch).toMatchObject({ code: 'edition_mismatch', problems: [{ path: 'date', message: 'is "2025-02-13" but the URL names "2025-02-14"' }] });
    await expect(p.app.editions.save(text(), 'nobody')).rejects.toMatchObject({ code: 'invalid_actor' });
    await expect(p.app.editions.approve('daily-2025-02-31', 'cli:ana')).rejects.toThrow('edition not found: daily-2025-02-31 (did you mean daily-2025-02-13?)');
    await expect(p.app.editions.require('daily-2025-02-13', { revision: 4 })).rejects.toThrow('edition daily-2025-02-13 has no revision 4: its revisions are 1 to 1');
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);
  });
});

describe('approving editions', () => {
  it('refuses lint errors by name, approves a clean revision, and an edit makes it a draft again', async () => {
    await p.app.editions.save(text({ sponsor: { body: 'Acme makes things.', link: 'https://acme.example.com' } }), 'cli:ana');
    const before = await snapshot(p.app.redis, p.t.prefix);
    const refused = (await p.app.editions.approve('daily-2025-02-13', 'cli:bo').catch((e: unknown) => e)) as ValidationError;
    expect(refused).toMatchObject({ code: 'edition_lint_failed', problems: [expect.objectContaining({ path: 'sponsor.label', message: expect.stringContaining('sponsor_label_missing') })] });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);

    await p.app.editions.save(text(), 'cli:ana');
    const approved = await p.app.editions.approve('daily-2025-02-13', 'cli:bo');
    expect(approved).toMatchObject({ state: 'approved', revision: 2, approvedBy: 'cli:bo' });
    expect(await p.app.editions.approvedFor('daily', '2025-02-13')).toMatchObject({ id: 'daily-2025-02-13', revision: 2 });
    // Approving twice changes nothing.
    expect(await p.app.editions.approve('daily-2025-02-13', 'cli:cy')).toMatchObject({ state: 'approved', approvedBy: 'cli:bo' });
    // The same text again keeps the approval; a change withdraws it.
    expect((await p.app.editions.save(text(), 'cli:ana')).edition.state).toBe('approved');
    const edited = await p.app.editions.save(text({ subject: 'Later' }), 'cli:ana');
    expect(edited.edition).toMatchObject({ state: 'draft', revision: 3 });
    expect(edited.edition.approvedBy).toBeUndefined();
    expect(await p.app.editions.approvedFor('daily', '2025-02-13')).toBeNull();
    // Revision 2 still reads as what it was, without claiming the approval for revision 3.
    expect(await p.app.editions.get('daily-2025-02-13', { revision: 2 })).toMatchObject({ state: 'draft', revision: 2 });
    expect((await auditActions()).filter((a) => a.startsWith('edition.approve'))).toEqual(['edition.approve daily-2025-02-13 cli:bo']);
  });

  it('with approval.twoPerson, refuses the approver who saved the latest revision', async () => {
    await p.app.editions.save(text({ newsletter: 'duo' }), 'cli:ana');
    await expect(p.app.editions.approve('duo-2025-02-13', 'cli:ana')).rejects.toMatchObject({
      code: 'edition_two_person',
      message: 'newsletter duo needs two people: cli:ana saved the latest revision of duo-2025-02-13, so someone else must approve it',
    });
    expect((await p.app.editions.get('duo-2025-02-13'))?.state).toBe('draft');
    expect(await p.app.editions.approve('duo-2025-02-13', 'dashboard:bo')).toMatchObject({ state: 'approved', approvedBy: 'dashboard:bo' });
    // Without the rule (daily), one person may save and approve.
    await p.app.editions.save(text(), 'cli:ana');
    expect((await p.app.editions.approve('daily-2025-02-13', 'cli:ana')).state).toBe('approved');
  });
});

describe('campaigns of stored editions', () => {
  it('sends only an approved edition, freezes its revision, marks it sent, and keeps a sent edition from reopening', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const before = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:ana', yes: true })).rejects.toMatchObject({
      code: 'edition_state',
      message: expect.stringContaining('is a draft (revision 1): approve it first'),
    });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);

    await p.app.editions.approve('daily-2025-02-13', 'cli:bo');
    const { campaign, edition } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true });
    expect(campaign).toMatchObject({ status: 'scheduled', editionId: 'daily-2025-02-13', editionRevision: 1, subject: 'A quiet day', lists: ['daily'] });
    expect(await p.app.campaigns.get(campaign.id)).toMatchObject({ editionId: 'daily-2025-02-13', editionRevision: 1 });
    expect(edition).toMatchObject({ state: 'sent', sentRevision: 1, campaignIds: [campaign.id] });
    expect((await p.app.campaigns.content(campaign.id)).compiled.subject.parts.join('')).toBe('A quiet day');
    expect((await p.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'campaign.create', target: campaign.id, actor: 'cli:bo', detail: { edition: 'daily-2025-02-13', revision: 1 } });

    // Sent: a change is refused unless forced, and a forced one stays sent, with a warning.
    const sent = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.save(text({ subject: 'Typo fixed' }), 'cli:ana')).rejects.toMatchObject({ code: 'edition_state', message: expect.stringContaining(`was sent (campaign ${campaign.id})`) });
    await expect(p.app.editions.approve('daily-2025-02-13', 'cli:bo')).rejects.toMatchObject({ code: 'edition_state' });
    await expect(p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true })).rejects.toMatchObject({ code: 'edition_state', message: expect.stringContaining('--again') });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(sent);
    const forced = await p.app.editions.save(text({ subject: 'Typo fixed' }), 'cli:ana', { force: true });
    expect(forced).toMatchObject({ changed: true, edition: { state: 'sent', revision: 2, sentRevision: 1 }, warning: expect.stringContaining('stays sent, but nobody is mailed it') });
    expect(await p.app.editions.get('daily-2025-02-13', { revision: 1 })).toMatchObject({ state: 'sent', approvedBy: 'cli:bo' });
  });

  it('makes a draft campaign of a draft edition for a test send; it starts only once that revision is approved', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const { campaign } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    expect(campaign).toMatchObject({ status: 'draft', editionId: 'daily-2025-02-13', editionRevision: 1 });
    expect((await p.app.editions.get('daily-2025-02-13'))?.state).toBe('draft');
    await expect(p.app.service.start(campaign.id, { confirmDate: true })).rejects.toMatchObject({ code: 'edition_state', message: expect.stringContaining('approve it first') });
    expect((await p.app.campaigns.get(campaign.id)).status).toBe('draft');

    // A later revision, approved, does not let the draft of revision 1 go out.
    await p.app.editions.save(text({ subject: 'Revised' }), 'cli:ana');
    await p.app.editions.approve('daily-2025-02-13', 'cli:bo');
    await expect(p.app.service.start(campaign.id, { confirmDate: true })).rejects.toMatchObject({
      code: 'edition_state',
      message: expect.stringContaining('holds revision 1 of edition daily-2025-02-13, which now has revision 2'),
    });

    const { campaign: draft2 } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    const started = await p.app.service.start(draft2.id, { confirmDate: true });
    expect(started.status).toBe('scheduled');
    expect(await p.app.editions.get('daily-2025-02-13')).toMatchObject({ state: 'sent', sentRevision: 2, campaignIds: [draft2.id] });
  });

  it('refuses a campaign of a revision that is no longer the latest one the caller looked at', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.save(text({ subject: 'Second thoughts' }), 'cli:ana');
    await p.app.editions.approve('daily-2025-02-13', 'cli:bo');
    await expect(p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true, revision: 1 })).rejects.toMatchObject({
      code: 'edition_state',
      message: 'edition daily-2025-02-13 was saved again (revision 2) after revision 1 was looked at: look at it, then create the campaign again',
    });
    expect(await p.app.campaigns.list()).toEqual([]);
    expect((await p.app.editions.get('daily-2025-02-13'))?.state).toBe('approved');
    const { campaign } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true, revision: 2 });
    expect(campaign.editionRevision).toBe(2);
  });

  it('lets one of two callers create the sending campaign at a time', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.approve('daily-2025-02-13', 'cli:ana');
    const results = await Promise.allSettled([
      p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:ana', yes: true }),
      p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'schedule:daily', yes: true }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(['edition_sending', 'edition_state']).toContain((refused.reason as { code: string }).code);
    expect((await p.app.campaigns.list()).length).toBe(1);
  });
});

const ID = 'daily-2025-02-13';
const editionKeys = async () => (await keysWithPrefix(p.app.redis, p.t.prefix)).filter((k) => k.includes(':edition')).sort();

describe('deleting a stored edition', () => {
  it('removes a draft with every revision and its places in the listings, and writes who did it to the audit log', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.save(text({ subject: 'Second thoughts' }), 'cli:ana');
    await p.app.editions.save(text({ date: '2025-02-14' }), 'cli:ana');

    expect(await p.app.editions.delete(ID, 'cli:bo')).toEqual({ deleted: ID, state: 'draft', revisions: 2, cancelled: [] });
    expect(await p.app.editions.get(ID)).toBeNull();
    expect((await p.app.editions.list()).editions.map((e) => e.id)).toEqual(['daily-2025-02-14']);
    expect((await p.app.editions.list({ newsletter: 'daily' })).editions.map((e) => e.id)).toEqual(['daily-2025-02-14']);
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
    const lock = await store.lockSending(ID, 60_000);
    expect(lock).not.toBeNull();
    const locked = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo')).rejects.toMatchObject({ code: 'edition_sending' });
    // The script itself refuses a deleter whose lock is not the one held.
    expect(await store.delete(ID, 'daily', 'another token')).toEqual({ kind: 'sending' });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(locked);
    await lock?.release();

    const { campaign } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true });
    const sent = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo')).rejects.toMatchObject({
      code: 'edition_state',
      message: `edition ${ID} was sent (campaign ${campaign.id}): it stays, since its campaigns, the archive and the reports refer to it`,
    });
    await expect(p.app.editions.delete('daily-2025-02-31', 'cli:bo')).rejects.toMatchObject({ code: 'not_found', message: `edition not found: daily-2025-02-31 (did you mean ${ID}?)` });
    // The store's own script refuses too, for a send that lands between the service's read and the delete.
    const held = await store.lockSending(ID, 60_000);
    expect(await store.delete(ID, 'daily', held?.token ?? '')).toEqual({ kind: 'sent' });
    await held?.release();
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
    const audit = (await p.app.stores.audit.list()).slice(-3).map((e) => `${e.action} ${e.target} ${e.actor}`);
    expect(audit.sort()).toEqual([`campaign.cancel ${first.id} cli:bo`, `campaign.cancel ${second.id} cli:bo`, `edition.delete ${ID} cli:bo`].sort());
    await expect(p.app.service.start(first.id, { confirmDate: true })).rejects.toMatchObject({ code: 'campaign_state' });
  });

  it('with force, leaves everything as it was while a campaign of it is being made', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    const lock = await new EditionStore({ redis: p.app.redis, keys: p.app.stores.keys }).lockSending(ID, 60_000);
    const before = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo', { force: true })).rejects.toMatchObject({ code: 'edition_sending' });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);
    // And no campaign, not even a draft, is made of it while it is being deleted.
    await expect(p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' })).rejects.toMatchObject({ code: 'edition_sending' });
    await lock?.release();
  });

  it('starts no draft of an edition while its lock is held (by a delete, say), changing nothing', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const { campaign } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    await p.app.editions.approve(ID, 'cli:bo');
    const lock = await new EditionStore({ redis: p.app.redis, keys: p.app.stores.keys }).lockSending(ID, 60_000);
    const before = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.service.start(campaign.id, { confirmDate: true })).rejects.toMatchObject({ code: 'edition_sending', message: expect.stringContaining(`campaign ${campaign.id} was not started`) });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);
    await lock?.release();
    expect((await p.app.service.start(campaign.id, { confirmDate: true })).status).toBe('scheduled');
  });

  it('refuses an edition a started campaign sends, and cancels only drafts', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    const { campaign } = await p.app.editions.createCampaign(ID, { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    await p.app.editions.approve(ID, 'cli:bo');
    await p.app.service.start(campaign.id, { confirmDate: true });
    // The moment between the draft's start and its edition marked sent, as a delete could meet it.
    await p.app.redis.hset(p.app.stores.keys.edition(ID), 'state', 'approved');
    const before = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.delete(ID, 'cli:bo', { force: true })).rejects.toMatchObject({
      code: 'edition_state',
      message: `edition ${ID} is sent by campaign ${campaign.id} (scheduled): it stays`,
    });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);
    await expect(p.app.service.discardDraft(campaign.id)).rejects.toMatchObject({ code: 'campaign_state' });
    expect((await p.app.campaigns.get(campaign.id)).status).toBe('scheduled');
  });

  it('refuses a save of the edition a page was editing once it is deleted, instead of making it again', async () => {
    await p.app.editions.save(text(), 'cli:ana');
    await p.app.editions.delete(ID, 'cli:bo');
    const before = await snapshot(p.app.redis, p.t.prefix);
    await expect(p.app.editions.save(text({ subject: 'A late keystroke' }), 'dashboard:ana', { editing: ID })).rejects.toMatchObject({ code: 'edition_deleted' });
    expect(await snapshot(p.app.redis, p.t.prefix)).toEqual(before);
    // Editing another date in the same form is a new edition; a save without `editing` starts it again.
    expect((await p.app.editions.save(text({ date: '2025-02-14' }), 'dashboard:ana', { editing: ID })).edition.id).toBe('daily-2025-02-14');
    expect((await p.app.editions.save(text(), 'cli:ana')).edition).toMatchObject({ id: ID, revision: 1 });
  });
});

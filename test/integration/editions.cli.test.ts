/**
 * `newsdesk editions save|show|ls|approve|delete` and `campaign create <edition id>` as an editor runs
 * them, in child processes over real Redis (README.md, "Stored editions").
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { snapshot } from '../support/store-fixtures.ts';

// Each case runs several `newsdesk` processes; on a busy shared machine one takes seconds to start.
vi.setConfig({ testTimeout: 90_000 });

let p: Pipeline;
let dir: string;
let example: string;

beforeEach(async () => {
  p = await startPipeline({ workers: false });
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-editions-cli-'));
  example = await readFile(EXAMPLE_EDITION_FILE, 'utf8');
  await p.addSubscribers('daily', 2);
});
afterEach(async () => {
  await p.close();
  await rm(dir, { recursive: true, force: true });
});

const newsdesk = (args: string[]) => runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...p.env } });
const write = async (name: string, text: string) => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

describe('newsdesk editions', () => {
  it('saves revisions, lists and shows them, approves, and sends the approved one with campaign create <id>', async () => {
    const file = await write('today.yaml', example);
    const saved = await newsdesk(['editions', 'save', file, '--by', 'ana', '--json']);
    expect(saved.code, saved.stderr).toBe(0);
    expect(JSON.parse(saved.stdout)).toMatchObject({ id: 'daily-2025-02-13', state: 'draft', revision: 1, savedBy: 'cli:ana', changed: true, lint: { ok: true } });
    const same = await newsdesk(['editions', 'save', file, '--by', 'ana']);
    expect(same).toMatchObject({ code: 0, stdout: 'daily-2025-02-13: unchanged, still revision 1 (draft).\n' });
    await writeFile(file, example.replace(/^subject: .*$/m, 'subject: "The bridge reopens"'));
    expect((await newsdesk(['editions', 'save', file, '--by', 'ana'])).stdout).toContain('Saved daily-2025-02-13 revision 2 (draft).\n');

    const ls = await newsdesk(['editions', 'ls', '--newsletter', 'daily']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/^ID\s+STATE\s+REV\s+SAVED\s+BY\s+SUBJECT\s*\ndaily-2025-02-13\s+draft\s+2\s+\S+\s+cli:ana\s+The bridge reopens\s*\n$/);
    const show = await newsdesk(['editions', 'show', 'daily-2025-02-13', '--revision', '1', '--json']);
    const shown = JSON.parse(show.stdout);
    expect(shown).toMatchObject({ revision: 1, latestRevision: 2, source: example, revisions: [{ revision: 1, savedBy: 'cli:ana' }, { revision: 2, savedBy: 'cli:ana' }] });
    expect((await newsdesk(['editions', 'show', 'daily-2025-02-13'])).stdout).toContain('subject: "The bridge reopens"\n');

    const approved = await newsdesk(['editions', 'approve', 'daily-2025-02-13', '--by', 'bo']);
    expect(approved).toMatchObject({ code: 0 });
    expect(approved.stdout).toContain('Approved daily-2025-02-13 revision 2 (by cli:bo).');

    const created = await newsdesk(['campaign', 'create', 'daily-2025-02-13', '--list', 'daily', '--now', '--yes', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const c = JSON.parse(created.stdout);
    expect(c).toMatchObject({ status: 'scheduled', lists: ['daily'], edition: 'daily-2025-02-13', revision: 2 });
    expect(await p.app.campaigns.get(c.id)).toMatchObject({ editionId: 'daily-2025-02-13', editionRevision: 2, subject: 'The bridge reopens' });
    expect(await p.app.editions.get('daily-2025-02-13')).toMatchObject({ state: 'sent', campaignIds: [c.id] });
    const actions = (await p.app.stores.audit.list()).map((e) => `${e.action} ${e.actor}`);
    expect(actions).toEqual(['edition.save cli:ana', 'edition.save cli:ana', 'edition.approve cli:bo', expect.stringMatching(/^campaign\.create cli:/)]);

  });

  it('refuses to change a sent edition without --force; a forced revision stays sent and says so', async () => {
    // Set up through the service (each CLI process costs seconds on a busy machine).
    await p.app.editions.save(example, 'cli:ana');
    await p.app.editions.approve('daily-2025-02-13', 'cli:bo');
    const { campaign } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'cli:bo', yes: true });
    const file = await write('today.yaml', example.replace(/^subject: .*$/m, 'subject: "The bridge reopens today"'));
    const before = await snapshot(p.t.redis, p.t.prefix);
    const refused = await newsdesk(['editions', 'save', file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`error: edition daily-2025-02-13 was sent (campaign ${campaign.id}): a change is not mailed to anyone; save it with --force`);
    expect(await snapshot(p.t.redis, p.t.prefix)).toEqual(before);
    const forced = await newsdesk(['editions', 'save', file, '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('Saved daily-2025-02-13 revision 2 (sent).');
    expect(forced.stderr).toContain('stays sent, but nobody is mailed it');
  });

  it('deletes an edition never sent; one with a draft campaign only with --force, which cancels it', async () => {
    await p.app.editions.save(example, 'cli:ana');
    const { campaign } = await p.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'draft', by: 'cli:ana' });
    const before = await snapshot(p.t.redis, p.t.prefix);
    const refused = await newsdesk(['editions', 'delete', 'daily-2025-02-13']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`error: edition daily-2025-02-13 has draft campaign ${campaign.id}; cancel them first, or pass --force (?force=true in the API) to cancel them and delete the edition\n`);
    expect(await snapshot(p.t.redis, p.t.prefix)).toEqual(before);

    const deleted = await newsdesk(['editions', 'delete', 'daily-2025-02-13', '--force', '--by', 'bo']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`Cancelled 1 draft campaign made of it: ${campaign.id}.\nDeleted edition daily-2025-02-13 (draft) and its 1 revision.\n`);
    expect(await p.app.editions.get('daily-2025-02-13')).toBeNull();
    expect((await p.app.campaigns.get(campaign.id)).status).toBe('cancelled');
    expect((await p.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'edition.delete', actor: 'cli:bo' });
  });

  it('lists a page at a time: --limit and --page, saying where older ones are', async () => {
    for (const date of ['2025-02-11', '2025-02-12', '2025-02-13']) await p.app.editions.save(example.replace(/^date: .*$/m, `date: ${date}`), 'cli:ana');
    const first = await newsdesk(['editions', 'ls', '--limit', '2']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n').slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(['daily-2025-02-13', 'daily-2025-02-12']);
    expect(first.stdout.endsWith('\nEditions 1 to 2 of 3: --page 2 for older ones.\n')).toBe(true);
    const second = await newsdesk(['editions', 'ls', '--limit', '2', '--page', '2', '--json']);
    expect(JSON.parse(second.stdout).map((e: { id: string }) => e.id)).toEqual(['daily-2025-02-11']);
    expect(second.stderr).toBe('');
    expect((await newsdesk(['editions', 'ls', '--limit', '2', '--page', '3'])).stdout).toBe('Page 3 is past the last: 3 editions, 2 pages of 2.\n');
    expect(await newsdesk(['editions', 'ls', '--limit', '2', '--page', '3', '--json'])).toMatchObject({ code: 0, stdout: '[]\n', stderr: 'Page 3 is past the last: 3 editions, 2 pages of 2.\n' });
  });

  it('refuses bad input with a clear error, changing nothing', async () => {
    const noLabel = await write('no-label.yaml', example.replace(/^ {2}label: .*\n/m, ''));
    expect((await newsdesk(['editions', 'save', noLabel])).code).toBe(0);
    const before = await snapshot(p.t.redis, p.t.prefix);

    const malformed = await newsdesk(['editions', 'save', await write('bad.yaml', example.replace(/^subject: .*$/m, 'subject: Cold: snow'))]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/^error: .*bad\.yaml: 1 problem\n {2}line \d+: .*quote/);
    expect((await newsdesk(['editions', 'save', join(dir, 'missing.yaml')])).stderr).toBe(`error: ${join(dir, 'missing.yaml')}: 1 problem\n  file not found\n`);

    const lint = await newsdesk(['editions', 'approve', 'daily-2025-02-13']);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(/^error: daily-2025-02-13 \(revision 1\): 1 problem\n {2}sponsor\.label: sponsor_label_missing: /);
    expect(await newsdesk(['editions', 'approve', 'daily-2025-02-14'])).toMatchObject({ code: 1, stderr: 'error: edition not found: daily-2025-02-14 (did you mean daily-2025-02-13?)\n' });
    expect(await newsdesk(['editions', 'show', 'daily-2025-02-13', '--revision', '2'])).toMatchObject({ code: 1, stderr: 'error: edition daily-2025-02-13 has no revision 2: its revisions are 1 to 1\n' });

    const draft = await newsdesk(['campaign', 'create', 'daily-2025-02-13', '--list', 'daily', '--now', '--yes']);
    expect(draft.code).toBe(1);
    // The lint errors stop it first; a clean draft would be refused for not being approved.
    expect(draft.stderr).toMatch(/sponsor\.label: sponsor_label_missing/);
    expect(await snapshot(p.t.redis, p.t.prefix)).toEqual(before);
  });

  it('makes a --draft campaign of a draft edition; campaign start refuses it until that revision is approved', async () => {
    const file = await write('today.yaml', example);
    await newsdesk(['editions', 'save', file]);
    const send = await newsdesk(['campaign', 'create', 'daily-2025-02-13', '--list', 'daily', '--now', '--yes']);
    expect(send.code).toBe(1);
    expect(send.stderr).toBe('error: edition daily-2025-02-13 is a draft (revision 1): approve it first (newsdesk editions approve daily-2025-02-13); a --draft campaign of it may be made for a test send\n');

    const created = await newsdesk(['campaign', 'create', 'daily-2025-02-13', '--list', 'daily', '--draft']);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.split('\n')[0] as string;
    expect(await p.app.campaigns.get(id)).toMatchObject({ status: 'draft', editionId: 'daily-2025-02-13', editionRevision: 1 });
    const early = await newsdesk(['campaign', 'start', id, '--now', '--yes']);
    expect(early).toMatchObject({ code: 1, stderr: expect.stringContaining('is a draft (revision 1): approve it first') });
    expect((await p.app.campaigns.get(id)).status).toBe('draft');

    expect((await newsdesk(['editions', 'approve', 'daily-2025-02-13'])).code).toBe(0);
    const started = await newsdesk(['campaign', 'start', id, '--now', '--yes']);
    expect(started.code, started.stderr).toBe(0);
    expect(await p.app.editions.get('daily-2025-02-13')).toMatchObject({ state: 'sent', campaignIds: [id] });
  });
});

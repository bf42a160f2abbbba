/**
 * Fixing what was entered: `subscribers update --name`, `lists set-newsletter` (issue 15, small
 * things a new user hit).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { repoPath } from '../support/editions.ts';
import { useTestRedis } from '../support/redis.ts';
import { row, snapshot } from '../support/store-fixtures.ts';

const t = useTestRedis();
let dir: string;
const newsdesk = (args: string[]) =>
  runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...t().env, NEWSLETTERS_DIR: repoPath('newsletters') }, cwd: dir });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-cli-edit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('newsdesk subscribers update', () => {
  it('changes the name, keeps status and lists, and removes it with ""', async () => {
    await t().stores.lists.create({ id: 'metro' });
    await t().stores.subscribers.joinList('metro', [row('jane@example.com', 'Doe, Jane', { city: 'Oslo' })], { via: 'admin' });

    const r = await newsdesk(['subscribers', 'update', 'JANE@example.com', '--name', 'Jane Doe']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^jane@example\.com \(subscriber \d+\) now has name "Jane Doe"\.\n$/);
    expect(await t().stores.subscribers.findByEmail('jane@example.com')).toMatchObject({ name: 'Jane Doe', status: 'active', attributes: { city: 'Oslo' } });
    expect(await t().stores.lists.countMembers('metro')).toBe(1);

    const cleared = await newsdesk(['subscribers', 'update', 'jane@example.com', '--name', '', '--json']);
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).not.toHaveProperty('name');
    expect((await t().stores.subscribers.findByEmail('jane@example.com'))?.name).toBeUndefined();
  });

  it('says how a name will read in a greeting', async () => {
    await t().stores.lists.create({ id: 'metro' });
    await t().stores.subscribers.joinList('metro', [row('jane@example.com')], { via: 'admin' });
    const r = await newsdesk(['subscribers', 'update', 'jane@example.com', '--name', 'Doe, Jane']);
    expect(r.stdout).toContain('  name "Doe, Jane" looks like "Last, First"; the greeting says "Jane"\n');
  });

  it('refuses an unknown address or a bad name in one line, changing nothing', async () => {
    await t().stores.lists.create({ id: 'metro' });
    await t().stores.subscribers.joinList('metro', [row('jane@example.com', 'Jane')], { via: 'admin' });
    const before = await snapshot(t().redis, t().prefix);
    expect(await newsdesk(['subscribers', 'update', 'nobody@example.com', '--name', 'X'])).toMatchObject({ code: 1, stderr: 'error: subscriber not found: nobody@example.com\n' });
    const bad = await newsdesk(['subscribers', 'update', 'jane@example.com', '--name', 'Jane\nDoe']);
    expect(bad).toMatchObject({ code: 1, stderr: 'error: name: no control characters (line breaks, tabs, NUL)\n' });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });
});

describe('newsdesk lists set-newsletter', () => {
  it('ties a list to a newsletter after it was created, and unties it with "-"', async () => {
    await t().stores.lists.create({ id: 'signups' });
    const r = await newsdesk(['lists', 'set-newsletter', 'signups', 'daily']);
    expect(r).toMatchObject({ code: 0, stdout: 'List signups receives daily.\n' });
    expect(await t().stores.lists.get('signups')).toMatchObject({ newsletter: 'daily' });
    expect((await newsdesk(['lists', 'set-newsletter', 'signups', '-'])).stdout).toBe('List signups is tied to no newsletter.\n');
    expect(await t().stores.lists.get('signups')).not.toHaveProperty('newsletter');
  });

  it('refuses a newsletter that has no file, changing nothing', async () => {
    await t().stores.lists.create({ id: 'signups' });
    const before = await snapshot(t().redis, t().prefix);
    const r = await newsdesk(['lists', 'set-newsletter', 'signups', 'weekly']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown newsletter "weekly": no weekly\.yaml in /);
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });
});

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { snapshot } from '../support/store-fixtures.ts';
import { deleteKeysWithPrefix, useTestRedis } from '../support/redis.ts';

const t = useTestRedis();

/** Runs `newsdesk` as users do, against this test's prefix. */
const newsdesk = (args: string[], env: Record<string, string> = {}) => runNewsdesk(args, { env: { ...process.env, ...t().env, ...env }, cwd: dir });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-cli-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('newsdesk lists', () => {
  it('creates lists, shows them with counts, and refuses a taken id in one line', async () => {
    const created = await newsdesk(['lists', 'create', 'daily', '--name', 'Daily briefing', '--double-opt-in']);
    expect(created).toMatchObject({ code: 0, stdout: 'Created list daily ("Daily briefing"), double opt-in, private (no sign-ups from the public form).\n' });
    await t().stores.subscribers.joinList('daily', [{ email: 'a@example.com', attributes: {} }], { via: 'admin' });

    const ls = await newsdesk(['lists', 'ls', '--json']);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual([expect.objectContaining({ id: 'daily', name: 'Daily briefing', doubleOptIn: true, members: 1 })]);
    expect(ls.stderr).toBe('1 list, 1 membership in all.\n');

    const again = await newsdesk(['lists', 'create', 'daily']);
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: 'error: list already exists: daily\n' });
  });

  it('opens a list to sign-ups from the public form and closes it again', async () => {
    expect((await newsdesk(['lists', 'create', 'briefing', '--public'])).stdout).toBe('Created list briefing ("briefing"), single opt-in, public (open to sign-ups from the form).\n');
    expect((await t().stores.lists.require('briefing')).public).toBe(true);
    expect(await newsdesk(['lists', 'unpublish', 'briefing'])).toMatchObject({ code: 0, stdout: 'List briefing is private (no sign-ups from the public form).\n' });
    expect((await t().stores.lists.require('briefing')).public).toBe(false);
    expect(await newsdesk(['lists', 'publish', 'briefing'])).toMatchObject({ code: 0, stdout: 'List briefing is public (open to sign-ups from the form).\n' });
    const ls = await newsdesk(['lists', 'ls']);
    expect(ls.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+OPT-IN\s+SIGN-UP\s+MEMBERS\s+NEWSLETTER$/);
    expect(ls.stdout.split('\n')[1]).toMatch(/^briefing\s+briefing\s+single\s+public\s+0\s+-$/);
    expect(await newsdesk(['lists', 'publish', 'nope'])).toMatchObject({ code: 1, stderr: 'error: list not found: nope\n' });
  });
});

describe('newsdesk subscribers', () => {
  it('imports a CSV with a JSON summary, then re-imports it changing nothing', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await writeFile(join(dir, 'people.csv'), 'email,name,city\nann@example.com,Ann,Paris\nbad-address,X,\nann@example.com,Ann,Paris\nbob@example.com,Bob\n');
    const first = await newsdesk(['subscribers', 'import', 'people.csv', '--list', 'daily', '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      rows: 4,
      added: 1,
      updated: 0,
      alreadyMember: 0,
      invalid: 2,
      suppressed: 0,
      duplicates: 1,
      errors: [
        { line: 3, reason: 'email: not a valid email address: "bad-address"' },
        { line: 5, reason: 'has 2 fields, the header has 3' },
      ],
      errorsOmitted: 0,
    });
    expect(first.stderr).toMatch(/^Imported people\.csv into daily in [\d.]+ s: 4 rows, 1 added, .* 1 duplicates\.\n$/);

    // Nothing changes but the audit log, which records the second import too.
    const subscribersOnly = async () => {
      const all = await snapshot(t().redis, t().prefix);
      all.delete(t().keys.audit);
      return all;
    };
    const before = await subscribersOnly();
    const second = await newsdesk(['subscribers', 'import', 'people.csv', '--list', 'daily']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^ {2}line 3: email: not a valid email address: "bad-address"\n {2}line 5: has 2 fields, the header has 3\nImported .* 0 added, 0 updated, 1 already members, 2 invalid, 0 suppressed, 1 duplicates\.\n$/);
    expect(await subscribersOnly()).toEqual(before);
    expect((await t().stores.audit.list()).map((e) => e.action)).toEqual(['list.import', 'list.import']);
  });

  it('refuses a malformed CSV in one line naming the line, and writes nothing', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await writeFile(join(dir, 'broken.csv'), 'email,name\nann@example.com,Ann\n"bob@example.com,Bob\n');
    const before = await snapshot(t().redis, t().prefix);
    const run = await newsdesk(['subscribers', 'import', 'broken.csv', '--list', 'daily']);
    expect(run).toMatchObject({ code: 1, stdout: '' });
    expect(run.stderr).toBe('error: broken.csv: line 3: a quoted field is never closed (unterminated quote)\n');
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });

  it('adds one address, refusing an invalid address or an unknown list in one line', async () => {
    await t().stores.lists.create({ id: 'daily' });
    expect(await newsdesk(['subscribers', 'add', 'Ann@Example.com', '--list', 'daily', '--name', 'Ann'])).toMatchObject({
      code: 0,
      stdout: 'Added Ann@Example.com to daily as new subscriber 1.\n',
    });
    expect(await newsdesk(['subscribers', 'add', 'foo@', '--list', 'daily'])).toMatchObject({
      code: 1,
      stderr: 'error: email: not a valid email address ("foo@")\n',
    });
    expect(await newsdesk(['subscribers', 'add', 'new@example.com', '--list', 'nope'])).toMatchObject({
      code: 1,
      stderr: 'error: list not found: nope\n',
    });
    expect(await t().stores.subscribers.maxSubscriberId()).toBe(1);
  });

  it('shows a subscriber, unsubscribes them from everything, and will not add them back', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await newsdesk(['subscribers', 'add', 'ann@example.com', '--list', 'daily']);
    const shown = await newsdesk(['subscribers', 'show', 'ANN@example.com', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ subscriber: { id: 1, status: 'active' }, lists: ['daily'], left: [], suppression: null });

    expect(await newsdesk(['subscribers', 'unsubscribe', 'ann@example.com'])).toMatchObject({
      code: 0,
      stdout: 'ann@example.com is unsubscribed from everything and suppressed.\n',
    });
    const after = JSON.parse((await newsdesk(['subscribers', 'show', 'ann@example.com', '--json'])).stdout);
    expect(after).toMatchObject({ subscriber: { status: 'unsubscribed' }, lists: [], left: [{ list: 'daily' }], suppression: { reason: 'unsubscribe' } });

    const readd = await newsdesk(['subscribers', 'add', 'ann@example.com', '--list', 'daily']);
    expect(readd.code).toBe(1);
    expect(readd.stderr).toMatch(/^error: ann@example\.com was not added to daily: the address is suppressed \(unsubscribe on \d{4}-\d\d-\d\d\)\n$/);
  });

  it('unsubscribe waits for a send to the address that passed its check just before it', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await t().stores.subscribers.joinList('daily', [{ email: 'ann@example.com', attributes: {} }], { via: 'admin' });
    // A worker has found Ann eligible and is in the SMTP transaction.
    await t().stores.sendsInProgress.begin(1, 'daily-2025-02-13-abc123', 60_000);
    const order: string[] = [];
    const run = newsdesk(['subscribers', 'unsubscribe', 'ann@example.com']).then((r) => {
      order.push('answered');
      return r;
    });
    // Until the unsubscribe is written (bounded: a CLI that failed first must not hang the test).
    for (let i = 0; i < 2_000 && (await t().stores.subscribers.get(1))?.status !== 'unsubscribed'; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 300));
    order.push('send over');
    await t().stores.sendsInProgress.end(1, 'daily-2025-02-13-abc123');
    expect((await run).code).toBe(0);
    expect(order).toEqual(['send over', 'answered']);
  });

  it('unsubscribes from one list only', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await t().stores.lists.create({ id: 'weekly' });
    for (const list of ['daily', 'weekly']) await t().stores.subscribers.joinList(list, [{ email: 'ann@example.com', attributes: {} }], { via: 'admin' });
    const run = await newsdesk(['subscribers', 'unsubscribe', 'ann@example.com', '--list', 'daily']);
    expect(run).toMatchObject({ code: 0, stdout: 'ann@example.com left daily; re-imports of daily will skip them.\n' });
    expect(await t().stores.lists.membershipsOf(1)).toMatchObject({ member: ['weekly'], left: [{ list: 'daily' }] });
    expect((await t().stores.subscribers.get(1))?.status).toBe('active');
  });

  it('exports a list to a file, formula-safe, with the summary on stderr', async () => {
    await t().stores.lists.create({ id: 'daily' });
    await t().stores.subscribers.joinList('daily', [{ email: 'ann@example.com', name: '=1+1', attributes: { city: 'Paris' } }], { via: 'admin' });
    const run = await newsdesk(['subscribers', 'export', '--list', 'daily', '--out', 'out.csv']);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: 'Exported 1 member of daily to out.csv.\n' });
    const csv = await readFile(join(dir, 'out.csv'), 'utf8');
    expect(csv).toMatch(/^email,name,status,created_at,confirmed_at,city\nann@example\.com,'=1\+1,active,[^,]+,,Paris\n$/);
  });
});

describe('newsdesk and Redis', () => {
  it("honours REDIS_URL's database index", async () => {
    const u = new URL(t().url);
    const db = u.pathname === '/5' ? 6 : 5;
    u.pathname = `/${db}`;
    const other = new Redis(u.toString());
    try {
      const run = await newsdesk(['lists', 'create', 'daily'], { REDIS_URL: u.toString() });
      expect(run.code).toBe(0);
      expect(await other.hexists(t().keys.lists, 'daily')).toBe(1);
      expect(await t().redis.hexists(t().keys.lists, 'daily')).toBe(0);
    } finally {
      await deleteKeysWithPrefix(other, t().prefix);
      other.disconnect();
    }
  });

  it('says in one sentence when Redis does not answer', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const run = await newsdesk(['lists', 'ls'], { REDIS_URL: `redis://127.0.0.1:${port}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`error: Redis is not answering at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); is it running, and is REDIS_URL right?\n`);
  });
});

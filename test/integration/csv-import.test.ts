import { appendFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/domain/errors.ts';
import { exportCsv } from '../../src/store/csv-export.ts';
import { MAX_REPORTED_ERRORS, importCsv } from '../../src/store/csv-import.ts';
import { CsvFormatError } from '../../src/store/csv-reader.ts';
import { row, snapshot } from '../support/store-fixtures.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-import-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

const run = (path: string, listId = 'daily', update = false) =>
  importCsv(path, { listId, update }, { subscribers: t().stores.subscribers, lists: t().stores.lists, batchSize: 3 });

describe('CSV import', () => {
  it('writes nothing when the file changes between the check and the import (still being written)', async () => {
    await t().stores.lists.create({ id: 'daily' });
    const path = await file('growing.csv', 'email,name\nann@example.com,Ann\n');
    const before = await snapshot(t().redis, t().prefix);
    let appended = false;
    const importing = importCsv(path, { listId: 'daily' }, {
      subscribers: t().stores.subscribers,
      lists: t().stores.lists,
      onProgress: (p) => {
        // Whoever writes the export adds rows while the check pass reads it.
        if (p.phase === 'checking' && !appended) {
          appended = true;
          appendFileSync(path, 'bob@example.com,Bob\n');
        }
      },
    });
    await expect(importing).rejects.toThrow(`${path} changed while it was being checked; nothing was written. Import it again once it is complete.`);
    expect(appended).toBe(true);
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
    // Once it is complete, the same import goes through.
    expect(await run(path)).toMatchObject({ rows: 2, added: 2 });
  });

  it('adds good rows, reports each bad one by line and reason, counts duplicates once', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    await lists.create({ id: 'other' });
    // Existing people: one who left "daily", one unsubscribed from everything, one already on it.
    await subscribers.joinList('daily', [row('left@example.com'), row('member@example.com', 'Member')], { via: 'import' });
    await subscribers.unsubscribe(1, { listId: 'daily' });
    await subscribers.joinList('other', [row('gone@example.com')], { via: 'import' });
    await subscribers.unsubscribe(3);

    const csv = [
      '\uFEFFEmail,Name,City,Plan', // 1: BOM; email and name in any case, attributes as spelled
      'jane@example.com,Jane Doe,Paris,pro', // 2
      'not-an-address,Nobody,,', // 3: invalid
      'BOB@example.com,Bob,"Lyon', // 4: a quoted field over two lines
      'Centre",free', // 5
      '', // 6: blank, skipped
      'jane@example.com,Jane Again,Rome,', // 7: duplicate
      'short@example.com,Too Few', // 8: wrong column count
      'left@example.com,,,', // 9: left this list
      'gone@example.com,,,', // 10: suppressed (unsubscribed from everything)
      'member@example.com,New Name,,', // 11: already a member
      'eve@example.com,"=HYPERLINK(""x"")",,', // 12
    ].join('\r\n');
    const summary = await run(await file('people.csv', csv));

    expect(summary).toEqual({
      rows: 9,
      added: 3,
      updated: 0,
      alreadyMember: 1,
      invalid: 2,
      suppressed: 2,
      duplicates: 1,
      errors: [
        { line: 3, reason: 'email: not a valid email address: "not-an-address"' },
        { line: 8, reason: 'has 2 fields, the header has 4' },
        { line: 9, reason: expect.stringMatching(/^left this list on \d{4}-\d\d-\d\d; not re-added$/) },
        { line: 10, reason: expect.stringMatching(/^address is suppressed \(unsubscribe on \d{4}-\d\d-\d\d\)$/) },
      ],
      errorsOmitted: 0,
      nameWarnings: [{ line: 12, reason: expect.stringMatching(/^name "=HYPERLINK\(\\"x\\"\)" has quotes; /) }],
      nameWarningsOmitted: 0,
      delimiter: ',',
    });
    expect(await subscribers.findByEmail('jane@example.com')).toMatchObject({ name: 'Jane Doe', attributes: { City: 'Paris', Plan: 'pro' } });
    expect(await subscribers.findByEmail('bob@example.com')).toMatchObject({ emailDisplay: 'BOB@example.com', attributes: { City: 'Lyon\r\nCentre', Plan: 'free' } });
    expect(await subscribers.findByEmail('member@example.com')).toMatchObject({ name: 'Member' });
    expect(await subscribers.findByEmail('gone@example.com')).toMatchObject({ status: 'unsubscribed' });
    expect(await lists.countMembers('daily')).toBe(4);
  });

  it('changes nothing when the same import runs again', async () => {
    await t().stores.lists.create({ id: 'daily' });
    const path = await file('p.csv', 'email,name,city\na@example.com,Ann,Paris\nb@example.com,Bob,\nbad,,\na@example.com,Ann,Paris\n');
    const first = await run(path);
    expect(first).toMatchObject({ rows: 4, added: 2, invalid: 1, duplicates: 1 });
    const before = await snapshot(t().redis, t().prefix);
    const second = await run(path);
    expect(second).toMatchObject({ rows: 4, added: 0, updated: 0, alreadyMember: 2, invalid: 1, duplicates: 1 });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
    // With --update and the same values there is nothing to update either.
    expect(await run(path, 'daily', true)).toMatchObject({ updated: 0, alreadyMember: 2 });
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });

  it('changes names and attributes of existing subscribers only with update', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    await run(await file('a.csv', 'email,name,plan\na@example.com,Ann,free\n'));
    const changed = await file('b.csv', 'email,name,plan\na@example.com,Ann Smith,pro\n');
    expect(await run(changed)).toMatchObject({ alreadyMember: 1, updated: 0 });
    expect(await subscribers.findByEmail('a@example.com')).toMatchObject({ name: 'Ann', attributes: { plan: 'free' } });
    expect(await run(changed, 'daily', true)).toMatchObject({ alreadyMember: 1, updated: 1 });
    expect(await subscribers.findByEmail('a@example.com')).toMatchObject({ name: 'Ann Smith', attributes: { plan: 'pro' } });
  });

  it('leaves an unsubscribed person unsubscribed and off the list, even with update', async () => {
    const { lists, subscribers, suppression } = t().stores;
    await lists.create({ id: 'daily' });
    await run(await file('a.csv', 'email,name\nquit@example.com,Quitter\n'));
    await subscribers.unsubscribe(1);
    const summary = await run(await file('b.csv', 'email,name\nquit@example.com,Back Again\n'), 'daily', true);
    expect(summary).toMatchObject({ added: 0, suppressed: 1, updated: 0 });
    expect(await subscribers.get(1)).toMatchObject({ status: 'unsubscribed', name: 'Quitter' });
    expect(await lists.isMember('daily', 1)).toBe(false);
    expect(await suppression.isSuppressed('quit@example.com')).toBe(true);
  });

  describe('refuses a malformed file and writes nothing', () => {
    const good = (n: number) => Array.from({ length: n }, (_, i) => `user${i}@example.com,User ${i}`).join('\n');
    const cases: [string, string | Buffer, RegExp][] = [
      ['an unterminated quote on a late row', `email,name\n${good(5000)}\n"broken@example.com,Broken\nlater@example.com,Later\n`, /line 5002: .*never closed/],
      ['an unterminated quote with much more after it', `email,name\n${good(10)}\n"broken@example.com,Broken\n${good(6000)}\n`, /line 12: a record longer than 128 KB starts here: most likely a quote that is never closed/],
      ['binary garbage', Buffer.concat([Buffer.from('email,name\na@example.com,A\n'), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00])]), /line 3: binary data/],
      ['text that is not UTF-8', Buffer.concat([Buffer.from('email,name\na@example.com,A\nb@example.com,Ren'), Buffer.from([0xe9]), Buffer.from('\n')]), /line 3: not UTF-8 text \(byte 0xe9\)/],
      ['a UTF-16 file', Buffer.from('\uFEFFemail,name\r\na@example.com,A\r\n', 'utf16le'), /line 1: binary data/],
      ['a missing email column', 'name,address\nAnn,a@example.com\n', /line 1: the header has no "email" column \(found: name, address\)/],
      ['an empty file', '', /line 1: the file is empty/],
      ['a column named twice', 'email,name,Name\na@example.com,A,B\n', /line 1: column "Name" appears twice/],
      ['a stray quote', 'email,name\na@example.com,Ann "the" Smith\n', /line 2: a quote inside an unquoted field/],
    ];
    for (const [what, content, message] of cases) {
      it(what, async () => {
        await t().stores.lists.create({ id: 'daily' });
        const before = await snapshot(t().redis, t().prefix);
        const error = await run(await file('bad.csv', content)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(CsvFormatError);
        expect((error as Error).message).toMatch(message);
        expect(await snapshot(t().redis, t().prefix)).toEqual(before);
      });
    }
  });

  it('refuses an unknown list or a missing file before reading or writing anything', async () => {
    const path = await file('p.csv', 'email\na@example.com\n');
    await expect(run(path, 'nope')).rejects.toThrow(NotFoundError);
    await t().stores.lists.create({ id: 'daily' });
    await expect(run(join(dir, 'missing.csv'))).rejects.toThrow(/cannot read .*missing\.csv: no such file/);
    expect(await t().stores.subscribers.maxSubscriberId()).toBe(0);
  });

  it('stops with the error when the list disappears mid-import, leaving no temporary keys', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    const rows = Array.from({ length: 20 }, (_, i) => `p${i}@example.com`).join('\n');
    const path = await file('p.csv', `email\n${rows}\n`);
    // The real store, with the list deleted just before its third batch.
    let calls = 0;
    const deleting: typeof subscribers = {
      ...subscribers,
      joinList: async (...args) => {
        if (++calls === 3) await lists.delete('daily');
        return subscribers.joinList(...args);
      },
    };
    const error = await importCsv(path, { listId: 'daily' }, { subscribers: deleting, lists, batchSize: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(await subscribers.maxSubscriberId()).toBe(6);
    expect([...(await snapshot(t().redis, t().prefix)).keys()].filter((k) => k.includes(':import:'))).toEqual([]);
  });

  it('keeps exact counts but lists at most MAX_REPORTED_ERRORS bad rows', async () => {
    await t().stores.lists.create({ id: 'daily' });
    const bad = MAX_REPORTED_ERRORS + 5;
    const path = await file('bad-rows.csv', `email\n${Array.from({ length: bad }, (_, i) => `bad${i}`).join('\n')}\n`);
    const summary = await run(path);
    expect(summary.invalid).toBe(bad);
    expect(summary.errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(summary.errorsOmitted).toBe(5);
    expect(summary.errors[0]).toEqual({ line: 2, reason: 'email: not a valid email address: "bad0"' });
  });
});

describe('CSV export', () => {
  it('writes members with formula-dangerous cells prefixed, and re-imports to the same subscribers', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    await lists.create({ id: 'copy' });
    const csv = 'email,name,note,score\n+plus@example.com,"=HYPERLINK(""http://x"")",@home,-5\nplain@example.com,Plain,"a, b",7\n';
    await run(await file('in.csv', csv));
    await subscribers.joinList('copy', [row('other@example.com')], { via: 'admin' });

    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    expect(await exportCsv('daily', out, { subscribers, lists })).toEqual({ rows: 2 });
    const text = Buffer.concat(chunks).toString();
    const [header, first, second] = text.trimEnd().split('\n');
    expect(header).toBe('email,name,status,created_at,confirmed_at,note,score');
    expect(first).toMatch(/^'\+plus@example\.com,"'=HYPERLINK\(""http:\/\/x""\)",active,\S+,,'@home,'-5$/);
    expect(second).toMatch(/^plain@example\.com,Plain,active,\S+,,"a, b",7$/);

    const summary = await run(await file('export.csv', text), 'copy');
    expect(summary).toMatchObject({ rows: 2, added: 2, alreadyMember: 0, invalid: 0 });
    // Same addresses, so both are existing subscribers joining "copy"; nothing new was created.
    expect(await subscribers.maxSubscriberId()).toBe(3);
    expect(await lists.countMembers('copy')).toBe(3);
    expect(await subscribers.findByEmail('+plus@example.com')).toMatchObject({
      name: '=HYPERLINK("http://x")',
      attributes: { note: '@home', score: '-5' },
    });
  });

  it('refuses an unknown list', async () => {
    await expect(exportCsv('nope', new PassThrough(), t().stores)).rejects.toThrow(NotFoundError);
  });
});

describe("CSV import: what a new user's file looks like (issue 15)", () => {
  it('fills the name from first_name and last_name columns; a name column wins', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    const csv = 'email,first_name,Last_Name,city\nann@example.com,Ann,Lee,Paris\nbo@example.com,Bo,,\ncy@example.com,,Cole,\n';
    const summary = await run(await file('split.csv', csv));
    expect(summary).toMatchObject({ rows: 3, added: 3, invalid: 0, nameWarnings: [] });
    expect(await subscribers.findByEmail('ann@example.com')).toMatchObject({ name: 'Ann Lee', attributes: { city: 'Paris' } });
    expect(await subscribers.findByEmail('bo@example.com')).toMatchObject({ name: 'Bo', attributes: {} });
    expect(await subscribers.findByEmail('cy@example.com')).toMatchObject({ name: 'Cole' });

    await run(await file('both.csv', 'email,name,first_name\ndi@example.com,Diana Prince,Di\n'));
    expect(await subscribers.findByEmail('di@example.com')).toMatchObject({ name: 'Diana Prince', attributes: {} });
  });

  it('reads a ";"-separated file (a spreadsheet saved in a comma-decimal locale), and says so', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    const csv = 'email;name;score\nann@example.com;"Lee, Ann";1,5\nbo@example.com;Bo;2\n';
    const summary = await run(await file('semi.csv', csv));
    expect(summary).toMatchObject({ rows: 2, added: 2, invalid: 0, delimiter: ';' });
    expect(await subscribers.findByEmail('ann@example.com')).toMatchObject({ name: 'Lee, Ann', attributes: { score: '1,5' } });
  });

  it('names a ";" header without an email column as read with ";"', async () => {
    await t().stores.lists.create({ id: 'daily' });
    const before = await snapshot(t().redis, t().prefix);
    await expect(run(await file('semi.csv', 'mail;name\nann@example.com;Ann\n'))).rejects.toThrow(
      'line 1: the header has no "email" column (found: mail, name) (the header has more ";" than ",", so the file was read as ";"-separated)',
    );
    expect(await snapshot(t().redis, t().prefix)).toEqual(before);
  });

  it('reports names that would read badly in a greeting by line, and imports them as given', async () => {
    const { lists, subscribers } = t().stores;
    await lists.create({ id: 'daily' });
    const csv = ['email,name', 'jane@example.com,"Doe, Jane"', 'ok@example.com,Olu Kay', 'q@example.com,"""Q"" Quinn"', 'phd@example.com,"Ada Lovelace, PhD"'].join('\n');
    const summary = await run(await file('names.csv', csv));
    expect(summary.added).toBe(4);
    expect(summary.nameWarnings).toEqual([
      { line: 2, reason: 'name "Doe, Jane" looks like "Last, First"; the greeting says "Jane"' },
      { line: 4, reason: 'name "\\"Q\\" Quinn" has quotes; the greeting says "Q"' },
      { line: 5, reason: 'name "Ada Lovelace, PhD" has a comma; the greeting says "Ada"' },
    ]);
    expect(await subscribers.findByEmail('jane@example.com')).toMatchObject({ name: 'Doe, Jane' });
  });
});

/**
 * Bad input, swept: malformed files, environment values and tokens thrown at every entry point
 * of the CLI (HTTP bodies and URLs: bad-input.http.test.ts). Each case must end in one
 * clear line naming the field, line or variable at fault, exit code 1, no stack trace, and not
 * one byte changed in Redis (every key under the prefix is DUMPed before and after).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken, verifyLinkToken } from '../../src/domain/link-token.ts';
import { runNewsdesk } from '../support/cli.ts';
import { repoPath } from '../support/editions.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { snapshot } from '../support/store-fixtures.ts';

const EXAMPLE = repoPath('examples/editions/2025-02-13.yaml');

let t: TestRedis;
let dir: string;
beforeAll(async () => {
  t = await openTestRedis();
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-bad-'));
  // Something to protect: a list with members, so a partial write would show.
  await t.stores.lists.create({ id: 'daily', name: 'Daily' });
  await t.stores.subscribers.joinList('daily', [{ email: 'kept@example.com', attributes: {} }], { via: 'import' });
});
afterAll(async () => {
  await t.cleanup();
  await rm(dir, { recursive: true, force: true });
});

// In the repository (newsletters/ resolves from it, as when an editor runs it there), with only
// PATH of the developer's environment.
const newsdesk = (args: string[], env: Record<string, string> = {}) =>
  runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...t.env, NEWSDESK_SECRET: 'a-test-secret-that-is-long-enough-for-hmac', ...env } });

async function file(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** Runs the command and checks the house rules for bad input; returns the error line. */
async function refused(args: string[], env: Record<string, string> = {}): Promise<string> {
  const before = await snapshot(t.redis, t.prefix);
  const r = await newsdesk(args, env);
  const after = await snapshot(t.redis, t.prefix);
  expect(after).toEqual(before);
  expect(r.code).toBe(1);
  // One clear line (a validation error may list its problems below it), never a stack trace.
  expect(r.stderr).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(r.stderr.length).toBeLessThan(20_000);
  return r.stderr;
}

describe('edition files (campaign create)', () => {
  const create = (path: string) => ['campaign', 'create', path, '--list', 'daily'];

  it('truncated YAML: names the line', async () => {
    const text = await readFile(EXAMPLE, 'utf8');
    const cut = text.slice(0, text.indexOf('caption:') + 20); // inside a quoted string
    expect(await refused(create(await file('truncated.yaml', cut)))).toMatch(/line \d+/);
  });

  it('wrong types: names each field', async () => {
    const text = (await readFile(EXAMPLE, 'utf8')).replace(/^date: .*$/m, 'date: 12').replace(/^subject: .*$/m, 'subject: [1, 2]');
    const err = await refused(create(await file('types.yaml', text)));
    expect(err).toMatch(/date/);
    expect(err).toMatch(/subject/);
  });

  it('a 10 MB string: refused by size, not read into a template', async () => {
    const text = (await readFile(EXAMPLE, 'utf8')).replace(/^subject: .*$/m, `subject: "${'x'.repeat(10 * 1024 * 1024)}"`);
    expect(await refused(create(await file('huge.yaml', text)))).toMatch(/larger than/);
  });

  it('deeply nested junk (flow and block): a clear error, no stack overflow', async () => {
    const flow = `newsletter: daily\nwatching: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    expect(await refused(create(await file('nested-flow.yaml', flow)))).toMatch(/line 2: YAML: nested too deeply/);
    const block = `newsletter: daily\njunk:\n${Array.from({ length: 5_000 }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}x\n`;
    expect(await refused(create(await file('nested-block.yaml', block)))).toMatch(/junk|nest|line/i);
  });

  it('binary data and JSON with the wrong shape', async () => {
    expect(await refused(create(await file('binary.yaml', randomBytes(4096))))).toMatch(/edition|line|binary|UTF-8/i);
    expect(await refused(create(await file('array.json', '[1, 2, 3]')))).toMatch(/edition|object|expected/i);
  });
});

describe('CSV files (subscribers import)', () => {
  const importing = (path: string) => ['subscribers', 'import', path, '--list', 'daily'];

  it('binary data', async () => {
    expect(await refused(importing(await file('binary.csv', Buffer.concat([Buffer.from('email,name\n'), randomBytes(8192)]))))).toMatch(/line \d+|binary/i);
  });

  it('UTF-16 (with its byte-order mark) and Latin-1 text', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('email,name\nann@example.com,Ann\n', 'utf16le')]);
    expect(await refused(importing(await file('utf16.csv', utf16)))).toMatch(/UTF-16|UTF-8|binary|line 1/i);
    const latin1 = Buffer.from('email,name\nrene@example.com,Ren\xe9\n', 'latin1');
    expect(await refused(importing(await file('latin1.csv', latin1)))).toMatch(/line 2.*UTF-8|UTF-8.*line 2/i);
  });

  it('a row of 100,000 columns', async () => {
    const header = `email,${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\n`;
    expect(await refused(importing(await file('wide.csv', `${header}ann@example.com\n`)))).toMatch(/line 1/);
  });
});

describe('environment values', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['REDIS_URL', { REDIS_URL: 'http://127.0.0.1:6379' }],
    ['REDIS_URL', { REDIS_URL: '\u0001\u0002 redis:// \u001b[31m' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'localhost' }],
    ['SMTP_POOL_SIZE', { SMTP_POOL_SIZE: '-3' }],
    ['WORKER_LOCK_MS', { WORKER_LOCK_MS: '1e400' }],
    ['NEWSDESK_PREFIX', { NEWSDESK_PREFIX: 'a b{c}' }],
    ['SEND_BATCH_SIZE', { SEND_BATCH_SIZE: 'x'.repeat(100_000) }],
  ];
  it.each(cases)('%s: names the variable', async (name, env) => {
    expect(await refused(['lists', 'ls'], env)).toMatch(new RegExp(`${name}: `));
  });
});

describe('tokens', () => {
  const secret = 'a-test-secret-that-is-long-enough-for-hmac';
  const good = signLinkToken({ purpose: 'unsubscribe', subscriberId: 42, scope: { kind: 'list', id: 'daily' } }, secret);

  it.each([
    ['empty', ''],
    ['truncated', good.slice(0, -1)],
    ['one character changed', good.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))],
    ['binary', randomBytes(64).toString('latin1')],
    ['10 MB', `${good}${'.x'.repeat(5 * 1024 * 1024)}`],
    ['many dots', '.'.repeat(100_000)],
    ['nested junk', '{"a":'.repeat(10_000)],
  ])('%s: rejected without throwing', (_name, token) => {
    expect(verifyLinkToken(good, [secret])).toMatchObject({ subscriberId: 42 });
    expect(verifyLinkToken(token, [secret])).toBeNull();
  });
});

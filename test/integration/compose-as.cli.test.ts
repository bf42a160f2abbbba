/**
 * `newsdesk compose --as`: the copy a real subscriber (read from Redis) or a reader with no name
 * would get, so a `{{firstName}}` subject is seen before it is sent (issue 15, finding 5).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE, repoPath } from '../support/editions.ts';
import { useTestRedis } from '../support/redis.ts';
import { row } from '../support/store-fixtures.ts';

const SUBJECT = '{{firstName}}, the bridge closes tonight';

describe('newsdesk compose --as', () => {
  const t = useTestRedis();
  let dir: string;
  let edition: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdesk-compose-as-'));
    edition = join(dir, 'bridge.yaml');
    const example = await readFile(EXAMPLE_EDITION_FILE, 'utf8');
    await writeFile(edition, example.replace(/^subject: .*$/m, `subject: "${SUBJECT}"`));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const compose = (args: string[]) =>
    runNewsdesk(['compose', edition, '--out', join(dir, 'out'), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...t().env, NEWSLETTERS_DIR: repoPath('newsletters'), PUBLIC_URL: 'https://news.example.org' },
    });

  it('renders as a real subscriber: "Doe, Jane" from a CSV reads "Jane, the bridge…"', async () => {
    await t().stores.lists.create({ id: 'metro' });
    await t().stores.subscribers.joinList('metro', [row('jane@example.com', 'Doe, Jane')], { via: 'admin' });
    const r = await compose(['--as', 'jane@example.com', '--json']);
    expect(r.stderr).toMatch(/^compose: ok/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.subject).toBe('Jane, the bridge closes tonight');
    expect(report.reader).toEqual({ email: 'jane@example.com', name: 'Doe, Jane' });
    const html = await readFile(join(dir, 'out/2025-02-13.html'), 'utf8');
    expect(html).toContain('Good morning, Jane.');
    const eml = await readFile(join(dir, 'out/2025-02-13.eml'), 'latin1');
    expect(eml).toMatch(/^To: .*jane@example\.com/m);
  });

  it('renders as a reader with no name, and the lint shows the fallback line', async () => {
    const r = await compose(['--as', 'no-name']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('as      a reader with no name: "there, the bridge closes tonight"');
    expect(r.stdout).toContain('warning personalization_fallback  subject: subject uses {{firstName}}, which readers without a name lack; they see "there, the bridge closes tonight"');
    expect(await readFile(join(dir, 'out/2025-02-13.txt'), 'utf8')).toContain('Good morning, there.');
  });

  it('campaign create shows the same warning before it stores the campaign', async () => {
    await t().stores.lists.create({ id: 'metro' });
    const r = await runNewsdesk(['campaign', 'create', edition, '--list', 'metro', '--draft'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...t().env, NEWSLETTERS_DIR: repoPath('newsletters') },
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: subject: subject uses {{firstName}}, which readers without a name lack; they see "there, the bridge closes tonight"\n');
  });

  it('refuses an address no subscriber has, and writes nothing', async () => {
    const r = await compose(['--as', 'nobody@example.com']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: no subscriber has the address nobody@example.com: preview as one who does, or as "no-name"\n');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});

describe('newsdesk compose --as, without Redis', () => {
  it('needs no Redis for no-name, and refuses a spelling it does not know', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'newsdesk-compose-as-'));
    try {
      // Redis on a port nobody listens on: only a real subscriber would need it.
      const env = { PATH: process.env.PATH ?? '', REDIS_URL: 'redis://127.0.0.1:1', NEWSLETTERS_DIR: repoPath('newsletters') };
      const ok = await runNewsdesk(['compose', EXAMPLE_EDITION_FILE, '--out', join(dir, 'out'), '--as', 'no-name'], { cwd: dir, env });
      expect(ok.code).toBe(0);
      const odd = await runNewsdesk(['compose', EXAMPLE_EDITION_FILE, '--out', join(dir, 'out2'), '--as', 'noname'], { cwd: dir, env });
      expect(odd).toMatchObject({ code: 1, stderr: 'error: preview as a subscriber\'s address or "no-name" (a reader with no name), not "noname"\n' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

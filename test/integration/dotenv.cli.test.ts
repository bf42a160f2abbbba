/**
 * `.env` in the current folder is read by every command; the real environment wins over it; and
 * a variable that looks like a newsdesk setting but is none gets a warning (issue 15).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-dotenv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lists = (env: Record<string, string>) => runNewsdesk(['lists', 'ls', '--json'], { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } });

describe('.env', () => {
  it('supplies settings the environment does not have', async () => {
    await t().stores.lists.create({ id: 'from-dotenv' });
    await writeFile(join(dir, '.env'), `# newsdesk settings\nREDIS_URL=${t().url}\nNEWSDESK_PREFIX="${t().prefix}"\n`);
    const r = await lists({});
    expect(r.stderr).toBe('1 list, 0 memberships in all.\n');
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: 'from-dotenv' })]);
  });

  it('loses to the real environment', async () => {
    await t().stores.lists.create({ id: 'real' });
    await writeFile(join(dir, '.env'), `REDIS_URL=${t().url}\nNEWSDESK_PREFIX=t-not-this-one\n`);
    const r = await lists({ NEWSDESK_PREFIX: t().prefix });
    expect(JSON.parse(r.stdout)).toEqual([expect.objectContaining({ id: 'real' })]);
  });

  it('warns about a mistyped setting, naming the one meant', async () => {
    await writeFile(join(dir, '.env'), `REDIS_URL=${t().url}\nNEWSDESK_PREFIX=${t().prefix}\nSEND_RATE_PER_SECONDS=40\n`);
    const r = await lists({});
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: SEND_RATE_PER_SECONDS is not a newsdesk setting and is ignored; did you mean SEND_RATE_PER_SECOND?\n0 lists, 0 memberships in all.\n');
  });
});

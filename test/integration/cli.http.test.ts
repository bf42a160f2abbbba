/** `newsdesk tokens` and `newsdesk serve` as users run them. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { useTestRedis } from '../support/redis.ts';

const t = useTestRedis();
const BIN = join(import.meta.dirname, '../../bin/newsdesk.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-cli-http-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SECRET = { NEWSDESK_SECRET: 'a-test-secret-that-is-long-enough-for-hmac' };

const newsdesk = (args: string[]) => runNewsdesk(args, { env: { ...process.env, ...t().env, ...SECRET }, cwd: dir });

describe('newsdesk tokens', () => {
  it('prints a token once, lists tokens without it, revokes by name', async () => {
    const created = await newsdesk(['tokens', 'create', 'ci bot', '--scope', 'editor']);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^nd_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/^Created editor token "ci bot" \(id [0-9a-f]{8}\)\. It is shown only now/);
    expect(await t().stores.apiTokens.verify(token)).toMatchObject({ name: 'ci bot', scope: 'editor' });

    const ls = await newsdesk(['tokens', 'ls', '--json']);
    expect(JSON.parse(ls.stdout)).toEqual([expect.objectContaining({ name: 'ci bot', scope: 'editor', lastUsedAt: expect.any(String) })]);
    expect(ls.stdout).not.toContain(token.slice(12));
    expect(ls.stdout).not.toContain('hash');
    expect(ls.stderr).toBe('1 token. Last use is recorded at most once a minute.\n');

    const again = await newsdesk(['tokens', 'create', 'ci bot', '--scope', 'editor']);
    expect(again).toMatchObject({ code: 1, stderr: 'error: a token named "ci bot" already exists; revoke it first or pick another name\n' });

    const revoked = await newsdesk(['tokens', 'revoke', 'ci bot']);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/^Revoked token "ci bot"/);
    expect(await t().stores.apiTokens.verify(token)).toBeNull();
    expect((await newsdesk(['tokens', 'revoke', 'ci bot'])).stderr).toBe('error: token not found: ci bot\n');
  });

  it('needs a scope, takes an expiry, and shows scope, expiry and last use', async () => {
    const bare = await newsdesk(['tokens', 'create', 'scraper']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--scope <scope>' not specified/);
    const bad = await newsdesk(['tokens', 'create', 'scraper', '--scope', 'root']);
    expect(bad.stderr).toMatch(/Allowed choices are admin, editor, read, metrics/);
    expect((await newsdesk(['tokens', 'create', 'scraper', '--scope', 'metrics', '--expires', 'soon'])).stderr).toMatch(/"soon" is not a duration such as/);
    expect(await t().stores.apiTokens.all()).toEqual([]);

    const created = await newsdesk(['tokens', 'create', 'scraper', '--scope', 'metrics', '--expires', '90d', '--json']);
    const { expiresAt } = JSON.parse(created.stdout) as { expiresAt: string };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);
    const ls = await newsdesk(['tokens', 'ls']);
    expect(ls.stdout).toMatch(/^ID\s+NAME\s+SCOPE\s+CREATED\s+EXPIRES\s+LAST USED\n[0-9a-f]{8}\s+scraper\s+metrics\s+\S+\s+\S+Z\s+-\n1 token\./);
  });
});

describe('newsdesk serve', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves on the port it is given, with workers in-process, and stops cleanly on SIGTERM with a summary', async () => {
    child = spawn('node', [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--with-workers'], {
      env: { ...process.env, ...t().env, ...SECRET, LOG_LEVEL: 'warn', OUTBOX_DIR: join(dir, 'outbox') },
      cwd: dir,
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const started = Date.now();
    while (!/serving on (http:\/\/127\.0\.0\.1:\d+)/.test(stdout)) {
      if (child.exitCode !== null || Date.now() - started > 20_000) throw new Error(`serve did not start: ${stdout} ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(stdout).toMatch(/dashboard \/admin, API \/api \(docs \/api\/docs\); workers in this process \(concurrency 5\)/);
    const base = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] as string;
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', redis: 'up' });
    expect((await fetch(`${base}/admin`, { redirect: 'manual' })).status).toBe(303);
    const connection = new Redis(t().url, { maxRetriesPerRequest: null });
    const sendQueue = new Queue('send', { connection, prefix: t().keys.queuePrefix });
    try {
      expect((await sendQueue.getWorkers()).length).toBe(1);
    } finally {
      await sendQueue.close();
      connection.disconnect();
    }

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(stdout).toMatch(/newsdesk serve stopped after 2 requests in \d+ s\.\n$/);
    expect(stderr).toBe('');
  });

  it('says in one line when the port is taken', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const res = await newsdesk(['serve', '--port', String(taken), '--host', '127.0.0.1']);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`));
    } finally {
      blocker.close();
    }
  });
});

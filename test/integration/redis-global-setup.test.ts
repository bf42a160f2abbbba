/**
 * A newcomer without Redis running gets one line saying so, and how to start one, before any
 * test runs: vitest is started the way `npm test` starts it, with REDIS_URL at a closed port.
 */
import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { repoPath } from '../support/editions.ts';
import { freePort } from '../support/redis-server.ts';

describe('the test run without Redis', () => {
  it('stops at once with one line saying Redis is not answering and how to start it', async () => {
    const port = await freePort();
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [repoPath('node_modules/vitest/vitest.mjs'), 'run', '-c', 'vitest.config.ts', 'test/unit/http/client-network.test.ts'],
        { cwd: repoPath('.'), env: { PATH: process.env.PATH ?? '', REDIS_URL: `redis://127.0.0.1:${port}`, NO_COLOR: '1' } },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    expect(run.code).toBe(1);
    const lines = run.output.split('\n').filter((l) => l.includes('Redis is not answering'));
    expect(lines).toEqual([
      `Redis is not answering at redis://127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}); is it running, and is REDIS_URL right? ` +
        'The tests need Redis 7+: start one with `redis-server --daemonize yes` (Debian: apt-get install redis-server).',
    ]);
    // No test file ran.
    expect(run.output).not.toMatch(/Test Files/);
  });
});

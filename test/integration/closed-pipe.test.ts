/**
 * `newsdesk … | head`: when the reader closes the pipe, the command ends quietly (no EPIPE stack
 * trace) with the status it had, like Unix tools. Through bash and Debian's `head`, as users run it.
 */
import { execFile } from 'node:child_process';
import { afterEach, expect, it } from 'vitest';
import { NEWSDESK_BIN } from '../support/cli.ts';
import { repoPath } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

/** Runs `newsdesk <args> | head -1` in bash; the status is newsdesk's own (PIPESTATUS[0]). */
function throughHead(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number; stdout: string; stderr: string }> {
  const quoted = [process.execPath, NEWSDESK_BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    execFile('bash', ['-c', `${quoted} | head -1; exit "\${PIPESTATUS[0]}"`], { env, cwd: repoPath('.') }, (err, stdout, stderr) =>
      resolve({ status: err ? Number((err as { code?: number }).code) : 0, stdout, stderr }),
    );
  });
}

it('subscribers export | head -1 and campaign create --json | head -1 end quietly with status 0', async () => {
  p = await startPipeline({ workers: false });
  await p.addSubscribers('daily', 5000);
  const env = { ...process.env, ...p.env };

  const exported = await throughHead(['subscribers', 'export', '--list', 'daily'], env);
  expect(exported).toMatchObject({ status: 0, stdout: expect.stringMatching(/^email,/) });
  expect(exported.stderr).not.toMatch(/EPIPE|^\s+at /m);

  const created = await throughHead(['campaign', 'create', repoPath('examples/editions/2025-02-13.yaml'), '--list', 'daily', '--json'], env);
  expect(created).toMatchObject({ status: 0, stdout: '{\n' });
  expect(created.stderr).not.toMatch(/EPIPE|^\s+at /m);
  // The campaign was created all the same: the cut output changed nothing done before it.
  expect(await p.app.campaigns.list()).toHaveLength(1);
}, 60_000);

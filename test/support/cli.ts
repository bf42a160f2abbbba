/** Runs the `newsdesk` command as users do, in a child process, for the CLI tests. */
import { execFile } from 'node:child_process';
import { repoPath } from './editions.ts';

/** `bin/newsdesk.js` in this checkout. */
export const NEWSDESK_BIN = repoPath('bin/newsdesk.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `newsdesk <args>` with exactly `env` (give it `PATH`, or spread `process.env` in for the
 * developer's environment) in `cwd` (default the repository). Resolves with the exit code and
 * output; never rejects for a non-zero exit.
 */
export function runNewsdesk(args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [NEWSDESK_BIN, ...args],
      { env: opts.env, cwd: opts.cwd ?? repoPath('.'), maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

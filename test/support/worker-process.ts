/**
 * `newsdesk worker` as a real child process, the way operators run it: spawn, read its log,
 * measure its CPU time, kill it. Shared by the process tests and the fault suite.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { repoPath } from './editions.ts';

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  /** stdout and stderr so far: pino JSON lines. */
  output(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** True until the process has exited. */
  alive(): boolean;
  /** User + system CPU seconds the process has used so far (from /proc; 0 once it is gone). */
  cpuSeconds(): number;
  /** Sends `signal` and resolves when the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `newsdesk worker [args]` with exactly `env` (plus PATH) and debug logs. */
export function spawnWorker(env: Record<string, string>, args: string[] = []): WorkerProcess {
  return spawnNewsdesk(env, ['worker', ...args]);
}

/** Starts any long-running `newsdesk <args>` (`serve --with-workers`…) the same way. */
export function spawnNewsdesk(env: Record<string, string>, args: string[]): WorkerProcess {
  const child = spawn(process.execPath, [repoPath('bin/newsdesk.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid ?? 0,
    output: () => out,
    exited,
    alive,
    cpuSeconds: () => cpuSecondsOf(child.pid ?? 0),
    async kill(signal = 'SIGKILL') {
      if (alive()) child.kill(signal);
      return exited;
    },
  };
}

/** Messages a worker sent, from its `batch done` log lines (needs LOG_LEVEL debug). */
export function sentBy(w: WorkerProcess): number {
  return w
    .output()
    .split('\n')
    .filter((l) => l.includes('"batch done"'))
    .reduce((sum, l) => sum + (JSON.parse(l) as { sent: number }).sent, 0);
}

/** utime + stime of a process, in seconds; 0 when it cannot be read. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100; // USER_HZ is 100 on Linux.
  } catch {
    return 0;
  }
}

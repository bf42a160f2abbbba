/**
 * A program on a terminal: `script` gives it a real one, so prompts are asked and progress bars
 * drawn, and what is written to `type` reaches it as keystrokes (^C becomes a SIGINT, as a
 * person's Ctrl-C does). The shell `script` starts execs the program, so `exited` resolves with
 * the program's own status (128 + the signal's number when a signal ended it); a shell left
 * waiting would answer 130 for any program that Ctrl-C ended, whatever its exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Whether `script` (util-linux) is here to give a program a terminal. */
export const HAS_SCRIPT = existsSync('/usr/bin/script');

/** Cursor hidden and shown again: what a progress bar writes when it starts and when it stops. */
export const HIDE_CURSOR = '\x1b[?25l';
export const SHOW_CURSOR = '\x1b[?25h';

export interface OnTerminal {
  /** Everything the terminal showed so far. */
  output(): string;
  exited: Promise<number | null>;
  type(keys: string): void;
  /** Resolves once the terminal showed `text`; throws with the output after 20 s. */
  waitFor(text: string): Promise<void>;
}

/** Runs `argv` (the program first) on a terminal of its own, with exactly `env`. */
export function onTerminal(argv: string[], env: NodeJS.ProcessEnv): OnTerminal {
  // Each word single-quoted for the shell `script` starts (a path with a space stays one word).
  const command = argv.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', `exec ${command}`, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    output: () => out,
    exited,
    type: (keys: string) => void child.stdin.write(keys),
    async waitFor(text: string) {
      const deadline = Date.now() + 20_000;
      while (!out.includes(text)) {
        if (Date.now() > deadline) throw new Error(`never saw ${JSON.stringify(text)} in ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

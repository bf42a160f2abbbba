/**
 * How every command talks to its user: a one-line summary at the end, JSON when asked,
 * errors as one clear line on stderr with a non-zero exit.
 */
import { InvalidArgumentError } from 'commander';
import { NewsdeskError, ValidationError, formatProblem } from '../domain/errors.ts';

export interface Output {
  /** Human progress and summaries (stderr when --json, so stdout stays parseable). */
  info(line: string): void;
  /** The command's result: JSON or text on stdout. */
  result(value: unknown, text?: string): void;
  json: boolean;
}

export function createOutput(opts: { json?: boolean | undefined }): Output {
  const json = !!opts.json;
  return {
    json,
    info: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    result: (value, text) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
      else if (text !== undefined) process.stdout.write(`${text}\n`);
    },
  };
}

/** A warning for the user, on stderr: `warning: …`. */
export function warnLine(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Prints an error the way users should see it and returns the exit code. */
export function reportError(err: unknown): number {
  if (err instanceof ValidationError) {
    process.stderr.write(`error: ${err.source}: ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}\n`);
    for (const p of err.problems) process.stderr.write(`  ${formatProblem(p)}\n`);
    return 1;
  }
  if (err instanceof NewsdeskError) {
    process.stderr.write(`error: ${err.message}\n`);
    return 1;
  }
  const e = err as { code?: string; message?: string };
  if (e?.code === 'commander.helpDisplayed' || e?.code === 'commander.version') return 0;
  if (typeof e?.code === 'string' && e.code.startsWith('commander.')) return 2;
  // Not one of ours: a bug or an unexpected failure, so keep the stack for the report.
  process.stderr.write(`error: ${e?.message ?? String(err)}\n${(err as Error)?.stack ?? ''}\n`);
  return 1;
}

/** A whole number as people read it: `12,345`. */
export const count = (n: number): string => n.toLocaleString('en-US');

/** `1 list`, `3 lists`, `1,000 memberships`. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** An option parser for a whole number from 1 (to `max`), for commander. */
export function positiveInt(max?: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || (max !== undefined && n > max)) {
      throw new InvalidArgumentError(max === undefined ? 'must be a whole number above 0' : `must be a whole number from 1 to ${count(max)}`);
    }
    return n;
  };
}

/** sysexits.h EX_TEMPFAIL: a mail system keeps the message (or the mailbox keeps it) and tries again later. */
export const EX_TEMPFAIL = 75;

/** An option parser for a TCP port, 0 (any free one) to 65535, for commander. */
export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number from 0 to 65535');
  return n;
}

/** Left-aligned columns for a small table; the first row is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

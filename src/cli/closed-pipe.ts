/**
 * A reader that goes away (`newsdesk subscribers export … | head`) closes the pipe under
 * standard output; the next write fails with EPIPE. Unix tools end quietly then, and so does
 * every newsdesk command: no stack trace, the exit status the command had so far (0 unless it
 * had already failed). Nothing is lost: what the command did before its output was cut (a
 * campaign created, a list exported up to there) stays done.
 */

export interface ClosedPipeOptions {
  /** Ends the process; replaceable in tests. Default `process.exit`. */
  exit?: (code: number) => void;
  /** The status so far. Default `process.exitCode` as a number, else 0. */
  status?: () => number;
}

const guarded = new WeakSet<NodeJS.WriteStream>();

/** Makes EPIPE on `stream` (default stdout) end the process quietly; other errors still surface. Once per stream. */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout, options: ClosedPipeOptions = {}): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const status = options.status ?? (() => (typeof process.exitCode === 'number' ? process.exitCode : 0));
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit(status());
  });
}

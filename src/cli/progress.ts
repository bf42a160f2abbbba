/**
 * A progress bar on stderr, shown only when stderr is a terminal: logs and pipes stay clean.
 *
 * However the process ends while the bar is shown, the terminal is given back: the cursor the bar
 * hid is shown again and line wrapping restored.
 * - Ctrl-C (or SIGTERM): the bar's listener is in place before the bar writes its first byte, so
 *   there is no moment when the cursor is hidden and the signal would kill the process without
 *   restoring it. When nothing else in the process listens for that signal, the bar then raises it
 *   again, so the command dies of it as it would have without a bar (a shell sees 130 for Ctrl-C);
 *   when something does (a command's own clean shutdown), that listener decides.
 * - `process.exit` anywhere (a listener that exits at once, an error path): on the way out.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Moves the bar; `label` replaces the text before it. */
  update(value: number, label?: string): void;
  /** Removes the bar. Safe to call twice. */
  stop(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * @param total the value at 100 %.
 * @param format how to show value/total, e.g. bytes as MB.
 */
export function createProgress(label: string, total: number, format: (n: number) => string = String): Progress {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{label} [{bar}] {percentage}% {shown}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    for (const s of SIGNALS) process.off(s, onSignal);
    process.off('exit', stop);
    bar.stop();
  };
  function onSignal(signal: NodeJS.Signals) {
    // Counted before this listener goes: a `once` listener of the command's is still there now.
    const others = process.listenerCount(signal) - 1;
    stop();
    if (others === 0) process.kill(process.pid, signal);
  }
  // First in line, so the terminal is back before any other listener runs (or exits).
  for (const s of SIGNALS) process.prependListener(s, onSignal);
  process.on('exit', stop);
  bar.start(Math.max(total, 1), 0, { label, shown: `${format(0)}/${format(total)}` });
  return {
    update(value, next) {
      if (next) label = next;
      bar.update(value, { label, shown: `${format(value)}/${format(total)}` });
    },
    stop,
  };
}

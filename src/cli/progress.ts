/**
 * A progress bar on stderr, shown only when stderr is a terminal: logs and pipes stay clean.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Moves the bar; `label` replaces the text before it. */
  update(value: number, label?: string): void;
  /** Removes the bar. Safe to call twice. */
  stop(): void;
}

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
  bar.start(Math.max(total, 1), 0, { label, shown: `${format(0)}/${format(total)}` });
  let stopped = false;
  return {
    update(value, next) {
      if (next) label = next;
      bar.update(value, { label, shown: `${format(value)}/${format(total)}` });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/**
 * How a long-running newsdesk process (`worker`, `serve`) hears it should stop: the first SIGTERM
 * or SIGINT starts a clean shutdown (messages in flight finish, then everything closes and the
 * process exits 0); a second one means "now", for an operator who cannot wait, and exits at once
 * with the shell's status for that signal (128 + its number).
 */
import { constants } from 'node:os';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
export type StopSignal = (typeof SIGNALS)[number];

/** Listening for the stop signals. */
export interface StopSignals {
  /** Resolves with the first signal. */
  first: Promise<StopSignal>;
  /** Stops listening (the process's default handling returns). */
  dispose(): void;
}

export interface StopSignalsOptions {
  /** Told about the second signal just before the process exits. Default: a line on stderr. */
  onForcedExit?: (signal: StopSignal) => void;
  /** Ends the process; replaceable in tests. Default `process.exit`. */
  exit?: (code: number) => void;
}

/** Starts listening for SIGTERM and SIGINT; see the module comment. */
export function listenForStopSignals(options: StopSignalsOptions = {}): StopSignals {
  let resolveFirst: (signal: StopSignal) => void = () => undefined;
  const first = new Promise<StopSignal>((resolve) => (resolveFirst = resolve));
  let heard: StopSignal | undefined;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const onSignal = (signal: StopSignal) => {
    if (!heard) {
      heard = signal;
      resolveFirst(signal);
      return;
    }
    if (options.onForcedExit) options.onForcedExit(signal);
    else process.stderr.write(`${signal} again: exiting now, without waiting for messages in flight\n`);
    exit(128 + constants.signals[signal]);
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
  return {
    first,
    dispose() {
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}

/**
 * What the workers report about their own work, for whoever counts it (the worker's
 * `--metrics-port`, `serve --with-workers`' /metrics). The queue layer only calls it; the
 * Prometheus side lives in `src/http/worker-metrics.ts`.
 */

/** How a send-batch job ended: finished, left for a retry (transient trouble), parked or put back (pause, shutdown), or failed. */
export type BatchEnd = 'completed' | 'retry' | 'delayed' | 'failed';

export interface WorkerObserver {
  /** A send-batch job ended after `seconds`. */
  batchEnded(seconds: number, end: BatchEnd): void;
  /** This process's SMTP breaker opened for `cooldownMs` (the server kept failing). */
  breakerOpened(cooldownMs: number): void;
  /** A campaign was paused because the SMTP settings are wrong (certificate, login, relay). */
  settingsPaused(): void;
}

/**
 * The Prometheus figures of one worker process (`newsdesk worker --metrics-port`): what only the
 * process that sends can count. SMTP replies by class and code and the send latency (from
 * {@link createSendMetrics}, the same series `serve --with-workers` exports), send-batch
 * durations, retries, breaker openings, campaigns paused for wrong SMTP settings, the Redis
 * round trip, and Node's own figures (heap, RSS, event-loop lag) under `newsdesk_process_`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkerObserver } from '../queue/worker-observer.ts';
import type { SendMetrics } from './metrics.ts';

/** One worker process's registry, and the observer its workers report to. */
export interface WorkerMetrics {
  registry: Registry;
  observer: WorkerObserver;
  render(): Promise<string>;
  contentType: string;
}

export interface WorkerMetricsOptions {
  /** This process's SMTP counters (wrap the transport with them). */
  send: SendMetrics;
  /** Measures one Redis round trip (a PING); rejects when Redis does not answer. */
  pingRedis: () => Promise<unknown>;
}

/** Builds the registry; see the module comment. */
export function createWorkerMetrics(opts: WorkerMetricsOptions): WorkerMetrics {
  const own = new Registry();
  collectDefaultMetrics({ register: own, prefix: 'newsdesk_process_' });
  const batches = new Histogram({
    name: 'newsdesk_send_batch_seconds',
    help:
      'How long each send-batch job ran in this process, by how it ended (completed; retry = transient SMTP trouble, ' +
      'retried with backoff; delayed = parked by a pause or put back at shutdown; failed = an error).',
    labelNames: ['end'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [own],
  });
  const retries = new Counter({
    name: 'newsdesk_send_batch_retries_total',
    help: 'Send-batch jobs of this process left for a retry with backoff after transient SMTP trouble (4xx, network).',
    registers: [own],
  });
  const breaker = new Counter({
    name: 'newsdesk_smtp_breaker_opens_total',
    help: 'Times this process stopped sending for a cool-down because the SMTP server kept failing (1 s doubling to 30 s).',
    registers: [own],
  });
  const settingsPauses = new Counter({
    name: 'newsdesk_smtp_settings_pauses_total',
    help: 'Campaigns this process paused because the SMTP settings are wrong (certificate, login, relay refused): needs an operator.',
    registers: [own],
  });
  new Gauge({
    name: 'newsdesk_redis_roundtrip_seconds',
    help: 'One PING to Redis from this process, measured at scrape time; -1 when Redis did not answer.',
    registers: [own],
    async collect() {
      const started = performance.now();
      try {
        await opts.pingRedis();
        this.set((performance.now() - started) / 1000);
      } catch {
        this.set(-1);
      }
    },
  });
  const registry = Registry.merge([own, opts.send.registry]);
  return {
    registry,
    observer: {
      batchEnded(seconds, end) {
        batches.observe({ end }, seconds);
        if (end === 'retry') retries.inc();
      },
      breakerOpened: () => breaker.inc(),
      settingsPaused: () => settingsPauses.inc(),
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

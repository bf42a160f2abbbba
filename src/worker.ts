/**
 * A worker process: builds the app from config, checks the SMTP settings once, runs the fan-out
 * and send workers, and on SIGTERM or SIGINT lets in-flight messages finish before it exits (a
 * second signal exits at once, see stop-signals.ts). With a metrics port it also serves its own
 * /metrics and /healthz.
 */
import { checkRedisSettings, createApp } from './app.ts';
import type { Config } from './config.ts';
import { NewsdeskError } from './domain/errors.ts';
import { devOutboxRefusal } from './mail/outbox-policy.ts';
import type { MetricsServer } from './http/metrics-server.ts';
import type { WorkerMetrics } from './http/worker-metrics.ts';
import type { ImapPoller } from './mail/imap-poller.ts';
import { verifyMailSettings } from './mail/create-transport.ts';
import { listenForStopSignals } from './stop-signals.ts';
import { RUNNING_FROM } from './package-dir.ts';

export interface RunWorkerOptions {
  /** Send-batch jobs at once in this process. Default: SMTP_POOL_SIZE. */
  concurrency?: number | undefined;
  /** Exit once no job is waiting, active or due (scripts, the demo, tests). */
  exitWhenIdle?: boolean | undefined;
  /** Serve this process's /metrics and /healthz on this port (0: any free one). Default: none. */
  metricsPort?: number | undefined;
  /** Address for the metrics port. Default 127.0.0.1. */
  metricsHost?: string | undefined;
}

/**
 * Runs until a signal (or idleness, with `exitWhenIdle`); resolves when everything is closed.
 * @throws NewsdeskError when the SMTP settings do not work (one sentence naming the setting).
 */
export async function runWorker(config: Config, opts: RunWorkerOptions = {}): Promise<void> {
  // Before anything opens: a production worker never falls back to the dev outbox.
  const refusal = devOutboxRefusal(config);
  if (refusal) throw new NewsdeskError('smtp_required', refusal);
  // Listening from the start: a signal during start-up stops the worker cleanly too.
  const signals = listenForStopSignals();
  // Loaded only with a metrics port: a worker without one has no use for prom-client.
  const metricsModules =
    opts.metricsPort === undefined
      ? undefined
      : await Promise.all([import('./http/metrics.ts'), import('./http/worker-metrics.ts'), import('./http/metrics-server.ts')]);
  const sendMetrics = metricsModules?.[0].createSendMetrics();
  const app = await createApp(config, sendMetrics ? { wrapTransport: sendMetrics.wrap } : {}).catch((err: unknown) => {
    signals.dispose();
    throw err;
  });
  const { logger } = app;
  let metricsServer: MetricsServer | undefined;
  let poller: ImapPoller | undefined;
  try {
    for (const warning of await checkRedisSettings(app.redis)) {
      if (config.env === 'production') logger.warn(warning);
      else logger.debug(warning);
    }
    const transport = await app.transport();
    await verifyMailSettings(transport);
    let metrics: WorkerMetrics | undefined;
    if (metricsModules && sendMetrics && opts.metricsPort !== undefined) {
      const [, { createWorkerMetrics }, { startMetricsServer }] = metricsModules;
      metrics = createWorkerMetrics({ send: sendMetrics, pingRedis: () => app.redis.ping() });
      metricsServer = await startMetricsServer({
        port: opts.metricsPort,
        host: opts.metricsHost,
        metrics,
        health: async () => void (await app.redis.ping()),
      });
      logger.info({ url: metricsServer.url }, 'worker metrics at /metrics, liveness at /healthz');
    }
    const workers = await app.startWorkers({ concurrency: opts.concurrency, observer: metrics?.observer });
    const target = transport.target.kind === 'outbox' ? `dev outbox ${transport.target.dir}` : transport.target.server;
    logger.info({ pid: process.pid, concurrency: opts.concurrency ?? config.smtp.poolSize, mail: target, code: RUNNING_FROM }, 'worker started');
    // The bounce mailbox, when one is configured, is read by every worker (IMAP moves make that safe).
    // Loaded only with a mailbox to read: the IMAP client and the MIME parser weigh ~40 MB that a
    // worker without one has no use for.
    poller = config.imap ? (await import('./inbound-poller.ts')).createInboundPoller(app) : undefined;
    if (poller) {
      void poller.run();
      logger.info({ mailbox: config.imap?.describe }, 'polling the bounce mailbox');
    }

    const idle = opts.exitWhenIdle
      ? workers.idle({ sendQueue: app.queues.send, campaignQueue: app.queues.campaign }).then((done) => (done ? 'idle' : undefined))
      : new Promise<never>(() => undefined);
    const reason = await Promise.race([signals.first, idle]);
    logger.info({ reason }, 'worker stopping: finishing messages in flight');
  } finally {
    // The poller first: the message in hand is stored before Redis closes. Then the metrics
    // server: nothing scrapes figures of connections being closed.
    await poller?.stop();
    await metricsServer?.close();
    await app.close();
    signals.dispose();
  }
  logger.info('worker stopped');
}

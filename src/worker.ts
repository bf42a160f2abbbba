/**
 * A worker process: builds the app from config, runs the fan-out and send workers, and on
 * SIGTERM or SIGINT lets in-flight messages finish before it exits.
 */
import { checkRedisSettings, createApp } from './app.ts';
import type { Config } from './config.ts';
import { createInboundPoller } from './inbound-poller.ts';

export interface RunWorkerOptions {
  /** Send-batch jobs at once in this process. Default: SMTP_POOL_SIZE. */
  concurrency?: number | undefined;
  /** Exit once no job is waiting, active or due (scripts, the demo, tests). */
  exitWhenIdle?: boolean | undefined;
}

/** Runs until a signal (or idleness, with `exitWhenIdle`); resolves when everything is closed. */
export async function runWorker(config: Config, opts: RunWorkerOptions = {}): Promise<void> {
  const app = await createApp(config);
  const { logger } = app;
  for (const warning of await checkRedisSettings(app.redis)) {
    if (config.env === 'production') logger.warn(warning);
    else logger.debug(warning);
  }
  const transport = await app.transport();
  const workers = await app.startWorkers({ concurrency: opts.concurrency });
  const target = transport.target.kind === 'outbox' ? `dev outbox ${transport.target.dir}` : transport.target.server;
  logger.info({ pid: process.pid, concurrency: opts.concurrency ?? config.smtp.poolSize, mail: target }, 'worker started');
  // The bounce mailbox, when one is configured, is read by every worker (IMAP moves make that safe).
  const poller = createInboundPoller(app);
  if (poller) {
    void poller.run();
    logger.info({ mailbox: config.imap?.describe }, 'polling the bounce mailbox');
  }

  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
    if (opts.exitWhenIdle) {
      void workers.idle({ sendQueue: app.queues.send, campaignQueue: app.queues.campaign }).then(() => resolve('idle'));
    }
  });
  const reason = await stopped;
  logger.info({ reason }, 'worker stopping: finishing messages in flight');
  // The poller first: the message in hand is stored before Redis closes.
  await poller?.stop();
  await app.close();
  logger.info('worker stopped');
}

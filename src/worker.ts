/**
 * A worker process: builds the app from config, runs the fan-out and send workers, and on
 * SIGTERM or SIGINT lets in-flight messages finish before it exits.
 */
import { checkRedisSettings, createApp } from './app.ts';
import type { Config } from './config.ts';
import { NewsdeskError } from './domain/errors.ts';
import { devOutboxRefusal } from './mail/outbox-policy.ts';

export interface RunWorkerOptions {
  /** Send-batch jobs at once in this process. Default: SMTP_POOL_SIZE. */
  concurrency?: number | undefined;
  /** Exit once no job is waiting, active or due (scripts, the demo, tests). */
  exitWhenIdle?: boolean | undefined;
}

/** Runs until a signal (or idleness, with `exitWhenIdle`); resolves when everything is closed. */
export async function runWorker(config: Config, opts: RunWorkerOptions = {}): Promise<void> {
  // Before anything opens: a production worker never falls back to the dev outbox.
  const refusal = devOutboxRefusal(config);
  if (refusal) throw new NewsdeskError('smtp_required', refusal);
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

  const stopped = new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
    if (opts.exitWhenIdle) {
      void workers.idle({ sendQueue: app.queues.send, campaignQueue: app.queues.campaign }).then(() => resolve('idle'));
    }
  });
  const reason = await stopped;
  logger.info({ reason }, 'worker stopping: finishing messages in flight');
  await app.close();
  logger.info('worker stopped');
}

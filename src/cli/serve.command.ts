/**
 * `newsdesk serve`: the HTTP server (subscriber pages, /api, /admin, /healthz, /metrics) on
 * PORT, answering for PUBLIC_URL. With `--with-workers` it also runs the fan-out and send
 * workers, so a small install is one process. SIGTERM stops taking requests, finishes those in
 * flight (and the messages being sent), then exits.
 */
import { Command } from 'commander';
import { checkRedisSettings, createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { createSendMetrics } from '../http/metrics.ts';
import { buildServer } from '../http/server.ts';
import { verifyMailSettings } from '../mail/create-transport.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { listenForStopSignals } from '../stop-signals.ts';
import { port, positiveInt, warnLine } from './output.ts';

export interface ServeOptions {
  port?: number | undefined;
  host: string;
  withWorkers?: boolean | undefined;
  concurrency?: number | undefined;
}

/** Runs the server until SIGTERM or SIGINT; resolves once everything is closed. */
export async function serve(opts: ServeOptions): Promise<void> {
  const config = loadConfig();
  assertSigningSecret(config, { command: 'newsdesk serve', warn: warnLine });
  // Listening from the start: a signal during start-up stops the server cleanly too.
  const signals = listenForStopSignals();
  const sendMetrics = opts.withWorkers ? createSendMetrics() : undefined;
  const app = await createApp(config, sendMetrics ? { wrapTransport: sendMetrics.wrap } : {});
  const { logger } = app;
  const started = Date.now();
  let requests = 0;
  try {
    for (const warning of await checkRedisSettings(app.redis)) logger[config.env === 'production' ? 'warn' : 'debug'](warning);
    if (opts.withWorkers) {
      await verifyMailSettings(await app.transport());
      await app.startWorkers({ concurrency: opts.concurrency });
    }
    const server = buildServer(app, { sendMetrics });
    server.addHook('onResponse', async () => {
      requests++;
    });
    const listenPort = opts.port ?? config.port;
    let address: string;
    try {
      address = await server.listen({ port: listenPort, host: opts.host });
    } catch (err) {
      throw new NewsdeskError('listen_failed', `cannot listen on ${opts.host}:${listenPort}: ${(err as Error).message}`);
    }
    const mail = config.smtp.url ? 'SMTP_URL' : `the dev outbox (${config.smtp.outboxDir}, see /admin/outbox)`;
    const workers = opts.withWorkers
      ? `workers in this process (concurrency ${opts.concurrency ?? config.smtp.poolSize}), mail to ${mail}`
      : 'no workers here: run `newsdesk worker` to send';
    process.stdout.write(`newsdesk serving on ${address} for ${config.publicUrl}: dashboard /admin, API /api (docs /api/docs); ${workers}.\n`);

    const signal = await signals.first;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    await server.close();
  } finally {
    await app.close();
    signals.dispose();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`newsdesk serve stopped after ${requests.toLocaleString('en-US')} request${requests === 1 ? '' : 's'} in ${seconds} s.\n`);
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve subscriber pages, the editors API (/api) and the dashboard (/admin) on PORT')
    .option('--port <n>', 'port to listen on (default: PORT, 3000)', port)
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--with-workers', 'also run the fan-out and send workers in this process (small installs)')
    .option('--concurrency <n>', 'with --with-workers: send batches at once (default: SMTP_POOL_SIZE)', positiveInt())
    .action(async (opts: ServeOptions) => {
      await serve(opts);
    });
}

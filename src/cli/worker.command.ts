/** `newsdesk worker`: run fan-out and send workers in this process until SIGTERM (or idle). */
import { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { runWorker } from '../worker.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { port, positiveInt, warnLine } from './output.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run the fan-out and send workers (SIGTERM finishes messages in flight, then exits; a second one exits at once)')
    .option('--concurrency <n>', 'send batches processed at once (default: SMTP_POOL_SIZE)', positiveInt())
    .option('--exit-when-idle', 'exit once there is nothing left to send')
    .option('--metrics-port <port>', "serve this process's Prometheus /metrics and /healthz on this port", port)
    .option('--metrics-host <address>', 'address for --metrics-port', '127.0.0.1')
    .action(async (opts: { concurrency?: number; exitWhenIdle?: boolean; metricsPort?: number; metricsHost: string }) => {
      const config = loadConfig();
      assertSigningSecret(config, { command: 'newsdesk worker', warn: warnLine });
      await runWorker(config, {
        concurrency: opts.concurrency,
        exitWhenIdle: opts.exitWhenIdle,
        metricsPort: opts.metricsPort,
        metricsHost: opts.metricsHost,
      });
    });
}

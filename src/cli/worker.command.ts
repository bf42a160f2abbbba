/** `newsdesk worker`: run fan-out and send workers in this process until SIGTERM (or idle). */
import { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { runWorker } from '../worker.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { positiveInt, warnLine } from './output.ts';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run the fan-out and send workers (SIGTERM finishes messages in flight, then exits)')
    .option('--concurrency <n>', 'send batches processed at once (default: SMTP_POOL_SIZE)', positiveInt())
    .option('--exit-when-idle', 'exit once there is nothing left to send')
    .action(async (opts: { concurrency?: number; exitWhenIdle?: boolean }) => {
      const config = loadConfig();
      assertSigningSecret(config, { command: 'newsdesk worker', warn: warnLine });
      await runWorker(config, { concurrency: opts.concurrency, exitWhenIdle: opts.exitWhenIdle });
    });
}

/** `newsdesk worker`: run fan-out and send workers in this process until SIGTERM (or idle). */
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.ts';
import { runWorker } from '../worker.ts';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number above 0');
  return n;
}

export function workerCommand(): Command {
  return new Command('worker')
    .description('run the fan-out and send workers (SIGTERM finishes messages in flight, then exits)')
    .option('--concurrency <n>', 'send batches processed at once (default: SMTP_POOL_SIZE)', positiveInt)
    .option('--exit-when-idle', 'exit once there is nothing left to send')
    .action(async (opts: { concurrency?: number; exitWhenIdle?: boolean }) => {
      await runWorker(loadConfig(), { concurrency: opts.concurrency, exitWhenIdle: opts.exitWhenIdle });
    });
}

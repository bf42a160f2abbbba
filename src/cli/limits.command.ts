/**
 * `newsdesk limits …`: the send limits every worker obeys, stored once in Redis. The
 * SEND_RATE_PER_SECOND / SEND_RATE_PER_HOUR environment only seeds them while nothing is stored.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { SendLimits } from '../store/send-limits.store.ts';
import { withContext } from './context.ts';
import { count, createOutput } from './output.ts';

const describe = (l: SendLimits) =>
  `${l.perSecond > 0 ? `${count(l.perSecond)} per second` : 'no per-second limit'}, ${l.perHour > 0 ? `${count(l.perHour)} per hour` : 'no hourly limit'}`;

/** A whole number from 0 (0: no limit). */
function limit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number (0: no limit)');
  return n;
}

export function limitsCommand(): Command {
  const limits = new Command('limits').description('the global send rate every worker obeys, stored in Redis');

  limits
    .command('show')
    .description('the stored limits (workers follow them within seconds)')
    .option('--json', 'print { stored, perSecond, perHour } as JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const config = ctx.config();
        const stored = await (await ctx.stores()).sendLimits.get();
        out.result({ stored: stored !== null, perSecond: stored?.perSecond ?? null, perHour: stored?.perHour ?? null });
        const env = { perSecond: config.send.ratePerSecond, perHour: config.send.ratePerHour };
        out.info(
          stored
            ? `Send limits: ${describe(stored)} across all workers.`
            : `No limits stored: the first worker whose SEND_RATE_PER_SECOND/SEND_RATE_PER_HOUR sets one stores it (this environment: ${describe(env)}). Set them with newsdesk limits set --per-second N.`,
        );
      });
    });

  limits
    .command('set')
    .description('set the limits for every worker (0: no limit)')
    .requiredOption('--per-second <n>', 'messages per second across all workers', limit)
    .option('--per-hour <n>', 'messages per clock hour across all workers (default: unchanged)', limit)
    .option('--json', 'print the limits as JSON')
    .action(async (opts: { perSecond: number; perHour?: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { sendLimits } = await ctx.stores();
        const perHour = opts.perHour ?? (await sendLimits.get())?.perHour ?? 0;
        const set = await sendLimits.set({ perSecond: opts.perSecond, perHour });
        out.result({ stored: true, ...set });
        out.info(`Send limits set: ${describe(set)}; every worker follows within seconds.`);
      });
    });

  return limits;
}

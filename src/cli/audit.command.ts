/** `newsdesk audit`: the audit log — who did what, when — from the CLI, the API and the dashboard. */
import { Command, InvalidArgumentError } from 'commander';
import { parseTimeOption, TIME_OPTION_HINT } from '../domain/time-option.ts';
import { withContext } from './context.ts';
import { count, createOutput, positiveInt, table } from './output.ts';

function since(value: string): Date {
  const at = parseTimeOption(value, { now: Date.now(), direction: 'back' });
  if (!at) throw new InvalidArgumentError(`"${value}" is not ${TIME_OPTION_HINT}`);
  return at;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('who did what, when: campaign, list, import, unsubscribe, token and queue actions, oldest first')
    .option('--since <when>', 'only from this time on: 24h, 7d, or an ISO 8601 time (default: everything kept, AUDIT_RETENTION_DAYS)', since)
    .option('--limit <n>', 'at most this many, the newest', positiveInt(100_000), 1000)
    .option('--json', 'print the entries as JSON')
    .action(async (opts: { since?: Date; limit: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const entries = await (await ctx.stores()).audit.list({ since: opts.since, limit: opts.limit });
        const rows = [['TIME', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL']];
        for (const e of entries) {
          const detail = Object.entries(e.detail ?? {})
            .map(([k, v]) => `${k}=${String(v)}`)
            .join(' ');
          rows.push([e.at, e.actor, e.action, e.target ?? '-', detail]);
        }
        out.result(entries, entries.length ? table(rows) : undefined);
        out.info(`${count(entries.length)} entr${entries.length === 1 ? 'y' : 'ies'}${opts.since ? ` since ${opts.since.toISOString()}` : ''}.`);
      });
    });
}

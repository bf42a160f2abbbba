/** `newsdesk tokens …`: API tokens for the editors' API, the dashboard and /metrics. Only a hash is stored. */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ApiTokenScope } from '../domain/api-token.schema.ts';
import { parseTimeOption, TIME_OPTION_HINT } from '../domain/time-option.ts';
import { withContext } from './context.ts';
import { createOutput, table } from './output.ts';

/** `--expires`: a duration from now or a time, in the future. */
function expiry(value: string): Date {
  const at = parseTimeOption(value, { now: Date.now(), direction: 'ahead' });
  if (!at) throw new InvalidArgumentError(`"${value}" is not ${TIME_OPTION_HINT}`);
  return at;
}

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('API tokens for /api, the /admin dashboard and /metrics: create, ls, revoke');

  tokens
    .command('create <name>')
    .description('create a token and print it once (only its hash is kept)')
    .addOption(
      new Option('--scope <scope>', 'admin: everything; editor: editions, campaigns, lists, subscribers; read: look only; metrics: only /metrics')
        .choices(ApiTokenScope.options)
        .makeOptionMandatory(),
    )
    .option('--expires <when>', 'stop working after this: 90d, 12h, 2w, or an ISO 8601 time (default: never)', expiry)
    .option('--json', 'print { id, name, scope, token, createdAt, expiresAt } as JSON')
    .action(async (name: string, opts: { scope: ApiTokenScope; expires?: Date; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { token, record } = await (await ctx.stores()).apiTokens.create(name, { scope: opts.scope, expiresAt: opts.expires });
        await ctx.audit({ action: 'token.create', target: record.name, detail: { id: record.id, scope: record.scope, ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}) } });
        out.result({ id: record.id, name: record.name, scope: record.scope, token, createdAt: record.createdAt, expiresAt: record.expiresAt }, token);
        // stderr, so `TOKEN=$(newsdesk tokens create ci --scope editor)` captures the token alone.
        process.stderr.write(
          `Created ${record.scope} token "${record.name}" (id ${record.id})${record.expiresAt ? `, valid until ${record.expiresAt}` : ''}. It is shown only now: store it somewhere safe.\n`,
        );
      });
    });

  tokens
    .command('ls')
    .description('every token: id, name, scope, created, expires, last used (never the token itself)')
    .option('--json', 'print them as JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const all = await (await ctx.stores()).apiTokens.all();
        const now = Date.now();
        const rows = [['ID', 'NAME', 'SCOPE', 'CREATED', 'EXPIRES', 'LAST USED']];
        for (const t of all) {
          const expires = t.expiresAt ? `${t.expiresAt}${Date.parse(t.expiresAt) <= now ? ' (expired)' : ''}` : 'never';
          rows.push([t.id, t.name, t.scope, t.createdAt, expires, t.lastUsedAt ?? '-']);
        }
        out.result(
          all.map(({ hash: _hash, ...t }) => t),
          all.length ? table(rows) : undefined,
        );
        out.info(`${all.length} token${all.length === 1 ? '' : 's'}. Last use is recorded at most once a minute.`);
      });
    });

  tokens
    .command('revoke <name-or-id>')
    .description('revoke a token at once; dashboard sessions opened with it end too')
    .option('--json', 'print the revoked token as JSON')
    .action(async (which: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { hash: _hash, ...record } = await (await ctx.stores()).apiTokens.revoke(which);
        await ctx.audit({ action: 'token.revoke', target: record.name, detail: { id: record.id } });
        out.result(record);
        out.info(`Revoked token "${record.name}" (id ${record.id}).`);
      });
    });

  return tokens;
}

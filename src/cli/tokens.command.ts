/** `newsdesk tokens …`: API tokens for the editors' API and the dashboard. Only a hash is stored. */
import { Command } from 'commander';
import { withContext } from './context.ts';
import { createOutput, table } from './output.ts';

export function tokensCommand(): Command {
  const tokens = new Command('tokens').description('API tokens for /api and the /admin dashboard: create, ls, revoke');

  tokens
    .command('create <name>')
    .description('create a token and print it once (only its hash is kept)')
    .option('--json', 'print { id, name, token } as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { token, record } = await (await ctx.stores()).apiTokens.create(name);
        out.result({ id: record.id, name: record.name, token, createdAt: record.createdAt }, token);
        // stderr, so `TOKEN=$(newsdesk tokens create ci)` captures the token alone.
        process.stderr.write(`Created token "${record.name}" (id ${record.id}). It is shown only now: store it somewhere safe.\n`);
      });
    });

  tokens
    .command('ls')
    .description('every token: id, name, created, last used (never the token itself)')
    .option('--json', 'print them as JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const all = await (await ctx.stores()).apiTokens.all();
        const rows = [['ID', 'NAME', 'CREATED', 'LAST USED']];
        for (const t of all) rows.push([t.id, t.name, t.createdAt, t.lastUsedAt ?? '-']);
        out.result(
          all.map(({ hash: _hash, ...t }) => t),
          all.length ? table(rows) : undefined,
        );
        out.info(`${all.length} token${all.length === 1 ? '' : 's'}.`);
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
        out.result(record);
        out.info(`Revoked token "${record.name}" (id ${record.id}).`);
      });
    });

  return tokens;
}

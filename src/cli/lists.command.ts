/**
 * `newsdesk lists …`: create, show, rename and delete subscriber lists.
 */
import { Command } from 'commander';
import { withContext } from './context.ts';
import type { List } from '../domain/list.schema.ts';
import { count, createOutput, plural, table } from './output.ts';

const signUps = (l: List) => (l.public ? 'public (open to sign-ups from the form)' : 'private (no sign-ups from the public form)');


export function listsCommand(): Command {
  const lists = new Command('lists').description('create and inspect subscriber lists');

  lists
    .command('create <id>')
    .description('create a list (id: lower-case letters, digits, dashes)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--double-opt-in', 'sign-ups join only after following a confirmation link')
    .option('--public', 'open to sign-ups through the public form (POST /subscribe); lists are private otherwise')
    .option('--newsletter <id>', 'the newsletter this list receives')
    .option('--json', 'print the list as JSON')
    .action(async (id: string, opts: { name?: string; doubleOptIn?: boolean; public?: boolean; newsletter?: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { lists: store } = await ctx.stores();
        const list = await store.create({
          id,
          doubleOptIn: !!opts.doubleOptIn,
          public: !!opts.public,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.newsletter !== undefined ? { newsletter: opts.newsletter } : {}),
        });
        await ctx.audit({ action: 'list.create', target: list.id, detail: { public: list.public, doubleOptIn: list.doubleOptIn } });
        out.result(list);
        out.info(`Created list ${list.id} ("${list.name}"), ${list.doubleOptIn ? 'double' : 'single'} opt-in, ${signUps(list)}.`);
      });
    });

  lists
    .command('ls')
    .description('every list with its member count')
    .option('--json', 'print the lists as JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const all = await (await ctx.stores()).lists.all();
        const rows = [['ID', 'NAME', 'OPT-IN', 'SIGN-UP', 'MEMBERS', 'NEWSLETTER']];
        for (const l of all) rows.push([l.id, l.name, l.doubleOptIn ? 'double' : 'single', l.public ? 'public' : 'private', count(l.members), l.newsletter ?? '-']);
        out.result(all, all.length ? table(rows) : undefined);
        const members = all.reduce((sum, l) => sum + l.members, 0);
        out.info(`${plural(all.length, 'list')}, ${plural(members, 'membership')} in all.`);
      });
    });

  lists
    .command('rename <id> <name>')
    .description('change the display name of a list')
    .option('--json', 'print the list as JSON')
    .action(async (id: string, name: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const list = await (await ctx.stores()).lists.update(id, { name });
        await ctx.audit({ action: 'list.rename', target: list.id, detail: { name: list.name } });
        out.result(list);
        out.info(`Renamed list ${list.id} to "${list.name}".`);
      });
    });

  for (const [command, open] of [
    ['publish', true],
    ['unpublish', false],
  ] as const) {
    lists
      .command(`${command} <id>`)
      .description(open ? 'open a list to sign-ups through the public form (POST /subscribe)' : 'close a list to sign-ups from the public form; members stay')
      .option('--json', 'print the list as JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        const out = createOutput(opts);
        await withContext(async (ctx) => {
          const list = await (await ctx.stores()).lists.update(id, { public: open });
          await ctx.audit({ action: `list.${command}`, target: list.id });
          out.result(list);
          out.info(`List ${list.id} is ${signUps(list)}.`);
        });
      });
  }

  lists
    .command('delete <id>')
    .description('delete a list and its memberships; subscribers are kept')
    .option('--json', 'print the outcome as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { lists: store } = await ctx.stores();
        const members = await store.countMembers((await store.require(id)).id);
        await store.delete(id);
        await ctx.audit({ action: 'list.delete', target: id, detail: { members } });
        out.result({ deleted: id, members });
        out.info(`Deleted list ${id} and its ${plural(members, 'membership')}; subscribers are kept.`);
      });
    });

  return lists;
}

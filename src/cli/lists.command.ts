/**
 * `newsdesk lists …`: create, show, rename and delete subscriber lists.
 */
import { Command } from 'commander';
import { loadNewsletter, newsletterDirs } from '../composer/newsletter.loader.ts';
import { deleteList } from '../queue/list-removal.ts';
import { withContext } from './context.ts';
import type { List } from '../domain/list.schema.ts';
import { count, createOutput, plural, table } from './output.ts';

/** Refuses a newsletter without a file: otherwise it shows only when a confirmation email fails. */
const requireNewsletter = (id: string, newslettersDir: string) => loadNewsletter(id, { dirs: newsletterDirs(newslettersDir) });

const signUps = (l: List) => (l.public ? 'public (open to sign-ups from the form)' : 'private (no sign-ups from the public form)');


export function listsCommand(): Command {
  const lists = new Command('lists').description('create and inspect subscriber lists');

  lists
    .command('create <id>')
    .description('create a list (id: lower-case letters, digits, dashes)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--double-opt-in', 'sign-ups join only after following a confirmation link')
    .option('--public', 'open to sign-ups through the public form (POST /subscribe); needs --double-opt-in; lists are private otherwise')
    .option('--allow-single-opt-in', 'let a --public list take sign-ups without confirmation (anyone can then subscribe any address)')
    .option('--newsletter <id>', 'the newsletter this list receives')
    .option('--json', 'print the list as JSON')
    .action(async (id: string, opts: { name?: string; doubleOptIn?: boolean; public?: boolean; allowSingleOptIn?: boolean; newsletter?: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { lists: store } = await ctx.stores();
        if (opts.newsletter !== undefined) await requireNewsletter(opts.newsletter, ctx.config().newslettersDir);
        const list = await store.create({
          id,
          doubleOptIn: !!opts.doubleOptIn,
          public: !!opts.public,
          allowSingleOptIn: !!opts.allowSingleOptIn,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(opts.newsletter !== undefined ? { newsletter: opts.newsletter } : {}),
        });
        await ctx.audit({
          action: 'list.create',
          target: list.id,
          detail: { public: list.public, doubleOptIn: list.doubleOptIn, ...(list.allowSingleOptIn ? { allowSingleOptIn: true } : {}) },
        });
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

  lists
    .command('set-newsletter <id> <newsletter>')
    .description('set the newsletter a list receives (its confirmation emails come from it); "-" unties the list')
    .option('--json', 'print the list as JSON')
    .action(async (id: string, newsletter: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const store = (await ctx.stores()).lists;
        await store.require(id);
        if (newsletter !== '-') await requireNewsletter(newsletter, ctx.config().newslettersDir);
        const list = await store.update(id, { newsletter: newsletter === '-' ? null : newsletter });
        await ctx.audit({ action: 'list.set-newsletter', target: list.id, detail: { newsletter: list.newsletter ?? null } });
        out.result(list);
        out.info(list.newsletter ? `List ${list.id} receives ${list.newsletter}.` : `List ${list.id} is tied to no newsletter.`);
      });
    });

  for (const [command, open] of [
    ['publish', true],
    ['unpublish', false],
  ] as const) {
    const cmd = lists
      .command(`${command} <id>`)
      .description(open ? 'open a list to sign-ups through the public form (POST /subscribe)' : 'close a list to sign-ups from the public form; members stay')
      .option('--json', 'print the list as JSON');
    if (open) cmd.option('--allow-single-opt-in', 'publish a single opt-in list anyway (anyone can then subscribe any address)');
    cmd.action(async (id: string, opts: { json?: boolean; allowSingleOptIn?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const list = await (await ctx.stores()).lists.update(id, { public: open, ...(opts.allowSingleOptIn ? { allowSingleOptIn: true } : {}) });
        await ctx.audit({ action: `list.${command}`, target: list.id, ...(opts.allowSingleOptIn ? { detail: { allowSingleOptIn: true } } : {}) });
        out.result(list);
        out.info(`List ${list.id} is ${signUps(list)}.`);
      });
    });
  }

  lists
    .command('delete <id>')
    .description('delete a list and its memberships; subscribers are kept (refused while a campaign uses it)')
    .option('--force', 'cancel the draft, scheduled, sending or paused campaigns that use it first')
    .option('--json', 'print the outcome as JSON')
    .action(async (id: string, opts: { force?: boolean; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const r = await deleteList(id, { force: opts.force }, { lists: app.stores.lists, campaigns: app.campaigns, cancel: (c) => app.service.cancel(c) });
        await ctx.audit({ action: 'list.delete', target: id, detail: { members: r.members, cancelled: r.cancelled.join(',') } });
        out.result(r);
        if (r.cancelled.length) out.info(`Cancelled ${plural(r.cancelled.length, 'campaign')} that used it: ${r.cancelled.join(', ')}.`);
        out.info(`Deleted list ${id} and its ${plural(r.members, 'membership')}; subscribers are kept.`);
      });
    });

  return lists;
}

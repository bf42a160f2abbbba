/**
 * `newsdesk editions …`: stored, versioned editions (README.md, "Stored editions"): save a file
 * as the next revision, show one (any revision), list them, approve one, delete one never sent.
 */
import { Command } from 'commander';
import { readEditionText } from '../composer/edition.loader.ts';
import { parseYamlSource } from '../composer/yaml-source.ts';
import type { StoredEdition } from '../domain/stored-edition.ts';
import { cliActor, withContext } from './context.ts';
import { count, createOutput, plural, positiveInt, table, warnLine } from './output.ts';

/** `cli:<name>` for `--by <name>`, else `cli:<os user>`. */
function actor(by: string | undefined): string {
  return by === undefined ? cliActor() : `cli:${by}`;
}

/** The edition's subject, read leniently (for listings; the text was validated when saved). */
function subjectOf(e: StoredEdition): string {
  try {
    const value = parseYamlSource(e.source, e.id, 'edition_invalid').value as { subject?: unknown } | null;
    return typeof value?.subject === 'string' ? value.subject : '';
  } catch {
    return '';
  }
}

function describe(e: StoredEdition): string[] {
  return [
    `${e.id}  ${e.state}  revision ${e.revision} of ${e.latestRevision}`,
    `  subject    ${subjectOf(e)}`,
    `  saved      ${e.savedAt} by ${e.savedBy}`,
    ...(e.approvedAt ? [`  approved   ${e.approvedAt} by ${e.approvedBy ?? ''}`] : []),
    ...(e.sentAt ? [`  sent       ${e.sentAt} (revision ${e.sentRevision ?? '?'}; campaign ${e.campaignIds.join(', ')})`] : []),
  ];
}

export function editionsCommand(): Command {
  const editions = new Command('editions').description('stored editions: save a revision, show, list, approve, delete');

  editions
    .command('save <file>')
    .description('store an edition file (YAML or JSON) as the next revision of <newsletter>-<date>; the same text adds nothing')
    .option('--by <name>', 'who saves it (default: your OS user)')
    .option('--force', 'store a change to an edition that was already sent (it stays sent; nobody is mailed it)')
    .option('--json', 'print the stored edition as JSON, with `changed` and the lint report')
    .action(async (file: string, opts: { by?: string; force?: boolean; json?: boolean }) => {
      const out = createOutput(opts);
      const source = await readEditionText(file);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const r = await app.editions.save(source, actor(opts.by), { force: opts.force, label: file });
        if (r.warning) warnLine(r.warning);
        for (const w of r.lint.warnings) warnLine(`${w.path ? `${w.path}: ` : ''}${w.message}`);
        const e = r.edition;
        out.result(
          { ...e, changed: r.changed, lint: r.lint },
          r.changed
            ? `Saved ${e.id} revision ${e.revision} (${e.state}).`
            : `${e.id}: unchanged, still revision ${e.revision} (${e.state}).`,
        );
        if (!r.lint.ok) {
          out.info(`It has ${r.lint.errors.length} lint error(s), which approval refuses:`);
          for (const x of r.lint.errors) out.info(`  ${x.path ? `${x.path}: ` : ''}${x.code}: ${x.message}`);
        } else if (r.changed && e.state === 'draft') {
          out.info(`Approve it with: newsdesk editions approve ${e.id}`);
        }
      });
    });

  editions
    .command('show <id>')
    .description('an edition (the latest revision, or --revision N): state, who saved and approved it, its revisions and its text')
    .option('--revision <n>', 'that revision instead of the latest', positiveInt())
    .option('--json', 'print it as JSON, with every revision (when, by whom)')
    .action(async (id: string, opts: { revision?: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const e = await app.editions.require(id, { revision: opts.revision });
        const revisions = await app.editions.revisions(id);
        out.result(
          { ...e, revisions },
          [
            ...describe(e),
            `  revisions  ${revisions.map((r) => `${r.revision} ${r.savedAt} ${r.savedBy}`).join('\n             ')}`,
            '',
            e.source.trimEnd(),
          ].join('\n'),
        );
      });
    });

  editions
    .command('ls')
    .description('stored editions, newest date first, a page at a time')
    .option('--newsletter <id>', 'only this newsletter\'s')
    .option('--limit <n>', 'editions a page (1 to 1,000)', positiveInt(1000), 50)
    .option('--page <n>', 'which page, newest first', positiveInt(1_000_000), 1)
    .option('--json', 'print them as JSON (the latest revision of each, without the text)')
    .action(async (opts: { newsletter?: string; limit: number; page: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const offset = (opts.page - 1) * opts.limit;
        const { editions: list, total } = await app.editions.list({ newsletter: opts.newsletter, offset, limit: opts.limit });
        const empty = total
          ? `Page ${opts.page} is past the last: ${plural(total, 'edition')}, ${plural(Math.ceil(total / opts.limit), 'page')} of ${opts.limit}.`
          : `No stored editions${opts.newsletter ? ` of ${opts.newsletter}` : ''}: newsdesk editions save <file> stores one.`;
        out.result(
          list.map((e) => {
            const { source: _source, ...rest } = e;
            return { ...rest, subject: subjectOf(e) };
          }),
          list.length ? table([['ID', 'STATE', 'REV', 'SAVED', 'BY', 'SUBJECT'], ...list.map((e) => [e.id, e.state, String(e.revision), e.savedAt, e.savedBy, subjectOf(e)])]) : empty,
        );
        if (!list.length && total && out.json) out.info(empty);
        if (list.length && total > offset + list.length) out.info(`Editions ${offset + 1} to ${offset + list.length} of ${count(total)}: --page ${opts.page + 1} for older ones.`);
      });
    });

  editions
    .command('approve <id>')
    .description('approve the latest revision (refused with lint errors, or, where the newsletter wants two people, by whoever saved it)')
    .option('--by <name>', 'who approves it (default: your OS user)')
    .option('--json', 'print the edition as JSON')
    .action(async (id: string, opts: { by?: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const e = await app.editions.approve(id, actor(opts.by));
        const { source: _source, ...rest } = e;
        out.result(rest, `Approved ${e.id} revision ${e.revision} (by ${e.approvedBy ?? actor(opts.by)}). Send it with: newsdesk campaign create ${e.id} --list <list> --at <time>`);
      });
    });

  editions
    .command('delete <id>')
    .description('delete an edition that was never sent, with every revision (refused while a draft campaign was made of it)')
    .option('--force', 'cancel the draft campaigns made of it first')
    .option('--by <name>', 'who deletes it (default: your OS user)')
    .option('--json', 'print the outcome as JSON')
    .action(async (id: string, opts: { force?: boolean; by?: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const r = await app.editions.delete(id, actor(opts.by), { force: opts.force });
        out.result(r);
        if (r.cancelled.length) out.info(`Cancelled ${plural(r.cancelled.length, 'draft campaign')} made of it: ${r.cancelled.join(', ')}.`);
        out.info(`Deleted edition ${id} (${r.state}) and its ${plural(r.revisions, 'revision')}.`);
      });
    });

  return editions;
}

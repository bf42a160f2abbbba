/**
 * `newsdesk subscribers …`: import, add, show, unsubscribe, export, data (everything held about one reader) and erase.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Command } from 'commander';
import { NewsdeskError, NotFoundError, formatProblem } from '../domain/errors.ts';
import { greetingNameProblem } from '../domain/greeting-name.ts';
import { SubscriberInput, SubscriberName, type Subscriber } from '../domain/subscriber.schema.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import type { ReaderDelivery } from '../store/campaign.store.ts';
import { exportCsv } from '../store/csv-export.ts';
import { importCsv, type ImportSummary } from '../store/csv-import.ts';
import { joinRefusal } from '../store/subscriber.store.ts';
import { withContext } from './context.ts';
import { count, createOutput, plural, positiveInt, table } from './output.ts';
import { createProgress } from './progress.ts';

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;
const day = (iso: string) => iso.slice(0, 10);

/** Bad rows shown in the text summary; `--json` lists all of them. */
const ERRORS_SHOWN = 20;

function importLine(file: string, listId: string, s: ImportSummary, seconds: number): string {
  return (
    `Imported ${file} into ${listId} in ${seconds.toFixed(1)} s: ${count(s.rows)} rows, ${count(s.added)} added, ` +
    `${count(s.updated)} updated, ${count(s.alreadyMember)} already members, ${count(s.invalid)} invalid, ` +
    `${count(s.suppressed)} suppressed, ${count(s.duplicates)} duplicates` +
    (s.nameWarnings.length + s.nameWarningsOmitted ? `, ${count(s.nameWarnings.length + s.nameWarningsOmitted)} names to check.` : '.')
  );
}


function describe(s: Subscriber, memberships: { member: string[]; left: { list: string; at: Date }[] }): string {
  const lines = [
    `${s.emailDisplay}${s.name ? ` (${s.name})` : ''}, subscriber ${s.id}`,
    `status:     ${s.status} since ${s.statusChangedAt}${s.statusReason ? ` (${s.statusReason})` : ''}`,
    `created:    ${s.createdAt}`,
    `confirmed:  ${s.confirmedAt ?? '-'}`,
    `lists:      ${memberships.member.join(', ') || '-'}`,
  ];
  if (memberships.left.length) lines.push(`left:       ${memberships.left.map((l) => `${l.list} (${day(l.at.toISOString())})`).join(', ')}`);
  const attributes = Object.entries(s.attributes);
  if (attributes.length) lines.push(`attributes: ${attributes.map(([k, v]) => `${k}=${String(v)}`).join(', ')}`);
  return lines.join('\n');
}

/** How many of the newest campaigns `show` looks in by default. */
const RECENT_CAMPAIGNS = 10;

/** The deliveries as a table under a heading; the whole history is in `subscribers data`. */
function deliveryLines(deliveries: ReaderDelivery[], campaigns: number): string[] {
  const heading = `deliveries in the newest ${plural(campaigns, 'campaign')} (all of them: newsdesk subscribers data <email>):`;
  if (!deliveries.length) return [`${heading} none`];
  const rows = deliveries.map((d) => [`  ${d.campaignId}`, d.state, d.at ?? '-', d.detail ?? '']);
  return [heading, table([['  CAMPAIGN', 'STATE', 'AT', 'REPLY OR REASON'], ...rows])];
}

export function subscribersCommand(): Command {
  const subscribers = new Command('subscribers').description('import, add, update, show, unsubscribe, export, hand over and erase subscribers');

  subscribers
    .command('data <email>')
    .description('everything held about a reader, as JSON: record, lists, suppression, delivery records, click and open events')
    .action(async (email: string) => {
      const out = createOutput({ json: true });
      await withContext(async (ctx) => {
        const data = await (await ctx.app()).readerData.export(email);
        await ctx.audit({ action: 'subscriber.export', target: String(data.subscriber.id) });
        out.result(data);
        out.info(`${data.subscriber.email}: ${data.deliveries.length} delivery records, ${data.clicks.reduce((n, c) => n + c.events.length, 0)} click and open events.`);
      });
    });

  subscribers
    .command('erase <email>')
    .description("erase a reader: record, memberships, click and open events, delivery records' personal parts; the address stays unmailable by a hash")
    .option('--json', 'print what was erased as JSON')
    .action(async (email: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const result = await (await ctx.app()).readerData.erase(email);
        await ctx.audit({ action: 'subscriber.erase', target: String(result.subscriberId), detail: { deliveries: result.deliveries } });
        out.result(result);
        out.info(
          `Erased subscriber ${result.subscriberId}: ${result.lists} list entries, ${result.deliveries} delivery records made anonymous, ${result.clickKeys} click records; the address is suppressed by its hash only.`,
        );
      });
    });

  subscribers
    .command('import <file>')
    .description('add the rows of a CSV file (header with "email", optional "name" or "first_name"/"last_name", other columns are attributes; "," or ";" separated) to a list')
    .requiredOption('--list <id>', 'the list to add them to')
    .option('--update', "overwrite existing subscribers' name and attributes with the file's")
    .option('--json', 'print the summary as JSON')
    .action(async (file: string, opts: { list: string; update?: boolean; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { subscribers: store, lists } = await ctx.stores();
        const started = performance.now();
        let bar: ReturnType<typeof createProgress> | undefined;
        let phase = '';
        try {
          const summary = await importCsv(file, { listId: opts.list, update: !!opts.update }, {
            subscribers: store,
            lists,
            onProgress: (p) => {
              bar ??= createProgress(p.phase, p.totalBytes, mb);
              bar.update(p.bytes, p.phase === phase ? undefined : (phase = p.phase));
            },
          });
          bar?.stop();
          await ctx.audit({ action: 'list.import', target: opts.list, detail: { rows: summary.rows, added: summary.added, update: !!opts.update } });
          if (!out.json) {
            for (const e of summary.errors.slice(0, ERRORS_SHOWN)) out.info(`  line ${e.line}: ${e.reason}`);
            const more = summary.errors.length + summary.errorsOmitted - ERRORS_SHOWN;
            if (more > 0) out.info(`  … and ${count(more)} more skipped rows (--json lists them)`);
            // Imported as given, but worth a look before a subject says "{{firstName}}".
            for (const w of summary.nameWarnings.slice(0, ERRORS_SHOWN)) out.info(`  line ${w.line}: ${w.reason}`);
            const moreNames = summary.nameWarnings.length + summary.nameWarningsOmitted - ERRORS_SHOWN;
            if (moreNames > 0) out.info(`  … and ${count(moreNames)} more names that read oddly in a greeting (--json lists them)`);
            if (summary.delimiter === ';') out.info('  read as a ";"-separated file (its header has more ";" than ",")');
          }
          out.result(summary);
          out.info(importLine(file, opts.list, summary, (performance.now() - started) / 1000));
        } finally {
          bar?.stop();
        }
      });
    });

  subscribers
    .command('add <email>')
    .description('add one address to a list (an existing subscriber keeps their name)')
    .requiredOption('--list <id>', 'the list to add it to')
    .option('--name <name>', 'full name')
    .option('--json', 'print the outcome as JSON')
    .action(async (email: string, opts: { list: string; name?: string; json?: boolean }) => {
      const out = createOutput(opts);
      const parsed = SubscriberInput.safeParse({ email, ...(opts.name !== undefined ? { name: opts.name } : {}) });
      if (!parsed.success) {
        const problems = zodProblems(parsed.error).map((p) => (p.path === 'email' ? `${formatProblem(p)} (${JSON.stringify(email)})` : formatProblem(p)));
        throw new NewsdeskError('subscriber_invalid', problems.join('; '));
      }
      await withContext(async (ctx) => {
        const { subscribers: store, lists } = await ctx.stores();
        await lists.require(opts.list);
        const [outcome] = await store.joinList(opts.list, [parsed.data], { via: 'admin' });
        if (!outcome) throw new NewsdeskError('store_error', 'the store answered nothing');
        const refused = joinRefusal(outcome);
        if (refused) throw new NewsdeskError('not_added', `${parsed.data.email} was not added to ${opts.list}: ${refused}`);
        await ctx.audit({ action: 'subscriber.add', target: 'id' in outcome ? String(outcome.id) : undefined, detail: { list: opts.list, outcome: outcome.kind } });
        out.result(outcome);
        const odd = outcome.kind === 'created' ? greetingNameProblem(parsed.data.name) : undefined;
        if (odd) out.info(`  ${odd}`);
        const id = 'id' in outcome ? outcome.id : 0;
        if (outcome.kind === 'created') out.info(`Added ${parsed.data.email} to ${opts.list} as new subscriber ${id}.`);
        else if (outcome.kind === 'joined') out.info(`Added existing subscriber ${id} (${parsed.data.email}) to ${opts.list}; name and attributes unchanged.`);
        else out.info(`${parsed.data.email} is already on ${opts.list} (subscriber ${id}); nothing changed.`);
      });
    });

  subscribers
    .command('update <email>')
    .description("change a subscriber's name (status, lists and attributes stay)")
    .requiredOption('--name <name>', 'the full name; "" removes it (the greeting then uses the newsletter\'s word)')
    .option('--json', 'print the subscriber as JSON')
    .action(async (email: string, opts: { name: string; json?: boolean }) => {
      const out = createOutput(opts);
      const name = opts.name.trim() === '' ? undefined : SubscriberName.safeParse(opts.name);
      if (name && !name.success) throw new NewsdeskError('subscriber_invalid', zodProblems(name.error).map((p) => `name: ${p.message}`).join('; '));
      await withContext(async (ctx) => {
        const { subscribers: store } = await ctx.stores();
        const found = await store.findByEmail(email);
        if (!found) throw new NotFoundError('subscriber', email.trim());
        const { changed, subscriber } = await store.setName(found.id, name?.data);
        if (changed) await ctx.audit({ action: 'subscriber.rename', target: String(subscriber.id) });
        out.result(subscriber);
        const odd = greetingNameProblem(subscriber.name);
        if (odd) out.info(`  ${odd}`);
        const now = subscriber.name === undefined ? 'no name' : `name "${subscriber.name}"`;
        out.info(changed ? `${subscriber.email} (subscriber ${subscriber.id}) now has ${now}.` : `${subscriber.email} already had ${now}; nothing changed.`);
      });
    });

  subscribers
    .command('show <email>')
    .description("a subscriber's record, lists, suppression and deliveries in the newest campaigns")
    .option('--campaigns <n>', 'how many of the newest campaigns to look in for deliveries (1 to 100)', positiveInt(100), RECENT_CAMPAIGNS)
    .option('--json', 'print it as JSON')
    .action(async (email: string, opts: { campaigns: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const { subscribers: store, lists, suppression } = app.stores;
        const [subscriber, suppressed] = await Promise.all([store.findByEmail(email), suppression.get(email)]);
        if (!subscriber && !suppressed) throw new NotFoundError('subscriber', email.trim());
        const [memberships, deliveries] = subscriber
          ? await Promise.all([lists.membershipsOf(subscriber.id), app.campaigns.deliveriesOf(subscriber.id, { campaigns: opts.campaigns })])
          : [{ member: [], left: [] }, []];
        const text = [
          subscriber ? describe(subscriber, memberships) : `${email.trim()} is not a subscriber`,
          `suppressed: ${suppressed ? `yes, ${suppressed.reason} on ${suppressed.at}${suppressed.detail ? ` (${suppressed.detail})` : ''}` : 'no'}`,
          ...(subscriber ? deliveryLines(deliveries, opts.campaigns) : []),
        ].join('\n');
        out.result(
          {
            subscriber,
            lists: memberships.member,
            left: memberships.left.map((l) => ({ list: l.list, at: l.at.toISOString() })),
            suppression: suppressed,
            deliveries,
          },
          text,
        );
        out.info(
          subscriber
            ? `${subscriber.email}: ${subscriber.status}, on ${memberships.member.length} list${memberships.member.length === 1 ? '' : 's'}${suppressed ? ', suppressed' : ''}.`
            : `${suppressed?.email}: suppressed, not a subscriber.`,
        );
      });
    });

  subscribers
    .command('unsubscribe <email>')
    .description('without --list: from everything, and the address is suppressed; with --list: leave that list only')
    .option('--list <id>', 'leave only this list (re-imports of it will skip the address)')
    .option('--json', 'print the outcome as JSON')
    .action(async (email: string, opts: { list?: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const { subscribers: store, lists, suppression } = await ctx.stores();
        if (opts.list !== undefined) await lists.require(opts.list);
        const subscriber = await store.findByEmail(email);
        if (!subscriber) {
          if (opts.list !== undefined) throw new NotFoundError('subscriber', email.trim());
          // Someone who was never a subscriber can still ask never to be mailed.
          const entry = await suppression.add(email, 'unsubscribe', 'unsubscribed by admin');
          await ctx.audit({ action: 'subscriber.unsubscribe', detail: { suppressedOnly: true } });
          out.result({ kind: 'suppressed', suppression: entry });
          out.info(`${entry.email} is not a subscriber; the address is suppressed so it is never mailed.`);
          return;
        }
        const result = await store.unsubscribe(subscriber.id, {
          reason: 'unsubscribed by admin',
          ...(opts.list !== undefined ? { listId: opts.list } : {}),
        });
        await ctx.audit({ action: 'subscriber.unsubscribe', target: String(subscriber.id), detail: { list: opts.list ?? null, outcome: result.kind } });
        out.result(result);
        if (result.stillSending.length) {
          out.info(`A send to ${subscriber.email} that began before this is still noted (${result.stillSending.join(', ')}); nothing new starts.`);
        }
        const who = subscriber.email;
        switch (result.kind) {
          case 'left-list':
            out.info(
              result.wasMember
                ? `${who} left ${result.listId}; re-imports of ${result.listId} will skip them.`
                : `${who} was not on ${result.listId}; recorded anyway, so re-imports of it will skip them.`,
            );
            break;
          case 'changed':
            out.info(`${who} is unsubscribed from everything and suppressed.`);
            break;
          case 'unchanged':
            out.info(`${who} was already unsubscribed; nothing changed.`);
            break;
          case 'refused':
            out.info(`${who} stays ${result.subscriber.status} (${result.reason}); the address remains suppressed.`);
            break;
        }
      });
    });

  subscribers
    .command('export')
    .description("write a list's members as CSV (formula-safe)")
    .requiredOption('--list <id>', 'the list to export')
    .option('--out <file>', 'write here instead of stdout (replaced only when the export is complete)')
    .action(async (opts: { list: string; out?: string }) => {
      await withContext(async (ctx) => {
        const stores = await ctx.stores();
        await stores.lists.require(opts.list);
        const temp = opts.out ? `${opts.out}.${process.pid}.tmp` : undefined;
        const sink = temp ? createWriteStream(temp) : process.stdout;
        let bar: ReturnType<typeof createProgress> | undefined;
        try {
          const { rows } = await exportCsv(opts.list, sink, {
            ...stores,
            onProgress: (done, total) => {
              bar ??= createProgress('exporting', total, count);
              bar.update(done);
            },
          });
          bar?.stop();
          if (temp && opts.out) {
            sink.end();
            await finished(sink);
            await rename(temp, opts.out);
          }
          // stdout may be the CSV itself, so the summary goes to stderr.
          process.stderr.write(`Exported ${count(rows)} member${rows === 1 ? '' : 's'} of ${opts.list} to ${opts.out ?? 'stdout'}.\n`);
        } catch (err) {
          if (temp) {
            sink.destroy();
            await unlink(temp).catch(() => {});
          }
          throw err;
        } finally {
          bar?.stop();
        }
      });
    });

  return subscribers;
}

/**
 * `newsdesk campaign …`: create (compile now, send now or at a time), reschedule, pause, resume,
 * cancel, watch the progress, list, test-send, and read the delivery record.
 */
import { access } from 'node:fs/promises';
import { Command } from 'commander';
import { composeEditionFile } from '../composer/compose-edition.ts';
import { lintProblems } from '../composer/lint.ts';
import { newsletterDirs } from '../composer/newsletter.loader.ts';
import type { App } from '../app.ts';
import { type Campaign, type DeliveryState, describeNoWorker, isFinal } from '../domain/campaign.schema.ts';
import { DeliveryState as DeliveryStateSchema } from '../domain/campaign.schema.ts';
import { DuplicateSendError, type SendCandidate } from '../domain/duplicate-send.ts';
import { NewsdeskError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { assertNotPast, resolveSendTime } from '../domain/send-time.ts';
import { StoredEditionId } from '../domain/stored-edition.ts';
import { describeInstant, localDateOf } from '../domain/time-zone.ts';
import { zoneProgress } from '../queue/zone-progress.ts';
import { type CampaignProgress, CampaignStateError, contentHashOf, type SendGuards, statusBody } from '../queue/campaign.service.ts';
import type { CampaignReturns } from '../domain/return-report.ts';
import { verifyMailSettings } from '../mail/create-transport.ts';
import { assertSigningSecret } from '../secret-guard.ts';
import { type CampaignReport, campaignReport } from '../queue/campaign-report.ts';
import { confirmSend } from './confirm.ts';
import { cliActor, type CommandContext, withContext } from './context.ts';
import { count, createOutput, type Output, plural, table, warnLine } from './output.ts';
import { createProgress } from './progress.ts';



/**
 * `--at`: an ISO 8601 time with its offset, or a wall-clock time without one read in the
 * newsletter's `timeZone`, so "6 am" means the newsroom's 6 am, not the server's.
 */
function parseAt(value: string, timeZone?: string | undefined): Date {
  return resolveSendTime(value, { timeZone, field: '--at' });
}

/** When a command starts a campaign: `--now` or `--at`, never both; undefined when neither was given. */
function startOption(opts: { at?: string | undefined; now?: boolean | undefined }, timeZone: string | undefined): { at: Date | undefined } | undefined {
  if (opts.at !== undefined && opts.now) throw new NewsdeskError('invalid_option', '--at and --now: give one of them');
  if (opts.at !== undefined) return { at: parseAt(opts.at, timeZone) };
  return opts.now ? { at: undefined } : undefined;
}

/** "now", or the time in the newsletter's zone and in UTC. */
const describeStart = (at: Date | undefined, timeZone: string | undefined) => (at ? describeInstant(at, timeZone) : 'now');

/**
 * The checks a start must pass, before anything is asked or stored: a past time, and an earlier
 * send of the same edition (unless --again). Then the question (unless --yes), naming the
 * audience, earlier sends and an edition date that is not the start's day. Returns the
 * confirmations to pass on.
 */
async function confirmStart(
  app: App,
  candidate: SendCandidate,
  start: { at: Date | undefined },
  timeZone: string | undefined,
  opts: { yes?: boolean | undefined; again?: boolean | undefined },
): Promise<SendGuards> {
  const now = new Date();
  if (start.at) assertNotPast(start.at, now, timeZone);
  const { lists, duplicates } = await app.service.audience(candidate);
  if (duplicates.length && !opts.again) throw new DuplicateSendError(duplicates);
  const zone = timeZone ?? 'UTC';
  const startDay = localDateOf(start.at && start.at > now ? start.at : now, zone);
  const otherDay = candidate.editionDate !== startDay ? { editionDate: candidate.editionDate, startDay, timeZone: zone } : undefined;
  await confirmSend({ lists, duplicates, otherDay, when: describeStart(start.at, timeZone) }, { yes: opts.yes });
  // Whoever said yes (the flag or the person) saw the date.
  return { again: opts.again, confirmDate: true };
}

interface CreateOptions {
  list: string[];
  draft?: boolean;
  now?: boolean;
  at?: string;
  yes?: boolean;
  again?: boolean;
  json?: boolean;
}

/** When `campaign create` starts the campaign: exactly one of --draft (undefined), --now, --at. */
function whenOf(opts: CreateOptions, timeZone: string | undefined): { at: Date | undefined } | undefined {
  const start = startOption(opts, timeZone);
  if (opts.draft && start) throw new NewsdeskError('invalid_option', '--draft and --now/--at: a draft starts later, with campaign start');
  if (!opts.draft && !start) {
    throw new NewsdeskError(
      'invalid_option',
      'say when: --draft (test it, then `newsdesk campaign start <id>`), --now, or --at <time>; a campaign no longer starts at once by default',
    );
  }
  return start;
}

/** The lists named with --list, once each. @throws NotFoundError for one that does not exist */
async function existingLists(app: App, named: string[]): Promise<string[]> {
  const lists = [...new Set(named)];
  for (const l of lists) if (!(await app.recipients.exists(l))) throw new NotFoundError('list', l);
  return lists;
}

/** The closing lines of `campaign create`: what happens next. */
async function announce(app: App, created: Campaign, subject: string, start: { at: Date | undefined } | undefined, zone: string | undefined, out: Output): Promise<void> {
  if (created.status === 'draft') {
    out.info(
      `Created draft ${created.id}: ${subject} → ${created.lists.join(', ')}. Nothing is sent until you start it: ` +
        `newsdesk campaign test ${created.id} --to you@example.com, then newsdesk campaign start ${created.id} --now (or --at …).`,
    );
    return;
  }
  const workers = await app.queues.campaign.getWorkers();
  out.info(
    `Created campaign ${created.id}: ${subject} → ${created.lists.join(', ')}, starting ${describeStart(start?.at, zone)}.` +
      (workers.length ? '' : ' No worker is running: start one with `newsdesk worker`.'),
  );
}

/**
 * `campaign create <newsletter>-<date>` names a stored edition, unless a file of that name
 * exists (then the file is meant, as always).
 */
async function isStoredEditionId(arg: string): Promise<boolean> {
  if (!StoredEditionId.safeParse(arg).success) return false;
  try {
    await access(arg);
    return false;
  } catch {
    return true;
  }
}

/**
 * `campaign create <edition id>`: the stored edition's latest revision, frozen into the
 * campaign. Sending needs it approved (or sent before and --again); a --draft may be made of
 * any, for a test send, and starts only once that revision is approved (README.md, "Stored editions").
 */
async function createFromStoredEdition(id: string, opts: CreateOptions, out: Output): Promise<void> {
  await withContext(async (ctx) => {
    assertSigningSecret(ctx.config(), { command: 'newsdesk campaign create', warn: warnLine });
    const app = await ctx.app();
    const { stored, edition, newsletter, compiled, report } = await app.editions.composed(id);
    if (!report.ok) throw new ValidationError('edition_lint_failed', `${id} (revision ${stored.revision})`, lintProblems(report));
    for (const w of report.warnings) process.stderr.write(`warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`);
    const zone = newsletter.timeZone;
    const start = whenOf(opts, zone);
    const lists = await existingLists(app, opts.list);
    // Refused before the question is asked: a draft edition, or a sent one without --again.
    if (start) app.editions.assertSendable(stored, opts.again);
    const guards = start
      ? await confirmStart(app, { newsletterId: newsletter.id, editionDate: compiled.editionDate, contentHash: contentHashOf(compiled), lists }, start, zone, opts)
      : {};
    // The edition service writes the audit entry, with the edition and revision.
    const { campaign: created } = await app.editions.createCampaign(id, {
      lists,
      at: start ? (start.at ?? 'now') : 'draft',
      by: cliActor(),
      yes: guards.confirmDate,
      again: opts.again,
      revision: stored.revision,
    });
    out.result({ ...summary(created), edition: created.editionId, revision: created.editionRevision }, created.id);
    await announce(app, created, edition.subject, start, zone, out);
  });
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** One line about a campaign's state, for summaries and `--watch`. */
export function describeProgress(p: CampaignProgress): string {
  const c = p.campaign.counts;
  const left = p.campaign.status === 'cancelled' ? `${count(p.cancelled)} cancelled` : `${count(c.pending)} pending`;
  const parts = [`${p.campaign.id}: ${p.campaign.status}`, `${count(c.sent)} sent, ${count(c.failed)} failed, ${count(c.skipped)} skipped, ${left} of ${count(c.total)}`];
  const noWorker = describeNoWorker(p);
  if (noWorker) return [...parts, noWorker].join(', ');
  if (p.rate > 0 && p.campaign.status !== 'cancelled') parts.push(`${p.rate.toFixed(0)}/s`);
  if (p.etaSeconds !== undefined) parts.push(`ETA ${Math.ceil(p.etaSeconds)} s`);
  const line = parts.join(', ');
  return p.campaign.status === 'paused' && p.campaign.pauseReason ? `${line}\npaused because ${p.campaign.pauseReason}` : line;
}

/** The report as a person reads it: the figures, then the links in the order of the email. */
function reportText(r: CampaignReport): string {
  const lines = [
    `sent ${count(r.sent)}, failed ${count(r.failed)}, skipped ${count(r.skipped)}`,
    `bounces ${count(r.bounces.hard)} hard, ${count(r.bounces.soft)} soft; complaints ${count(r.complaints)}`,
    `unsubscribes ${count(r.unsubscribes.oneClick)} one-click, ${count(r.unsubscribes.mailto)} by mail, ${count(r.unsubscribes.page)} on the page`,
    `clicks ${count(r.clicks.human)} human, ${count(r.clicks.machine)} machine${r.clicks.uniqueReaders === null ? '' : `, ${count(r.clicks.uniqueReaders)} readers`}`,
    r.opens ? `opens ${count(r.opens.human)} human, ${count(r.opens.machine)} machine` : 'opens not tracked',
  ];
  if (r.clicks.byLink.length) {
    lines.push('', table([['SECTION', 'LABEL', 'HUMAN', 'MACHINE', 'URL'], ...r.clicks.byLink.map((l) => [l.section, l.label.length > 48 ? `${l.label.slice(0, 47)}…` : l.label, count(l.human), count(l.machine), l.url])]));
  }
  return lines.join('\n');
}

function summary(c: Campaign): Record<string, unknown> {
  return { id: c.id, status: c.status, scheduledAt: c.scheduledAt, lists: c.lists };
}

async function watch(ctx: CommandContext, id: string, out: Output): Promise<CampaignProgress> {
  const { service } = await ctx.app();
  let p = await service.progress(id);
  // Ctrl-C while the bar is drawn gives the terminal back before the command dies of it (progress.ts).
  const bar = createProgress('sending', Math.max(1, p.campaign.counts.total));
  try {
    while (!isFinal(p.campaign.status)) {
      if (!process.stderr.isTTY) out.info(describeProgress(p));
      await new Promise((r) => setTimeout(r, process.stderr.isTTY ? 250 : 2000));
      p = await service.progress(id);
      bar.update(p.done, describeNoWorker(p) ?? `${p.campaign.status} ${p.rate.toFixed(0)}/s`);
    }
  } finally {
    bar.stop();
  }
  return p;
}

/** `3 hard bounces (0.3 %), 1 soft, 0 complaints (0.00 %), 2 unsubscribes, 4 blocks about the sender` */
function returnsLine(r: CampaignReturns): string {
  const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;
  return `${plural(r.hardBounces, 'hard bounce')} (${pct(r.hardBounceRate)}), ${count(r.softBounces)} soft, ${plural(r.complaints, 'complaint')} (${pct(r.complaintRate)}), ${plural(r.unsubscribes, 'unsubscribe')}, ${plural(r.senderBlocks, 'block')} about the sender`;
}

export function campaignCommand(): Command {
  const campaign = new Command('campaign').description('send an edition to lists: create, schedule, pause, resume, cancel, watch');

  campaign
    .command('create <edition>')
    .description('compile an edition file, or take a stored edition (<newsletter>-<date>), into a draft (--draft), or send it to lists --now or --at a time')
    .requiredOption('--list <id>', 'a list to send to (repeat for several)', collect)
    .option('--draft', 'store it without starting: test it (campaign test), then campaign start')
    .option('--now', 'start at once')
    .option('--at <time>', 'start time: ISO 8601 with offset, or local time in the newsletter\'s timeZone (2025-02-13T06:00)')
    .option('--yes', 'do not ask: the audience is as shown, and an edition dated another day is meant')
    .option('--again', 'send although this edition already went (or goes) to one of these lists')
    .option('--json', 'print { id, status, scheduledAt, lists } as JSON')
    .action(async (file: string, opts: CreateOptions) => {
      const out = createOutput(opts);
      if (await isStoredEditionId(file)) return createFromStoredEdition(file, opts, out);
      await withContext(async (ctx) => {
        const config = ctx.config();
        assertSigningSecret(config, { command: 'newsdesk campaign create', warn: warnLine });
        // Errors stop here, before anything is stored: the edition, then its lint report.
        const { edition, newsletter, compiled, report } = await composeEditionFile(file, {
          newsletterDirs: newsletterDirs(config.newslettersDir),
        });
        if (!report.ok) {
          throw new ValidationError('edition_lint_failed', file, lintProblems(report));
        }
        // Worth a look before it goes out, e.g. a {{firstName}} subject as readers without a name see it.
        for (const w of report.warnings) process.stderr.write(`warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`);
        const zone = newsletter.timeZone;
        const start = whenOf(opts, zone);
        const app = await ctx.app();
        const lists = await existingLists(app, opts.list);
        const guards = start
          ? await confirmStart(app, { newsletterId: newsletter.id, editionDate: compiled.editionDate, contentHash: contentHashOf(compiled), lists }, start, zone, opts)
          : {};
        const created = await app.service.create({ compiled, newsletter, subject: edition.subject, lists, at: start?.at, draft: opts.draft, ...guards });
        await ctx.audit({ action: 'campaign.create', target: created.id, detail: { lists: created.lists.join(','), status: created.status, scheduledAt: created.scheduledAt } });
        out.result(summary(created), created.id);
        await announce(app, created, edition.subject, start, zone, out);
      });
    });

  campaign
    .command('start <id>')
    .description('start a draft, at once (default, or --now) or at --at')
    .option('--now', 'start at once (the default)')
    .option('--at <time>', 'start time: ISO 8601 with offset, or local time in the newsletter\'s timeZone')
    .option('--yes', 'do not ask: the audience is as shown, and an edition dated another day is meant')
    .option('--again', 'send although this edition already went (or goes) to one of these lists')
    .option('--json', 'print the campaign as JSON')
    .action(async (id: string, opts: { now?: boolean; at?: string; yes?: boolean; again?: boolean; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        assertSigningSecret(ctx.config(), { command: 'newsdesk campaign start', warn: warnLine });
        const app = await ctx.app();
        const draft = await app.campaigns.get(id);
        const zone = (await app.campaigns.content(id)).newsletter.timeZone;
        const start = startOption(opts, zone) ?? { at: undefined };
        if (draft.status !== 'draft') throw new CampaignStateError(id, 'start', draft.status);
        // A draft of a stored edition: refused before the question unless that revision is approved.
        await app.editions.check(draft, { again: opts.again });
        const candidate = { id, newsletterId: draft.newsletterId, editionDate: draft.editionDate, contentHash: draft.contentHash, lists: draft.lists };
        const guards = await confirmStart(app, candidate, start, zone, opts);
        const c = await app.service.start(id, { at: start.at, ...guards });
        await ctx.audit({ action: 'campaign.start', target: id, detail: { scheduledAt: c.scheduledAt } });
        out.result(summary(c));
        out.info(`Started campaign ${id} → ${c.lists.join(', ')}, starting ${describeStart(start.at, zone)}.`);
      });
    });

  campaign
    .command('status <id>')
    .description('counts, rate and ETA; --watch follows it to the end with a progress bar')
    .option('--watch', 'follow until the campaign is sent, cancelled or failed')
    .option('--json', 'print the status as JSON')
    .action(async (id: string, opts: { watch?: boolean; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        if (opts.watch) await watch(ctx, id, out);
        const app = await ctx.app();
        const p = await app.service.status(id, { failures: 10 });
        const zone = (await app.campaigns.content(id)).newsletter.timeZone;
        // Sent at readers' local time: one line per zone bucket (src/queue/zone-buckets.ts).
        const buckets = p.campaign.localSend ? await app.campaignZones.buckets(id) : [];
        const zones = zoneProgress(buckets, p.campaign.status, new Date());
        out.result(
          { ...statusBody(p), ...(p.campaign.localSend ? { zones } : {}) },
          [
            `${p.campaign.id}  ${p.campaign.subject}`,
            `  status     ${p.campaign.status}`,
            `  lists      ${p.campaign.lists.join(', ')}`,
            ...(p.campaign.editionId ? [`  edition    ${p.campaign.editionId}, revision ${p.campaign.editionRevision ?? '?'}`] : []),
            `  scheduled  ${p.campaign.status === 'draft' ? 'not started (a draft: newsdesk campaign start ' + id + ')' : describeInstant(new Date(p.campaign.scheduledAt), zone)}`,
            ...(p.campaign.startedAt ? [`  started    ${p.campaign.startedAt}`] : []),
            ...(p.campaign.finishedAt ? [`  finished   ${p.campaign.finishedAt}`] : []),
            ...(p.campaign.error ? [`  error      ${p.campaign.error}`] : []),
            ...zones.map((b) => `  zone       ${b.zone}: ${count(b.readers)} readers at ${describeInstant(new Date(b.at), b.zone)}, ${count(b.sent)} sent, ${b.state}`),
            `  returns    ${returnsLine(p.returns)}`,
            ...(p.returns.breaker ? [`  paused by  the reputation breaker: ${p.returns.breaker}`] : []),
            ...p.returns.warnings.map((w) => `  warning    ${w}`),
            ...p.failures.map((f) => `  failed     subscriber ${f.subscriberId}: ${f.detail ?? ''}`),
            ...(p.deliveryRecordsUntil ? [`  records    kept until ${p.deliveryRecordsUntil}`] : []),
            ...(p.deliveryRecordsRemoved ? ['  records    removed after DELIVERY_RETENTION_DAYS; the counts remain'] : []),
          ].join('\n'),
        );
        out.info(describeProgress(p));
      });
    });

  campaign
    .command('ls')
    .description('recent campaigns, newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print them as JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const all = await (await ctx.app()).campaigns.list(Math.max(1, Number(opts.limit) || 20));
        const rows = [['ID', 'STATUS', 'SCHEDULED', 'LISTS', 'SENT', 'FAILED', 'SKIPPED', 'TOTAL']];
        for (const c of all) {
          rows.push([c.id, c.status, c.status === 'draft' ? '-' : c.scheduledAt, c.lists.join(','), count(c.counts.sent), count(c.counts.failed), count(c.counts.skipped), count(c.counts.total)]);
        }
        out.result(all, all.length ? table(rows) : undefined);
        out.info(`${count(all.length)} campaign${all.length === 1 ? '' : 's'}.`);
      });
    });

  campaign
    .command('test <id>')
    .description('send one personalized copy, subject prefixed [TEST], counted nowhere')
    .requiredOption('--to <email>', 'where to send it')
    .option('--json', 'print the SMTP outcome as JSON')
    .action(async (id: string, opts: { to: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        assertSigningSecret(ctx.config(), { command: 'newsdesk campaign test', warn: warnLine });
        const app = await ctx.app();
        await verifyMailSettings(await app.transport());
        const outcome = await app.service.testSend(id, opts.to);
        await ctx.audit({ action: 'campaign.test', target: id, detail: { to: opts.to, status: outcome.status } });
        out.result(outcome);
        if (outcome.status !== 'sent') throw new NewsdeskError('test_send_failed', `test copy to ${opts.to} not sent: ${outcome.response}`);
        out.info(`Sent a test copy of ${id} to ${opts.to}: ${outcome.response}`);
      });
    });

  campaign
    .command('reschedule <id>')
    .description('move the start of a scheduled campaign (never into the past)')
    .requiredOption('--at <time>', 'new start time: ISO 8601 with offset, or local time in the newsletter\'s timeZone')
    .option('--json', 'print the campaign as JSON')
    .action(async (id: string, opts: { at: string; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const zone = (await app.campaigns.content(id)).newsletter.timeZone;
        const c = await app.service.reschedule(id, parseAt(opts.at, zone));
        await ctx.audit({ action: 'campaign.reschedule', target: id, detail: { scheduledAt: c.scheduledAt } });
        out.result(summary(c));
        out.info(`Campaign ${id} now starts ${describeInstant(new Date(c.scheduledAt), zone)}.`);
      });
    });

  for (const [action, verb, done] of [
    ['pause', 'stop sending within seconds; resume continues where it stopped', 'paused'],
    ['resume', 'continue a paused campaign', 'resumed'],
    ['cancel', 'stop for good (before or during the send)', 'cancelled'],
  ] as const) {
    campaign
      .command(`${action} <id>`)
      .description(verb)
      .option('--json', 'print the campaign as JSON')
      .action(async (id: string, opts: { json?: boolean }) => {
        const out = createOutput(opts);
        await withContext(async (ctx) => {
          const { service } = await ctx.app();
          const c = await service[action](id);
          await ctx.audit({ action: `campaign.${action}`, target: id });
          const p = await service.progress(id);
          out.result(summary(c));
          out.info(`Campaign ${id} ${done}: ${describeProgress(p)}`);
        });
      });
  }

  campaign
    .command('report <id>')
    .description('what was sent, what came back and what readers did: clicks per link and opens, human and machine apart')
    .option('--json', 'print the report as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const report = await campaignReport(await ctx.app(), id);
        out.result(report, reportText(report));
        out.info(`${id}: ${count(report.sent)} sent, ${count(report.clicks.human)} human clicks (${count(report.clicks.machine)} machine).`);
      });
    });

  campaign
    .command('deliveries <id>')
    .description('the delivery record: who was sent, failed (with the SMTP reply) or skipped (and why)')
    .option('--state <state>', 'only queued, sending, sent, failed or skipped')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print them as JSON')
    .action(async (id: string, opts: { state?: string; limit: string; json?: boolean }) => {
      const out = createOutput(opts);
      let state: DeliveryState | undefined;
      if (opts.state !== undefined) {
        const parsed = DeliveryStateSchema.safeParse(opts.state);
        if (!parsed.success) {
          throw new ValidationError('invalid_option', '--state', [{ path: '--state', message: `must be one of ${DeliveryStateSchema.options.join(', ')}` }]);
        }
        state = parsed.data;
      }
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const campaign = await app.campaigns.get(id);
        const rows = await app.campaigns.deliveries(id, { ...(state ? { state } : {}), limit: Math.max(1, Number(opts.limit) || 100) });
        const ids = rows.map((d) => d.subscriberId);
        const [subscribers, returned] = await Promise.all([app.stores.subscribers.getMany(ids), app.returns.returned(id, ids)]);
        const lines = [['SUBSCRIBER', 'EMAIL', 'STATE', 'AT', 'DETAIL', 'RETURNED']];
        const json = rows.map((d, i) => ({ ...d, email: subscribers[i]?.emailDisplay ?? null, returned: returned[i] ?? null }));
        for (const d of json) {
          const back = d.returned ? [d.returned.kind, d.returned.status].filter(Boolean).join(' ') : '-';
          lines.push([String(d.subscriberId), d.email ?? '-', d.state, d.at ? new Date(d.at).toISOString() : '-', d.detail ?? '', back]);
        }
        out.result(json, rows.length ? table(lines) : undefined);
        const records = await app.campaigns.deliveryRecords(id);
        const kept = records.until ? `; records kept until ${records.until.toISOString()}` : '';
        out.info(
          records.kept || !campaign.counts.total
            ? `${count(rows.length)} deliver${rows.length === 1 ? 'y' : 'ies'}${state ? ` ${state}` : ''} shown${kept}.`
            : `The delivery records of ${id} were removed after the retention period (DELIVERY_RETENTION_DAYS); its counts remain (newsdesk campaign status ${id}).`,
        );
      });
    });

  return campaign;
}

/**
 * `newsdesk schedule …`: the daily schedule (README.md, "The daily schedule"). A newsletter's
 * approved edition of the day becomes a campaign at each slot of its cron pattern, in its zone.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseDuration } from '../domain/time-option.ts';
import type { ScheduleView } from '../queue/schedule.service.ts';
import { describeSlot, scheduleSetAudit } from '../queue/schedule.service.ts';
import { cliActor, withContext } from './context.ts';
import { createOutput, table } from './output.ts';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function duration(value: string): number {
  const ms = parseDuration(value);
  if (ms === null || ms <= 0) throw new InvalidArgumentError('must be a duration such as 30m, 2h or 1d');
  return ms;
}

/** The lines `ls` and `set` print for one schedule. */
export function describeSchedule(s: ScheduleView): string {
  const head = `${s.newsletter}: "${s.cron}" in ${s.tz} to ${s.lists.join(', ')}${s.localTime ? `, readers' local ${s.localTime}` : ''}; late window ${s.lateWindow}${s.paused ? '; PAUSED' : ''}`;
  const next = s.paused ? ['  paused: no slot fires until newsdesk schedule resume'] : s.nextSlots.map((n) => `  next: ${describeSlot(n.utc, s.tz)}`);
  const missed = s.missed ? [`  missed: ${s.missed.message}`] : [];
  return [head, ...next, ...missed].join('\n');
}

export function scheduleCommand(): Command {
  const schedule = new Command('schedule').description('the daily schedule: the approved edition of the day sent at each slot, exactly once');

  schedule
    .command('set <newsletter>')
    .description('create or replace a newsletter\'s schedule (needs a running worker to fire)')
    .requiredOption('--cron <pattern>', 'five-field cron pattern in --tz, e.g. "0 6 * * 1-5" (06:00 on weekdays)')
    .requiredOption('--tz <zone>', 'IANA time zone the pattern is read in, e.g. America/New_York')
    .requiredOption('--list <id>', 'a list to send to (repeat for several)', collect)
    .option('--local-time <HH:MM>', "readers with a timezone get the edition at this time in their zone")
    .option('--late-window <duration>', 'a slot missed while no worker ran is still sent up to this late (default 2h)', duration)
    .option('--json', 'print the schedule as JSON')
    .action(async (newsletter: string, opts: { cron: string; tz: string; list: string[]; localTime?: string; lateWindow?: number; json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const app = await ctx.app();
        const view = await app.schedules.set({
          newsletter,
          cron: opts.cron,
          tz: opts.tz,
          lists: opts.list,
          localTime: opts.localTime,
          lateWindowMs: opts.lateWindow,
          by: cliActor(),
        });
        await ctx.audit(scheduleSetAudit(view));
        out.result(view, describeSchedule(view));
        out.info(`Schedule set for ${newsletter}. Slots fire while a worker runs (newsdesk worker).`);
      });
    });

  schedule
    .command('ls')
    .description('every schedule, with its next five slots in its zone and in UTC')
    .option('--json', 'print the schedules as JSON')
    .action(async (opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const views = await (await ctx.app()).schedules.list();
        if (out.json) return out.result(views);
        if (!views.length) return out.info('No schedules. Make one with newsdesk schedule set <newsletter> --cron "0 6 * * 1-5" --tz America/New_York --list <id>.');
        out.result(views, views.map(describeSchedule).join('\n\n'));
        const missed = views.filter((v) => v.missed);
        if (missed.length) out.info(table([['missed', 'date', 'reason'], ...missed.map((v) => [v.newsletter, v.missed?.date ?? '', v.missed?.reason ?? ''])]));
      });
    });

  for (const [verb, help] of [
    ['pause', 'stop firing slots (the settings stay)'],
    ['resume', 'fire slots again from the next one'],
    ['rm', 'remove the schedule'],
  ] as const) {
    schedule
      .command(`${verb} <newsletter>`)
      .description(help)
      .option('--json', 'print the result as JSON')
      .action(async (newsletter: string, opts: { json?: boolean }) => {
        const out = createOutput(opts);
        await withContext(async (ctx) => {
          const { schedules } = await ctx.app();
          if (verb === 'rm') {
            await schedules.remove(newsletter);
            await ctx.audit({ action: 'schedule.remove', target: newsletter });
            out.result({ newsletter, removed: true }, `Schedule of ${newsletter} removed.`);
            return;
          }
          const view = verb === 'pause' ? await schedules.pause(newsletter, cliActor()) : await schedules.resume(newsletter, cliActor());
          await ctx.audit({ action: `schedule.${verb}`, target: newsletter });
          out.result(view, describeSchedule(view));
        });
      });
  }

  return schedule;
}

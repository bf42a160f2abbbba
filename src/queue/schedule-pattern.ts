/**
 * A schedule's cron pattern: checked before it is stored, and its next slots worked out with the
 * same function BullMQ's job scheduler uses (`getNextMillis`), so what `schedule ls` shows is
 * when the jobs fire, daylight saving included.
 */
import { getNextMillis } from 'bullmq';
import { NewsdeskError } from '../domain/errors.ts';
import { isTimeZone } from '../domain/time-zone.ts';

/** A schedule setting that cannot be used; `field` names it (`cron`, `tz`, `lists`…). */
export class ScheduleInputError extends NewsdeskError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('schedule_invalid', `${field}: ${message}`);
  }
}

const FIELD = 'cron';

/**
 * Refuses a pattern that is not five cron fields (a sixth, seconds, field could fire many times a
 * minute), does not parse, or never fires (`0 0 30 2 *`). `tz` must already be a known zone.
 * @throws ScheduleInputError naming `cron` (or `tz`)
 */
export function checkSchedulePattern(pattern: string, tz: string, now: Date = new Date()): void {
  if (!isTimeZone(tz)) throw new ScheduleInputError('tz', `unknown time zone "${tz}": use an IANA name such as America/New_York or Asia/Kolkata`);
  const fields = pattern.trim().split(/\s+/);
  if (fields.length === 6) {
    throw new ScheduleInputError(FIELD, `"${pattern}" has a seconds field; a schedule fires at most once a minute: give five fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1-5"`);
  }
  if (fields.length !== 5 || fields.some((f) => f === '')) {
    throw new ScheduleInputError(FIELD, `"${pattern}" is not a cron pattern of five fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * 1-5"`);
  }
  let next: number | undefined;
  try {
    next = nextSlot(pattern, tz, now.getTime());
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    if (/day of month/i.test(why)) throw new ScheduleInputError(FIELD, `"${pattern}" never fires (no month has that day)`);
    throw new ScheduleInputError(FIELD, `"${pattern}" is not a valid cron pattern (${why})`);
  }
  if (next === undefined) throw new ScheduleInputError(FIELD, `"${pattern}" never fires`);
}

function nextSlot(pattern: string, tz: string, after: number): number | undefined {
  const next = getNextMillis(after, { pattern, tz });
  return typeof next === 'number' && Number.isFinite(next) ? next : undefined;
}

/** The next `count` slots after `from`, as BullMQ's scheduler will fire them. */
export function nextSlots(pattern: string, tz: string, from: Date, count: number): Date[] {
  const slots: Date[] = [];
  let after = from.getTime();
  for (let i = 0; i < count; i++) {
    const next = nextSlot(pattern, tz, after);
    if (next === undefined) break;
    slots.push(new Date(next));
    after = next;
  }
  return slots;
}

/**
 * When a campaign starts. Shared by `campaign create|start|reschedule --at`, the API and the
 * dashboard, so every path refuses the same mistakes:
 * - an ISO 8601 time with its offset (`2025-02-13T06:00:00-05:00`), or a wall-clock time without
 *   one (`2025-02-13T06:00`) read in the newsletter's time zone;
 * - never a time in the past: a typo'd year must not mean "send at once". Sending at once is
 *   said explicitly (`--now`, `"at": "now"`).
 */
import { z } from 'zod';
import { NewsdeskError } from './errors.ts';
import { describeInstant, resolveLocalTime } from './time-zone.ts';

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const ISO_LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

export const SEND_TIME_HINT =
  'an ISO 8601 time with an offset (2025-02-13T06:00:00-05:00, 2025-02-13T11:00:00Z) or a local time in the newsletter\'s time zone (2025-02-13T06:00)';

/** How far in the past a start time may be and still count as "now" (clock skew, typing time). */
export const PAST_GRACE_MS = 60_000;

/** Parses a time with its offset to a Date; anything without an offset, or not a real time, is refused. */
export const SendTime = z
  .string()
  .refine((v) => ISO_WITH_OFFSET.test(v) && !Number.isNaN(Date.parse(v)), `must be ${SEND_TIME_HINT}`)
  .transform((v) => new Date(v));
export type SendTime = z.output<typeof SendTime>;

/**
 * What a caller may say for a start time, before the newsletter's zone is known: `now`, or a
 * time with an offset or a wall-clock time. Resolve it with {@link resolveSendTime}.
 */
export const SendTimeInput = z
  .string()
  .trim()
  .refine((v) => v === 'now' || (ISO_WITH_OFFSET.test(v) && !Number.isNaN(Date.parse(v))) || ISO_LOCAL.test(v), `must be "now" or ${SEND_TIME_HINT}`);
export type SendTimeInput = z.infer<typeof SendTimeInput>;

/** A start time that cannot be used; `message` names the time and what to do. */
export class SendTimeError extends NewsdeskError {
  constructor(code: 'start_time_invalid' | 'start_time_past', message: string) {
    super(code, message);
  }
}

/**
 * The instant a start time means. A wall-clock time is read in `timeZone` (the newsletter's);
 * without one it is refused, since the server's zone is nobody's 6 a.m. Refuses wall-clock times
 * that do not exist (the hour skipped when clocks go forward); of an hour that happens twice
 * (clocks go back) the first is meant.
 * @throws SendTimeError `start_time_invalid`
 */
export function resolveSendTime(value: string, opts: { timeZone?: string | undefined; field?: string }): Date {
  const field = opts.field ?? '--at';
  if (ISO_WITH_OFFSET.test(value) && !Number.isNaN(Date.parse(value))) return new Date(value);
  const m = ISO_LOCAL.exec(value);
  if (!m) throw new SendTimeError('start_time_invalid', `${field}: "${value}" is not ${SEND_TIME_HINT}`);
  if (!opts.timeZone) {
    throw new SendTimeError(
      'start_time_invalid',
      `${field}: "${value}" has no offset and the newsletter has no timeZone: add one (e.g. -05:00) or set timeZone in the newsletter file`,
    );
  }
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    throw new SendTimeError('start_time_invalid', `${field}: "${value}" is not a real date and time`);
  }
  const r = resolveLocalTime({ year, month, day, hour, minute, second }, opts.timeZone);
  if (r.kind === 'gap') {
    throw new SendTimeError('start_time_invalid', `${field}: ${value} does not exist in ${opts.timeZone} (the clocks skip that hour); pick another time`);
  }
  return r.at;
}

/**
 * Refuses a start time more than {@link PAST_GRACE_MS} before `now`, naming both. A time a few
 * seconds ago still counts as now.
 * @throws SendTimeError `start_time_past`
 */
export function assertNotPast(at: Date, now: Date, timeZone?: string | undefined): void {
  if (at.getTime() >= now.getTime() - PAST_GRACE_MS) return;
  throw new SendTimeError(
    'start_time_past',
    `the start time ${describeInstant(at, timeZone)} is in the past (now is ${describeInstant(now, timeZone)}); ` +
      'give a future time, or say "now" explicitly (--now, or "at": "now" in the API) to send at once',
  );
}

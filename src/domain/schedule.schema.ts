/**
 * The daily schedule: when a newsletter's approved edition of the day goes out on its own
 * (README.md, "The daily schedule"). The cron pattern and zone drive a BullMQ job scheduler;
 * these are the settings kept beside it, and what happened at each slot.
 */
import { z } from 'zod';
import { TimeZone } from './time-zone.ts';

/** How late a slot missed while every worker was down may still be sent. Default 2 h. */
export const DEFAULT_LATE_WINDOW_MS = 2 * 3_600_000;

/** `06:00`: a wall-clock time of day, 24-hour, for `--local-time`. */
export const LocalTimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day as HH:MM, 24-hour (06:00, 18:30)');
export type LocalTimeOfDay = z.infer<typeof LocalTimeOfDay>;

/** A schedule as stored (`{p}:schedules`, one field per newsletter). */
export const Schedule = z.strictObject({
  newsletter: z.string().min(1),
  /** Five-field cron pattern (minute hour day-of-month month day-of-week), read in `tz`. */
  pattern: z.string().min(1),
  tz: TimeZone,
  /** Lists the slot's campaign goes to. */
  lists: z.array(z.string().min(1)).min(1),
  /** Readers with a `timezone` get the edition at this local time; the rest at the slot. */
  localTime: LocalTimeOfDay.optional(),
  /** A slot found this late (workers were down) is skipped with an alert. */
  lateWindowMs: z.number().int().positive(),
  paused: z.boolean(),
  updatedAt: z.iso.datetime(),
  updatedBy: z.string(),
});
export type Schedule = z.infer<typeof Schedule>;

/** Why a slot sent nothing. */
export const MissedReason = z.enum(['no_edition', 'too_late', 'failed']);
export type MissedReason = z.infer<typeof MissedReason>;

/** A slot that sent nothing: shown as a dashboard banner until a later slot of the newsletter sends. */
export const MissedSlot = z.strictObject({
  newsletter: z.string(),
  /** The edition date the slot was for, in the schedule's zone. */
  date: z.string(),
  /** When the slot was due (ISO). */
  slot: z.iso.datetime(),
  reason: MissedReason,
  /** One sentence for people: what happened and what to do. */
  message: z.string(),
  /** When it was noticed (ISO). */
  at: z.iso.datetime(),
});
export type MissedSlot = z.infer<typeof MissedSlot>;

/**
 * Daily schedules (README.md, "The daily schedule"): `set`, `list`, `pause`, `resume`, `remove`,
 * the one implementation behind the CLI, the API and the dashboard. Each schedule is a BullMQ
 * job scheduler on the schedule queue (id = the newsletter id, `{ pattern, tz }`) firing `slot`
 * jobs (schedule-slot.ts), plus its settings in Redis (schedule.store.ts). Pausing removes the
 * job scheduler and keeps the settings; resuming puts it back, so a paused slot never fires.
 * Every input is checked before anything is written.
 */
import type { Queue } from 'bullmq';
import { NewsdeskError } from '../domain/errors.ts';
import { DEFAULT_LATE_WINDOW_MS, LocalTimeOfDay, type MissedSlot, type Schedule } from '../domain/schedule.schema.ts';
import { parseDuration } from '../domain/time-option.ts';
import { describeInstant, zonedIso } from '../domain/time-zone.ts';
import type { ScheduleStore } from '../store/schedule.store.ts';
import type { ScheduleSlotJob } from './queues.ts';
import { checkSchedulePattern, nextSlots, ScheduleInputError } from './schedule-pattern.ts';

/** Attempts for a slot job: a failed create is retried (the claim makes that safe), then alerts. */
export const SLOT_ATTEMPTS = 5;

export interface ScheduleServiceOptions {
  store: ScheduleStore;
  queue: Queue<ScheduleSlotJob>;
  /** @throws when the newsletter does not exist (NewsletterNotFoundError). */
  requireNewsletter(id: string): Promise<{ timeZone?: string | undefined }>;
  listExists(id: string): Promise<boolean>;
  now?: () => Date;
}

export interface ScheduleInput {
  newsletter: string;
  cron: string;
  /** IANA zone the pattern is read in; empty or absent: the newsletter's `timeZone`. */
  tz?: string | undefined;
  lists: string[];
  localTime?: string | undefined;
  /** ms; default {@link DEFAULT_LATE_WINDOW_MS}. */
  lateWindowMs?: number | undefined;
  /** The audit actor (`cli:<user>`, `api:<token>`, `dashboard:<who>`). */
  by: string;
}

/** A schedule as shown: its settings, its next slots (none while paused) and its last missed slot. */
export interface ScheduleView {
  newsletter: string;
  cron: string;
  tz: string;
  lists: string[];
  localTime: string | null;
  lateWindow: string;
  lateWindowMs: number;
  paused: boolean;
  updatedAt: string;
  updatedBy: string;
  /** `local`: the wall-clock time in `tz` with its offset; `utc`: ISO in UTC. */
  nextSlots: Array<{ local: string; utc: string }>;
  missed: MissedSlot | null;
}

/** How many slots a listing shows. */
export const SHOWN_SLOTS = 5;

export class ScheduleService {
  private readonly now: () => Date;

  constructor(private readonly opts: ScheduleServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Creates or replaces a newsletter's schedule. A paused schedule stays paused. */
  async set(input: ScheduleInput): Promise<ScheduleView> {
    const newsletter = input.newsletter;
    const file = await this.opts.requireNewsletter(newsletter);
    const tz = input.tz?.trim() || file.timeZone;
    if (!tz) throw new ScheduleInputError('tz', `give a time zone: newsletter "${newsletter}" has no timeZone to default to`);
    const cron = input.cron.trim().replace(/\s+/g, ' ');
    checkSchedulePattern(cron, tz, this.now());
    const lists = [...new Set(input.lists)];
    if (!lists.length) throw new ScheduleInputError('lists', 'a schedule needs at least one list (--list daily)');
    for (const l of lists) if (!(await this.opts.listExists(l))) throw new ScheduleInputError('lists', `no list "${l}" (newsdesk lists ls shows them)`);
    if (input.localTime !== undefined && !LocalTimeOfDay.safeParse(input.localTime).success) {
      throw new ScheduleInputError('localTime', `"${input.localTime}" is not a time of day as HH:MM, 24-hour (06:00, 18:30)`);
    }
    const lateWindowMs = input.lateWindowMs ?? DEFAULT_LATE_WINDOW_MS;
    if (!Number.isSafeInteger(lateWindowMs) || lateWindowMs <= 0) throw new ScheduleInputError('lateWindow', 'must be a positive duration such as 30m or 2h');
    const before = await this.opts.store.get(newsletter);
    const schedule: Schedule = {
      newsletter,
      pattern: cron,
      tz,
      lists,
      ...(input.localTime !== undefined ? { localTime: input.localTime } : {}),
      lateWindowMs,
      paused: before?.paused ?? false,
      updatedAt: this.now().toISOString(),
      updatedBy: input.by,
    };
    await this.opts.store.put(schedule);
    if (!schedule.paused) await this.upsertScheduler(schedule);
    return this.view(schedule);
  }

  /** Every schedule, by newsletter. */
  async list(): Promise<ScheduleView[]> {
    const [all, missed] = await Promise.all([this.opts.store.all(), this.opts.store.missed()]);
    return all.map((s) => this.view(s, missed.find((m) => m.newsletter === s.newsletter) ?? null));
  }

  async get(newsletter: string): Promise<ScheduleView> {
    const s = await this.require(newsletter);
    const missed = (await this.opts.store.missed()).find((m) => m.newsletter === newsletter) ?? null;
    return this.view(s, missed);
  }

  async pause(newsletter: string, by: string): Promise<ScheduleView> {
    const s = await this.require(newsletter);
    const paused = { ...s, paused: true, updatedAt: this.now().toISOString(), updatedBy: by };
    await this.opts.store.put(paused);
    await this.opts.queue.removeJobScheduler(newsletter);
    return this.view(paused);
  }

  async resume(newsletter: string, by: string): Promise<ScheduleView> {
    const s = await this.require(newsletter);
    const resumed = { ...s, paused: false, updatedAt: this.now().toISOString(), updatedBy: by };
    await this.opts.store.put(resumed);
    await this.upsertScheduler(resumed);
    return this.view(resumed);
  }

  /** Removes the schedule and its job scheduler; claims of past dates stay until they expire. */
  async remove(newsletter: string): Promise<void> {
    await this.require(newsletter);
    await this.opts.queue.removeJobScheduler(newsletter);
    await this.opts.store.remove(newsletter);
  }

  private async require(newsletter: string): Promise<Schedule> {
    const s = await this.opts.store.get(newsletter);
    if (!s) throw new NewsdeskError('not_found', `no schedule for newsletter "${newsletter}" (newsdesk schedule ls shows them)`);
    return s;
  }

  private async upsertScheduler(s: Schedule): Promise<void> {
    await this.opts.queue.upsertJobScheduler(
      s.newsletter,
      { pattern: s.pattern, tz: s.tz },
      {
        name: 'slot',
        data: { newsletter: s.newsletter },
        opts: {
          attempts: SLOT_ATTEMPTS,
          backoff: { type: 'exponential', delay: 5_000 },
          removeOnComplete: { age: 30 * 86_400 },
          removeOnFail: { age: 30 * 86_400 },
        },
      },
    );
  }

  private view(s: Schedule, missed: MissedSlot | null = null): ScheduleView {
    const slots = s.paused ? [] : nextSlots(s.pattern, s.tz, this.now(), SHOWN_SLOTS);
    return {
      newsletter: s.newsletter,
      cron: s.pattern,
      tz: s.tz,
      lists: s.lists,
      localTime: s.localTime ?? null,
      lateWindow: formatDuration(s.lateWindowMs),
      lateWindowMs: s.lateWindowMs,
      paused: s.paused,
      updatedAt: s.updatedAt,
      updatedBy: s.updatedBy,
      nextSlots: slots.map((d) => ({ local: zonedIso(d, s.tz), utc: d.toISOString() })),
      missed,
    };
  }
}

/**
 * A late window as typed (`30m`, `2h`, `1d`) in ms, for the API and the dashboard.
 * @throws ScheduleInputError naming `lateWindow`
 */
export function parseLateWindow(text: string): number {
  const ms = parseDuration(text.trim());
  if (ms === null || ms <= 0) throw new ScheduleInputError('lateWindow', `"${text}" is not a duration such as 30m or 2h`);
  return ms;
}

/** The audit entry of a `set`, the same from the CLI, the API and the dashboard. */
export function scheduleSetAudit(view: ScheduleView) {
  return {
    action: 'schedule.set',
    target: view.newsletter,
    detail: { cron: view.cron, tz: view.tz, lists: view.lists.join(','), localTime: view.localTime, lateWindow: view.lateWindow },
  };
}

/** `2h`, `90m`, `1d`: the shortest exact way to say `ms`. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['w', 7 * 86_400_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** One slot for people: `2026-03-09 06:00 America/New_York (10:00 UTC)`. */
export function describeSlot(utc: string, tz: string): string {
  return describeInstant(new Date(utc), tz);
}

/**
 * What happens at one slot of a daily schedule (README.md, "The daily schedule"): the approved
 * edition dated the slot's local date becomes a campaign and starts, exactly once per newsletter
 * and date. A function of the slot job and `now`, so tests drive it with any clock.
 *
 * - The date is the slot's *intended* time in the schedule's zone, never the time the job runs:
 *   a 23:59 slot picked up at 00:01 is still yesterday's edition.
 * - A slot found later than the schedule's late window (every worker was down) sends nothing
 *   and raises an alert; within the window it sends late.
 * - `<newsletter>:<date>` is claimed in Redis before anything is created (schedule.store.ts).
 *   Another slot for the same date (a second fire, a second worker) finds it taken. The job that
 *   claimed it, run again after a crash, finishes it: a campaign already made for the edition
 *   (found through the duplicate-send rule) is adopted, otherwise it is created then.
 */
import type { Logger } from 'pino';
import { type DuplicateSend, DuplicateSendError, type SendCandidate } from '../domain/duplicate-send.ts';
import type { MissedReason, MissedSlot } from '../domain/schedule.schema.ts';
import { describeInstant, localDateOf } from '../domain/time-zone.ts';
import type { ScheduleStore } from '../store/schedule.store.ts';

/** One firing of a schedule: which newsletter, when it was meant to fire, and the job's id (the claim's owner). */
export interface SlotFiring {
  newsletter: string;
  slotAt: Date;
  jobId: string;
  /** No attempt comes after this one: a failure is final and raises the alert. Default true. */
  finalAttempt?: boolean;
}

/** What the slot needs from the edition service (`app.editions`). */
export interface SlotEditions {
  approvedFor(newsletter: string, date: string): Promise<{ id: string } | null>;
  createCampaign(id: string, opts: { lists: string[]; at: 'now' | 'draft'; by: string; yes: boolean }): Promise<{ campaign: { id: string } }>;
}

export interface SlotDeps {
  store: ScheduleStore;
  editions: SlotEditions;
  /** Campaigns that already sent, are sending or will send this edition to these lists. */
  duplicates(candidate: SendCandidate): Promise<DuplicateSend[]>;
  /** Starts a draft to go at each reader's local time (`--local-time`, zone-buckets.ts). */
  startAtLocalTime(campaignId: string, localSend: { time: string; zone: string }): Promise<void>;
  /** Raises the missed-slot alert: log, banner, counter, email (schedule-alert.ts). */
  alert(missed: MissedSlot): Promise<void>;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

export type SlotResult =
  | { kind: 'created'; date: string; campaignId: string; lateMs: number; adopted: boolean }
  | { kind: 'taken'; date: string; state: string; campaignId?: string | undefined }
  | { kind: 'missed'; date: string; reason: MissedReason }
  | { kind: 'no-schedule' }
  | { kind: 'paused' };

/** Runs one slot at `now`; see the module comment. Rethrows a failed create unless it is the final attempt. */
export async function runSlot(firing: SlotFiring, now: Date, deps: SlotDeps): Promise<SlotResult> {
  const { store, logger } = deps;
  const schedule = await store.get(firing.newsletter);
  if (!schedule) {
    logger.warn({ newsletter: firing.newsletter, jobId: firing.jobId }, 'schedule slot for a newsletter with no schedule: nothing sent');
    return { kind: 'no-schedule' };
  }
  if (schedule.paused) return { kind: 'paused' };
  const date = localDateOf(firing.slotAt, schedule.tz);
  const lateMs = Math.max(0, now.getTime() - firing.slotAt.getTime());
  const log = { newsletter: schedule.newsletter, date, slot: firing.slotAt.toISOString(), jobId: firing.jobId };

  const claim = await store.claim(schedule.newsletter, date, firing.jobId, firing.slotAt, now);
  if (claim.kind === 'taken') {
    logger.info({ ...log, state: claim.state, by: claim.owner, campaignId: claim.campaignId }, 'schedule slot: this date is already claimed; nothing to do');
    return { kind: 'taken', date, state: claim.state, campaignId: claim.campaignId };
  }

  const slotText = describeInstant(firing.slotAt, schedule.tz);
  const miss = async (reason: MissedReason, message: string): Promise<SlotResult> => {
    await store.finish(schedule.newsletter, date, firing.jobId, { state: 'missed', reason }, now);
    await deps.alert({ newsletter: schedule.newsletter, date, slot: firing.slotAt.toISOString(), reason, message, at: now.toISOString() });
    return { kind: 'missed', date, reason };
  };

  // A resumed claim was judged in time by its first attempt; a retry's backoff does not make it late.
  if (claim.kind === 'won' && lateMs > schedule.lateWindowMs) {
    const hours = (ms: number) => {
      const min = Math.round(ms / 60_000);
      return [Math.floor(min / 60) ? `${Math.floor(min / 60)} h` : '', min % 60 ? `${min % 60} min` : ''].filter(Boolean).join(' ') || '0 min';
    };
    return miss('too_late', `${schedule.newsletter} ${date}: the slot at ${slotText} was missed (no worker ran); found ${hours(lateMs)} late, past the late window of ${hours(schedule.lateWindowMs)}, so nothing was sent. Send it by hand if it is still wanted.`);
  }

  const candidate = { newsletterId: schedule.newsletter, editionDate: date, lists: schedule.lists };
  const created = async (campaignId: string, adopted: boolean): Promise<SlotResult> => {
    await store.finish(schedule.newsletter, date, firing.jobId, { state: 'created', campaignId }, now);
    await store.clearMissed(schedule.newsletter);
    logger.info({ ...log, campaignId, lateMs, adopted }, lateMs > 60_000 ? 'schedule slot sent late' : 'schedule slot: campaign started');
    return { kind: 'created', date, campaignId, lateMs, adopted };
  };

  // Sent by hand before the slot, or by this job before it stopped (a crash between create and
  // finish): that campaign is the day's.
  const [already] = await deps.duplicates(candidate);
  if (already) return created(already.campaign.id, true);

  const edition = await deps.editions.approvedFor(schedule.newsletter, date);
  if (!edition) {
    return miss('no_edition', `${schedule.newsletter} ${date}: no approved edition at the slot (${slotText}), so nothing was sent. Approve it (newsdesk editions approve) and send it with newsdesk campaign create.`);
  }
  try {
    const by = `schedule:${schedule.newsletter}`;
    if (!schedule.localTime) {
      const { campaign } = await deps.editions.createCampaign(edition.id, { lists: schedule.lists, at: 'now', by, yes: true });
      return await created(campaign.id, false);
    }
    // At readers' local time: made as a draft, marked, then started (a crash in between leaves a
    // draft, which never sends; the re-run makes and starts another).
    const { campaign } = await deps.editions.createCampaign(edition.id, { lists: schedule.lists, at: 'draft', by, yes: true });
    await deps.startAtLocalTime(campaign.id, { time: schedule.localTime, zone: schedule.tz });
    return await created(campaign.id, false);
  } catch (err) {
    // Sent by hand a moment ago, between the check above and the create.
    if (err instanceof DuplicateSendError && err.duplicates[0]) return created(err.duplicates[0].campaign.id, true);
    if (firing.finalAttempt === false) throw err;
    const why = err instanceof Error ? err.message : String(err);
    return miss('failed', `${schedule.newsletter} ${date}: the campaign for the slot at ${slotText} could not be created: ${why}`);
  }
}

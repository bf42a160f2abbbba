/**
 * Turns a BullMQ `slot` job into a {@link SlotFiring} and runs it (schedule-slot.ts). The slot's
 * time is the one the job scheduler meant (its job id is `repeat:<newsletter>:<ms>`), not the
 * time a worker took the job: after workers were down that is how late it is.
 */
import type { Job } from 'bullmq';
import { ScheduleSlotJob } from './queues.ts';
import { runSlot, type SlotDeps, type SlotFiring, type SlotResult } from './schedule-slot.ts';

/** When the job scheduler meant `job` to run. */
export function intendedTimeOf(job: Pick<Job, 'id' | 'timestamp' | 'opts'>): Date {
  const fromId = /^repeat:.+:(\d+)$/.exec(job.id ?? '')?.[1];
  if (fromId !== undefined) return new Date(Number(fromId));
  return new Date(job.timestamp + (job.opts.delay ?? 0));
}

/** The firing a slot job stands for. */
export function firingOf(job: Pick<Job, 'id' | 'timestamp' | 'opts' | 'data' | 'attemptsMade'>): SlotFiring {
  const { newsletter } = ScheduleSlotJob.parse(job.data);
  return {
    newsletter,
    slotAt: intendedTimeOf(job),
    jobId: job.id ?? `slot:${newsletter}:${job.timestamp}`,
    finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
  };
}

/** The worker's `slot` handler over `deps`; `now` is the clock (tests set it). */
export function slotProcessor(deps: SlotDeps, now: () => Date = () => new Date()): (job: Job) => Promise<SlotResult> {
  return (job) => runSlot(firingOf(job), now(), deps);
}

/**
 * The BullMQ workers: one on the campaign queue (start → fan-out), one on the send queue
 * (send-batch). Each job name has exactly one handler; an unknown name fails the job for good.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job, type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { RedisClient } from '../store/redis.ts';
import type { Logger } from 'pino';
import type { CampaignStore } from '../store/campaign.store.ts';
import { COMPACT_LEDGER_JOB, type LedgerScheduler, runLedgerCompaction } from './ledger-compaction.ts';
import { type FanoutDeps, runFanout } from './fanout.job.ts';
import { CAMPAIGN_QUEUE, SCHEDULE_QUEUE, SEND_QUEUE, StartCampaignJob } from './queues.ts';
import { LostLockError, PreparedCampaigns, runSendBatch, type SendBatchDeps, TransientBatchError } from './send-batch.job.ts';
import { SendBreaker } from './send-breaker.ts';
import { countZoneSends } from './zone-progress.ts';
import type { BatchEnd, WorkerObserver } from './worker-observer.ts';

export interface WorkerOptions {
  /** A connection factory: BullMQ workers need their own blocking connections. */
  connection: () => RedisClient;
  /** Queue prefix: the installation's hash tag. */
  prefix: string;
  /** Send-batch jobs processed at once by this process. Default 8. */
  concurrency?: number;
  /** Run only some of the workers (tests). Default both. */
  queues?: Array<typeof CAMPAIGN_QUEUE | typeof SEND_QUEUE | typeof SCHEDULE_QUEUE>;
  /**
   * Job lock (ms), renewed every half of it while this process lives: a dead worker's jobs are
   * taken over within about `lockMs + stalledCheckMs` (docs/reliability.md, "Recovery timing").
   * Default 5 s.
   */
  lockMs?: number;
  /** How often this process looks for jobs whose lock lapsed (ms). Default 2 s. */
  stalledCheckMs?: number;
}

export interface WorkerDeps {
  campaigns: CampaignStore;
  logger: Logger;
  /** Told when a campaign ends, to compact its delivery ledger (ledger-compaction.ts). Default: nobody. */
  ledger?: LedgerScheduler | undefined;
  fanout: Omit<FanoutDeps, 'campaigns' | 'logger'>;
  /** `breaker` defaults to one {@link SendBreaker} for the process. */
  send: Omit<SendBatchDeps, 'campaigns' | 'logger' | 'signal'>;
  /** Told about batches, breaker openings and settings pauses (metrics). Default: nobody. */
  observer?: WorkerObserver | undefined;
  /** Runs a daily schedule's `slot` job (schedule-slot.ts); with it, this process also works the schedule queue. */
  slot?: ((job: Job) => Promise<unknown>) | undefined;
  /** Adds a zone bucket's sends after each of its batches (zone-progress.ts). */
  zoneSent?: ((campaignId: string, zone: string, n: number) => Promise<void>) | undefined;
  /**
   * Samples the recent pace of the campaigns this process is sending, every second while it
   * holds their batches (the ETA; store/campaign-pace.store.ts). Default: none.
   */
  paces?: { sample(campaignId: string): Promise<void> } | undefined;
}

/** How often a process samples the pace of each campaign it holds batches of. */
const PACE_SAMPLE_MS = 1_000;

export interface RunningWorkers {
  workers: Worker[];
  /**
   * Resolves `true` when no job is active or waiting on this process's queues (for
   * --exit-when-idle), or `false` once {@link close} has begun: the check then stops before
   * `close` closes anything it reads through.
   */
  idle(opts: { sendQueue: Queue; campaignQueue: Queue; pollMs?: number }): Promise<boolean>;
  /** Finishes in-flight messages, then closes. Safe to call twice; runs every step even if one fails. */
  close(): Promise<void>;
}

export function startWorkers(deps: WorkerDeps, opts: WorkerOptions): RunningWorkers {
  const { campaigns, logger } = deps;
  // The campaign ended: its ledger is compacted later. A lost schedule is caught by the next sweep.
  const campaignEnded = (campaignId: string) => {
    void deps.ledger?.schedule(campaignId).catch((err: unknown) => logger.warn({ campaignId, err: String(err) }, 'could not schedule the ledger compaction'));
  };
  const stop = new AbortController();
  const prepared = new PreparedCampaigns({ campaigns, preparer: deps.send.preparer });
  // One per process: its send slots share one SMTP server, so they learn of its outage together.
  const observer = deps.observer;
  const breaker = new SendBreaker(observer ? { onOpen: (ms) => observer.breakerOpened(ms) } : {});
  const which = new Set(opts.queues ?? [CAMPAIGN_QUEUE, SEND_QUEUE, ...(deps.slot ? [SCHEDULE_QUEUE] : [])]);
  const workers: Worker[] = [];
  // Campaigns with batches running here, and how many: their pace is sampled while there are any.
  const sending = new Map<string, number>();
  const paces = deps.paces;
  const paceTimer = paces
    ? setInterval(() => {
        for (const campaignId of sending.keys()) {
          // Only the ETA depends on it: a failed sample is logged, never the batches' business.
          paces.sample(campaignId).catch((err: unknown) => logger.debug({ campaignId, err: String(err) }, 'pace sample failed'));
        }
      }, PACE_SAMPLE_MS)
    : undefined;
  paceTimer?.unref();

  const handlers: Record<string, Record<string, (job: Job, lockToken: string) => Promise<unknown>>> = {
    [CAMPAIGN_QUEUE]: {
      start: async (job) => {
        const { campaignId } = StartCampaignJob.parse(job.data);
        const r = await runFanout(campaignId, { ...deps.fanout, campaigns, logger });
        if (r.kind === 'done' && r.finished) {
          logger.info({ campaignId }, 'campaign sent');
          campaignEnded(campaignId);
        }
        return r;
      },
      [COMPACT_LEDGER_JOB]: (job) => runLedgerCompaction(job, campaigns, logger),
    },
    [SEND_QUEUE]: {
      'send-batch': async (job, lockToken) => {
        const started = performance.now();
        const ended = (end: BatchEnd) => observer?.batchEnded((performance.now() - started) / 1000, end);
        const { campaignId, zone } = job.data as { campaignId?: unknown; zone?: string };
        const paced = typeof campaignId === 'string' ? campaignId : undefined;
        if (paced) sending.set(paced, (sending.get(paced) ?? 0) + 1);
        const counted = paced && zone && deps.zoneSent ? countZoneSends(deps.send.chunks, deps.zoneSent) : null;
        let r: Awaited<ReturnType<typeof runSendBatch>>;
        try {
          r = await runSendBatch(job, lockToken, { breaker, observer, ...deps.send, campaigns, ...(counted ? { chunks: counted.chunks } : {}), logger, prepared, signal: stop.signal });
        } catch (err) {
          ended(err instanceof TransientBatchError ? 'retry' : err instanceof DelayedError ? 'delayed' : 'failed');
          // BullMQ cannot fail a job whose lock is gone, so it would report only "Lock mismatch":
          // say here what happened (docs/reliability.md, "Recovery timing").
          if (err instanceof LostLockError) {
            logger.warn({ jobId: job.id, err: err.message }, 'batch stopped: this process held its job past WORKER_LOCK_MS without renewing (a stall); another run of the job sends the rest');
          }
          throw err;
        } finally {
          if (counted && paced && zone) await counted.flush(paced, zone);
          const left = paced ? (sending.get(paced) ?? 1) - 1 : 0;
          if (paced && left > 0) sending.set(paced, left);
          else if (paced) sending.delete(paced);
        }
        ended('completed');
        logger.debug({ jobId: job.id, ...r }, 'batch done');
        if (r.finished && paced) {
          logger.info({ campaignId: paced }, 'campaign sent');
          campaignEnded(paced);
        }
        return r;
      },
    },
    [SCHEDULE_QUEUE]: {
      slot: async (job) => {
        if (!deps.slot) throw new UnrecoverableError('this worker runs no schedule');
        return deps.slot(job);
      },
    },
  };

  for (const queue of which) {
    const byName = handlers[queue] as Record<string, (job: Job, lockToken: string) => Promise<unknown>>;
    const worker = new Worker(
      queue,
      async (job, lockToken) => {
        const handler = byName[job.name];
        if (!handler) throw new UnrecoverableError(`no handler for job ${job.name} on queue ${queue}`);
        return handler(job, lockToken ?? '');
      },
      {
        connection: opts.connection(),
        prefix: opts.prefix,
        concurrency: queue === SEND_QUEUE ? (opts.concurrency ?? 8) : 1,
        // Renewed every lockMs / 2 while this process lives. A run that misses its renewals (the
        // process froze past the lock) loses the job to another worker; its next claim then sees
        // the lock gone and it stops (LostLockError), so at most its message in flight repeats.
        lockDuration: opts.lockMs ?? 5_000,
        stalledInterval: opts.stalledCheckMs ?? 2_000,
        // A job stalls when its worker dies (a crash, a deploy). That must never fail the
        // campaign: the claims make re-running it safe.
        maxStalledCount: 1_000,
        name: `${hostname()}:${process.pid}`,
      },
    );
    worker.on('failed', (job, err) => {
      if (!job) return;
      const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      logger[final ? 'error' : 'warn']({ queue, jobId: job.id, attempt: job.attemptsMade, err: err.message }, 'job failed');
      if (final && queue === CAMPAIGN_QUEUE && job.name === 'start') {
        const { campaignId } = job.data as { campaignId: string };
        void campaigns
          .transition(campaignId, ['scheduled', 'sending', 'paused'], 'failed', { error: err.message, finishedAt: new Date().toISOString() })
          .then((r) => r.moved && campaignEnded(campaignId))
          .catch((e: unknown) => logger.error({ campaignId, err: String(e) }, 'could not mark campaign failed'));
      }
    });
    worker.on('error', (err) => logger.error({ queue, err: err.message }, 'worker error'));
    workers.push(worker);
  }

  const idleChecks = new Set<Promise<boolean>>();
  let closing: Promise<void> | undefined;
  return {
    workers,
    idle({ sendQueue, campaignQueue, pollMs = 250 }) {
      const loop = (async (): Promise<boolean> => {
        try {
          while (!stop.signal.aborted) {
            const [a, b] = await Promise.all([
              sendQueue.getJobCounts('active', 'waiting', 'delayed', 'prioritized'),
              // Start jobs delayed to a future time are scheduled campaigns, not work in hand.
              campaignQueue.getJobCounts('active', 'waiting', 'prioritized'),
            ]);
            const busy = Object.values(a).reduce((x, y) => x + y, 0) + Object.values(b).reduce((x, y) => x + y, 0);
            if (busy === 0) return true;
            await sleep(pollMs, undefined, { signal: stop.signal });
          }
        } catch (err) {
          // Closing: a sleep cut short or a count on a connection going away ends the check quietly.
          if (!stop.signal.aborted) throw err;
        }
        return false;
      })();
      idleChecks.add(loop);
      void loop.then(
        () => idleChecks.delete(loop),
        () => idleChecks.delete(loop),
      );
      return loop;
    },
    close() {
      closing ??= (async () => {
        stop.abort();
        clearInterval(paceTimer);
        // The idle check stops before anything it reads through is closed.
        await Promise.allSettled([...idleChecks]);
        const results = await Promise.allSettled(workers.map((w) => w.close()));
        for (const r of results) if (r.status === 'rejected') logger.error({ err: String(r.reason) }, 'worker close failed');
      })();
      return closing;
    },
  };
}

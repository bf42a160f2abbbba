/**
 * The `send-batch` job: a few dozen recipients of one campaign, each sent at most once.
 *
 * For each recipient, in this order: claim the delivery in Redis (which also checks the campaign
 * is still sending), wait for the global rate limit, check the subscriber may still be mailed,
 * render their copy, send, record. The claim comes before the send, so a re-run job cannot send
 * twice; the eligibility check comes last before the send, so someone who unsubscribed while the
 * campaign ran is skipped. From the check to the end of the SMTP transaction the send is noted as
 * in progress, so an unsubscribe that the check just missed waits for it before it answers.
 *
 * Transient failures (4xx, network) leave the delivery queued and make the job fail, so BullMQ
 * retries it with exponential backoff; recipients already final are passed over on the retry.
 * On the job's last attempt they fail for good with the server's last reply.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { Campaign } from '../domain/campaign.schema.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { MailTransport, OutgoingMessage, SendOutcome } from '../mail/transport.ts';
import type { CampaignContent, CampaignStore, ClaimHolder } from '../store/campaign.store.ts';
import type { SendRateLimiter } from '../store/send-rate.limiter.ts';
import type { SendBreaker } from './send-breaker.ts';
import { SendBatchJob } from './queues.ts';
import type { Addressee, RecipientGate } from './recipients.ts';
import type { WorkerObserver } from './worker-observer.ts';

/** One campaign made ready to render copies: built once per campaign per process. */
export interface PreparedCampaign {
  /** One recipient's complete message. */
  render(addressee: Addressee): OutgoingMessage;
}

/** Builds a {@link PreparedCampaign} (message template, signed links) from the frozen content. */
export interface MessagePreparer {
  prepare(campaign: Campaign, content: CampaignContent): PreparedCampaign;
  /**
   * One copy for `to`, subject prefixed `[TEST]`, links inert: `campaign` names the List-Id and
   * Feedback-ID (a draft that is no campaign yet gets a made-up id).
   */
  testCopy(campaign: { id: string; listId: string }, content: CampaignContent, to: string): OutgoingMessage;
}

/** Parks a job until its paused campaign resumes (see CampaignService.resume). */
export interface Parking {
  park(campaignId: string, job: Job, lockToken: string): Promise<void>;
}

export interface SendBatchDeps {
  campaigns: CampaignStore;
  gate: RecipientGate;
  preparer: MessagePreparer;
  transport: MailTransport;
  limiter: SendRateLimiter;
  parking: Parking;
  logger: Logger;
  /** How long a claim protects a delivery from other jobs; longer than one SMTP send can take. */
  leaseMs: number;
  /** Stop the batch after this many transient failures in a row: the server is down, not the recipient. */
  maxConsecutiveTransient?: number;
  /** This process's breaker for the SMTP server (see send-breaker.ts). Default: none. */
  breaker?: SendBreaker;
  /** Aborted when the worker shuts down: the batch stops between messages and goes back to the queue. */
  signal?: AbortSignal;
  /** Told when a campaign pauses for wrong SMTP settings (metrics). Default: nobody. */
  observer?: Pick<WorkerObserver, 'settingsPaused'> | undefined;
}

export interface BatchResult {
  sent: number;
  failed: number;
  skipped: number;
  /** Already final when the job reached them (a retry, or a re-run after a crash). */
  alreadyDone: number;
  /** Left queued for a retry (transient failures, or held by another job). */
  retry: number;
  /** The campaign stopped the batch (cancelled or gone). */
  stopped?: string;
  /** True when this batch recorded the campaign's last delivery. */
  finished: boolean;
}

/** Thrown to make BullMQ retry the batch later; carries the last transient reply. */
export class TransientBatchError extends Error {
  constructor(readonly left: number, reply: string) {
    super(`${left} recipient(s) to retry: ${reply}`);
    this.name = 'TransientBatchError';
  }
}

/** Thrown when a batch's job lock is gone: the run stops before claiming anyone else. */
export class LostLockError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} lost its lock; another run of it finishes the batch`);
    this.name = 'LostLockError';
  }
}

const CACHE_SIZE = 8;

/** Caches prepared campaigns per process, a few at a time (bounded memory). */
export class PreparedCampaigns {
  private readonly cache = new Map<string, Promise<{ campaign: Campaign; prepared: PreparedCampaign }>>();

  constructor(private readonly deps: { campaigns: CampaignStore; preparer: MessagePreparer }) {}

  get(campaignId: string): Promise<{ campaign: Campaign; prepared: PreparedCampaign }> {
    let entry = this.cache.get(campaignId);
    if (!entry) {
      entry = (async () => {
        const campaign = await this.deps.campaigns.get(campaignId);
        const content = await this.deps.campaigns.content(campaignId);
        return { campaign, prepared: this.deps.preparer.prepare(campaign, content) };
      })();
      entry.catch(() => this.cache.delete(campaignId));
      this.cache.set(campaignId, entry);
      if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
    }
    return entry;
  }
}

/** Processes one send-batch job. */
export async function runSendBatch(
  job: Job,
  lockToken: string,
  deps: SendBatchDeps & { prepared: PreparedCampaigns },
): Promise<BatchResult> {
  const data = SendBatchJob.parse(job.data);
  const { campaigns, gate, transport, limiter, logger } = deps;
  let loaded: { campaign: Campaign; prepared: PreparedCampaign };
  try {
    loaded = await deps.prepared.get(data.campaignId);
  } catch (err) {
    if (err instanceof NotFoundError) throw new UnrecoverableError(err.message);
    throw err;
  }
  const { campaign, prepared } = loaded;
  const result: BatchResult = { sent: 0, failed: 0, skipped: 0, alreadyDone: 0, retry: 0, finished: false };
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  let lastTransientReply: string | undefined;
  let consecutiveTransient = 0;
  // BullMQ keeps a job's lock at `<prefix>:<queue>:<job id>:lock`, holding the running job lock token.
  const holder: ClaimHolder = { jobId: job.id ?? 'unknown', lockToken, leaseMs: deps.leaseMs, lockKey: `${job.queueQualifiedName}:${job.id}:lock` };
  const note = (r: { finished: boolean }) => {
    if (r.finished) result.finished = true;
  };
  // Shutting down: what is left goes back to the queue at once, without using up an attempt; the
  // job's re-run takes over its claims (same job id).
  const requeue = async (): Promise<never> => {
    await job.moveToDelayed(Date.now(), lockToken);
    throw new DelayedError();
  };

  for (const [index, subscriberId] of data.subscriberIds.entries()) {
    if (deps.signal?.aborted) await requeue();
    try {
      // Both waits come before the claim: a pause or cancel during a long cool-down or a wait on
      // the hourly cap still stops this message, and no claim's lease runs out while it waits.
      await deps.breaker?.ready(deps.signal);
      await limiter.acquire(deps.signal ? { signal: deps.signal } : {});
    } catch (err) {
      if (!deps.signal?.aborted) throw err;
      await requeue();
    }
    const claim = await campaigns.claim(campaign.id, subscriberId, holder);
    if (claim.kind === 'done' || claim.kind === 'held') {
      // Final already, or a job with an overlapping batch holds it (that job, or its re-run, finishes it).
      result.alreadyDone++;
      continue;
    }
    if (claim.kind === 'lost-lock') {
      // This run was written off (its lock lapsed while Redis or this process was away) and the
      // job may already run again elsewhere; that run finishes the batch. Sending on would race it.
      throw new LostLockError(job.id ?? 'unknown');
    }
    if (claim.kind === 'not-sending') {
      if (claim.status === 'paused') {
        await deps.parking.park(campaign.id, job, lockToken);
        throw new DelayedError();
      }
      result.stopped = claim.status;
      return result;
    }

    // A yes leaves this send noted as in progress until sendOver: an unsubscribe that lands now
    // waits for it instead of answering while it may still start (sends-in-progress.store.ts).
    const eligible = await gate.check(subscriberId, campaign.lists, { campaignId: campaign.id, holdMs: deps.leaseMs });
    if (!eligible.ok) {
      note(await campaigns.record(campaign.id, subscriberId, { state: 'skipped', reason: eligible.reason }));
      result.skipped++;
      continue;
    }

    let message: OutgoingMessage;
    try {
      message = prepared.render(eligible.addressee);
    } catch (err) {
      // An address or link that cannot be written into a header: no retry can fix it, and it must
      // not hold up the rest of the batch.
      await gate.sendOver(subscriberId, campaign.id);
      note(await campaigns.record(campaign.id, subscriberId, { state: 'failed', reply: `not sent: ${(err as Error).message}` }));
      result.failed++;
      continue;
    }
    let outcome: SendOutcome;
    try {
      outcome = await transport.send(message);
    } catch (err) {
      await gate.sendOver(subscriberId, campaign.id);
      throw err;
    }
    // The transaction is over: an unsubscribe waiting on this message may answer now. Awaited
    // after the record, so both go out in one round trip.
    const over = gate.sendOver(subscriberId, campaign.id);
    try {
      if (outcome.status === 'failed' && outcome.setupProblem) {
        // Our settings, not this reader and not a passing outage: retrying cannot help and failing
        // the reader would be wrong. The delivery goes back to the queue and the campaign pauses
        // with the reason, for an operator to fix the setting and resume.
        await campaigns.release(campaign.id, subscriberId, outcome.response);
        await pauseForSettings(campaign.id, outcome.setupProblem, deps);
        await deps.parking.park(campaign.id, job, lockToken);
        throw new DelayedError();
      }
      if (outcome.status === 'sent') {
        consecutiveTransient = 0;
        deps.breaker?.serverUp();
        note(await campaigns.record(campaign.id, subscriberId, { state: 'sent', messageId: outcome.messageId, reply: outcome.response }));
        result.sent++;
      } else if (outcome.kind === 'permanent') {
        consecutiveTransient = 0;
        if (outcome.hardBounce) await gate.markBounced(subscriberId, outcome.response);
        note(await campaigns.record(campaign.id, subscriberId, { state: 'failed', reply: outcome.response }));
        result.failed++;
      } else {
        lastTransientReply = outcome.response;
        if (lastAttempt) {
          note(await campaigns.record(campaign.id, subscriberId, { state: 'failed', reply: outcome.response }));
          result.failed++;
        } else {
          await campaigns.release(campaign.id, subscriberId, outcome.response);
          result.retry++;
        }
        if (++consecutiveTransient >= (deps.maxConsecutiveTransient ?? 5)) {
          deps.breaker?.serverDown();
          logger.warn(
            { campaignId: campaign.id, jobId: job.id, reply: outcome.response, pauseMs: deps.breaker?.waitMs() },
            'server trouble: batch stops early, sending pauses',
          );
          const rest = data.subscriberIds.slice(index + 1);
          if (lastAttempt) {
            const reply = `not attempted after ${consecutiveTransient} transient failures in a row: ${outcome.response}`;
            for (const id of rest) result.failed += await failUnattempted(campaign.id, id, reply, holder, deps, note);
          } else {
            // The rest stay queued; the retry picks them up.
            result.retry += rest.length;
          }
          break;
        }
      }
    } finally {
      await over;
    }
  }

  if (result.retry > 0) {
    throw new TransientBatchError(result.retry, lastTransientReply ?? 'transient failure');
  }
  return result;
}

/**
 * Pauses a sending campaign because of the SMTP settings, with `reason` for `campaign status`, the
 * dashboard and the log. Only the first batch to meet it moves the campaign; the rest find it paused.
 */
async function pauseForSettings(campaignId: string, reason: string, deps: SendBatchDeps): Promise<void> {
  const moved = await deps.campaigns.transition(campaignId, ['sending'], 'paused', { pausedAt: new Date().toISOString(), pauseReason: reason });
  if (!moved.moved) return;
  deps.observer?.settingsPaused();
  deps.logger.error({ campaignId, reason }, `campaign paused: ${reason}; resume it (newsdesk campaign resume ${campaignId}) once the setting is fixed`);
}

/** On a last attempt, marks a recipient the batch gave up on as failed (if it is still ours to mark). */
async function failUnattempted(
  campaignId: string,
  subscriberId: number,
  reply: string,
  holder: ClaimHolder,
  deps: SendBatchDeps,
  note: (r: { finished: boolean }) => void,
): Promise<number> {
  const claim = await deps.campaigns.claim(campaignId, subscriberId, holder);
  if (claim.kind === 'lost-lock') throw new LostLockError(holder.jobId);
  if (claim.kind !== 'claimed') return 0;
  note(await deps.campaigns.record(campaignId, subscriberId, { state: 'failed', reply }));
  return 1;
}

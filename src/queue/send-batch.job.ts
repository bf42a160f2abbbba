/**
 * The `send-batch` job: a few dozen recipients of one campaign, each sent at most once.
 *
 * The batch goes a chunk at a time (docs/architecture.md, "The send path"). For each chunk: wait
 * for the SMTP breaker and the global rate limit (tokens for the whole chunk), then one script
 * (delivery-chunks.ts) claims every delivery in it, checks each subscriber may still be mailed and
 * notes each send as in progress, all in one atomic step; it also checks the campaign is still
 * sending and the job still holds its lock, and records at once who is to be skipped. Then each
 * claimed recipient's copy is rendered and sent, and its outcome handed to a {@link SettleQueue},
 * which records it (and ends its in-progress note) in the next round trip while the loop goes on.
 *
 * The claim comes before the send, so a re-run job cannot send twice. The check and the note are
 * one step, so an unsubscribe either lands before the check (and the recipient is skipped) or
 * finds the note and waits until the message is over. A chunk is as many recipients as this run's
 * connection has lately sent in {@link CHUNK_WINDOW_MS} (2 to {@link CHUNK_SIZE}), and the next one
 * is claimed while this one's last messages are on the wire (two, or as many as a claim takes):
 * a check is at most about that window old when its message starts, and a chunk whose claims grow
 * older than half the lease (a very slow server) is claimed again before it goes on. Each settle
 * answers with the campaign's status and the job's lock, read before every message once all but
 * the last outcome are answered: a pause, a cancel or a lost lock that lands while a message is on
 * the wire lets at most one more start, and what the run had claimed but not sent goes back to
 * the queue, its notes ended.
 *
 * Transient failures (4xx, network) leave the delivery queued and make the job fail, so BullMQ
 * retries it with exponential backoff; recipients already final are passed over on the retry.
 * On the job's last attempt they fail for good with the server's last reply.
 */
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import { boundedMemo } from '../bounded-memo.ts';
import type { Campaign, CampaignStatus } from '../domain/campaign.schema.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { MailTransport, OutgoingMessage, SendOutcome } from '../mail/transport.ts';
import type { CampaignContent, CampaignStore, ClaimHolder } from '../store/campaign.store.ts';
import type { ChunkClaim, ChunkEntry, DeliveryChunks } from '../store/delivery-chunks.ts';
import type { SendRateLimiter } from '../store/send-rate.limiter.ts';
import { SettleQueue } from './settle-queue.ts';
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
  /** Claims, checks and settles recipients a chunk at a time. */
  chunks: Pick<DeliveryChunks, 'claim' | 'settle'>;
  /** Marks hard bounces. */
  gate: Pick<RecipientGate, 'markBounced'>;
  preparer: MessagePreparer;
  transport: MailTransport;
  limiter: SendRateLimiter;
  parking: Parking;
  logger: Logger;
  /** How long a claim protects a delivery from other jobs; longer than one SMTP send can take. */
  leaseMs: number;
  /** Most recipients claimed, checked and noted in one step. Default {@link CHUNK_SIZE}. */
  chunkSize?: number;
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
  /** The campaign and its message prepared once, for every batch of it this process sends. */
  readonly get: (campaignId: string) => Promise<{ campaign: Campaign; prepared: PreparedCampaign }>;

  constructor(deps: { campaigns: CampaignStore; preparer: MessagePreparer }) {
    this.get = boundedMemo(CACHE_SIZE, async (campaignId) => {
      const campaign = await deps.campaigns.get(campaignId);
      const content = await deps.campaigns.content(campaignId);
      return { campaign, prepared: deps.preparer.prepare(campaign, content) };
    });
  }
}

/** A claimed recipient on its way: may be mailed, noted as in progress. */
type Sendable = Extract<ChunkEntry, { kind: 'send' }>;

/** One chunk claim, made ahead of its turn; errors are kept for the moment it is taken up. */
type Claimed = { ok: true; claim: ChunkClaim; asked: number[] } | { ok: false; error: unknown };

/** Why a run stops claiming. */
type Stop = { stop: 'lost-lock' } | { stop: 'aborted' } | { stop: 'error'; error: unknown } | { stop: 'status'; status: CampaignStatus };

/** Default most recipients per chunk: claimed, checked and noted in one script. */
export const CHUNK_SIZE = 20;
/**
 * A chunk is what this run's connection sends in about this long (by its recent sends), so a
 * check is never much older than that when its message starts.
 */
export const CHUNK_WINDOW_MS = 150;
/** The first chunk of a run, before it knows how fast the server answers. */
const FIRST_CHUNK = 4;

/** Processes one send-batch job. */
export async function runSendBatch(
  job: Job,
  lockToken: string,
  deps: SendBatchDeps & { prepared: PreparedCampaigns },
): Promise<BatchResult> {
  const data = SendBatchJob.parse(job.data);
  const { campaigns, chunks, gate, transport, limiter, logger } = deps;
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
  const chunkSize = Math.max(1, deps.chunkSize ?? CHUNK_SIZE);
  // Recent time per message and per chunk claim (ms, moving averages), and the chunk size they give.
  let sendMs = 0;
  let claimMs = 0;
  const nextChunk = () => Math.min(chunkSize, sendMs > 0 ? Math.max(2, Math.round(CHUNK_WINDOW_MS / sendMs)) : FIRST_CHUNK);
  const signalOpts = deps.signal ? { signal: deps.signal } : {};
  let lastTransientReply: string | undefined;
  let consecutiveTransient = 0;
  // BullMQ keeps a job's lock at `<prefix>:<queue>:<job id>:lock`, holding the running job lock token.
  const holder: ClaimHolder = { jobId: job.id ?? 'unknown', lockToken, leaseMs: deps.leaseMs, lockKey: `${job.queueQualifiedName}:${job.id}:lock` };
  const settled = new SettleQueue((items) => chunks.settle(campaign.id, items, holder));

  // Recipients not yet asked for: put-back ones first (a breaker opened mid-chunk), then the batch's.
  const backlog: number[] = [];
  let next = 0;
  const unasked = () => [...backlog, ...data.subscriberIds.slice(next)];
  const anyUnasked = () => backlog.length > 0 || next < data.subscriberIds.length;

  /** Waits for the server and the rate budget, then claims the next chunk. */
  const claimNext = async (): Promise<Claimed> => {
    try {
      // Both waits come before the claim: a pause or cancel during a long cool-down or a wait on
      // the hourly cap still stops these messages, and no claim's lease runs out while it waits.
      await deps.breaker?.ready(deps.signal);
      const want = Math.min(nextChunk(), limiter.maxPerAsk, backlog.length + data.subscriberIds.length - next);
      const granted = await limiter.acquireUpTo(want, signalOpts);
      const asked = backlog.splice(0, granted);
      const more = Math.min(granted - asked.length, data.subscriberIds.length - next);
      asked.push(...data.subscriberIds.slice(next, next + more));
      next += more;
      if (asked.length === 0) return { ok: true, asked, claim: { kind: 'claimed', entries: [], finished: false } };
      const began = performance.now();
      const claim = await chunks.claim({ campaignId: campaign.id, lists: campaign.lists, subscriberIds: asked, holder, holdMs: deps.leaseMs });
      const took = performance.now() - began;
      claimMs = claimMs > 0 ? claimMs * 0.8 + took * 0.2 : took;
      return { ok: true, asked, claim };
    } catch (error) {
      return { ok: false, error };
    }
  };
  /** Counts what a claim settled by itself; returns its recipients to send, or why the run stops. */
  const take = (c: Claimed): Sendable[] | Stop => {
    if (!c.ok) return deps.signal?.aborted ? { stop: 'aborted' } : { stop: 'error', error: c.error };
    if (c.claim.kind === 'lost-lock') return { stop: 'lost-lock' };
    if (c.claim.kind === 'not-sending') return { stop: 'status', status: c.claim.status };
    if (c.claim.finished) result.finished = true;
    const out: Sendable[] = [];
    for (const e of c.claim.entries) {
      if (e.kind === 'send') out.push(e);
      else if (e.kind === 'skipped') result.skipped++;
      else if (e.kind === 'failed') result.failed++;
      // Final already, or a job with an overlapping batch holds it (that job, or its re-run, finishes it).
      else result.alreadyDone++;
    }
    return out;
  };

  let ahead: Promise<Claimed> | undefined = claimNext();
  /** Claimed recipients this run will not send after all go back to the queue, their notes ended. */
  const putBack = (entries: readonly Sendable[]) => {
    for (const e of entries) settled.add({ subscriberId: e.subscriberId, outcome: { state: 'unsent' } });
  };
  /**
   * Leaves the run before `rest` is sent: the chunk claimed ahead is taken up too, so nothing stays
   * claimed; on a last attempt (`failWith`) the claimed ones fail, otherwise they go back.
   */
  const leave = async (rest: readonly Sendable[], failWith?: string): Promise<{ claimed: number; unclaimed: number[] }> => {
    const all = [...rest];
    if (ahead) {
      const taken = take(await ahead);
      ahead = undefined;
      if (Array.isArray(taken)) all.push(...taken);
    }
    if (failWith !== undefined) {
      for (const e of all) settled.add({ subscriberId: e.subscriberId, outcome: { state: 'failed', reply: failWith } });
      result.failed += all.length;
    } else {
      putBack(all);
    }
    await settled.drain();
    if (settled.finished) result.finished = true;
    return { claimed: all.length, unclaimed: unasked() };
  };
  // Shutting down: what is left goes back to the queue at once, without using up an attempt; the
  // job's re-run takes it over (same job id).
  const requeue = async (rest: readonly Sendable[]): Promise<never> => {
    await leave(rest);
    await job.moveToDelayed(Date.now(), lockToken);
    throw new DelayedError();
  };
  /** The campaign stopped being `sending` (seen by a claim or a settle). */
  const stopFor = async (status: CampaignStatus | 'missing', rest: readonly Sendable[]): Promise<BatchResult> => {
    await leave(rest);
    if (status === 'paused') {
      await deps.parking.park(campaign.id, job, lockToken);
      throw new DelayedError();
    }
    result.stopped = status === 'missing' ? 'cancelled' : status;
    return result;
  };

  chunksLoop: while (ahead) {
    const taken = take(await ahead);
    ahead = undefined;
    if (!Array.isArray(taken)) {
      if (taken.stop === 'aborted') await requeue([]);
      if (taken.stop === 'status') return stopFor(taken.status, []);
      await leave([]);
      if (taken.stop === 'error') throw taken.error;
      // This run was written off (its lock lapsed while Redis or this process was away) and the
      // job may already run again elsewhere; that run finishes the batch. Sending on would race it.
      throw new LostLockError(job.id ?? 'unknown');
    }
    let queue = taken;
    let claimedAt = Date.now();
    for (let i = 0; i < queue.length; i++) {
      const rest = () => queue.slice(i);
      // The next chunk is claimed while this one's last messages are on the wire (the last two, or
      // more when a claim takes longer than they do): claims run only a chunk ahead of the SMTP
      // connection, so a note never stands long before its message. With a send rate set, not at
      // all: a chunk's tokens are then spent right before its messages.
      const left = queue.length - i;
      if (!ahead && limiter.unlimited && anyUnasked() && (left <= 2 || left * sendMs <= 2 * claimMs)) ahead = claimNext();
      if (deps.signal?.aborted) await requeue(rest());
      await settled.caughtUp();
      // A record that did not reach Redis: leave (the drain in it rethrows the error).
      if (settled.failed) await leave(rest());
      if (!settled.lockHeld) {
        await leave(rest());
        throw new LostLockError(job.id ?? 'unknown');
      }
      if (settled.status !== 'sending') return stopFor(settled.status, rest());
      if ((deps.breaker?.waitMs() ?? 0) > 0) {
        // Another batch of this process found the server down: these wait for it unclaimed.
        const back = rest();
        putBack(back);
        // Settled before they can be claimed again, so the put-back cannot undo the new claim.
        await settled.drain();
        backlog.unshift(...back.map((e) => e.subscriberId));
        if (!ahead) ahead = claimNext();
        continue chunksLoop;
      }
      if (Date.now() - claimedAt > deps.leaseMs / 2) {
        // A slow server: claim the rest of the chunk again (this job's claims are its own to take
        // over) so no lease or in-progress note runs out before its message goes.
        const again = take({ ok: true, asked: [], claim: await chunks.claim({ campaignId: campaign.id, lists: campaign.lists, subscriberIds: rest().map((e) => e.subscriberId), holder, holdMs: deps.leaseMs }) });
        if (!Array.isArray(again)) {
          if (again.stop === 'status') return stopFor(again.status, []);
          await leave([]);
          throw new LostLockError(job.id ?? 'unknown');
        }
        queue = again;
        i = -1;
        claimedAt = Date.now();
        continue;
      }

      const entry = queue[i] as Sendable;
      const subscriberId = entry.subscriberId;
      let message: OutgoingMessage;
      try {
        message = prepared.render(entry);
      } catch (err) {
        // An address or link that cannot be written into a header: no retry can fix it, and it must
        // not hold up the rest of the batch.
        settled.add({ subscriberId, outcome: { state: 'failed', reply: `not sent: ${(err as Error).message}` } });
        result.failed++;
        continue;
      }
      let outcome: SendOutcome;
      const began = performance.now();
      try {
        outcome = await transport.send(message);
      } catch (err) {
        await leave(rest());
        throw err;
      }
      const took = performance.now() - began;
      sendMs = sendMs > 0 ? sendMs * 0.8 + took * 0.2 : took;
      // The transaction is over: its record (and the end of its in-progress note, so an
      // unsubscribe waiting on this message may answer) goes to Redis without holding up the next.
      const at = Date.now();
      if (outcome.status === 'failed' && outcome.setupProblem) {
        // Our settings, not this reader and not a passing outage: retrying cannot help and failing
        // the reader would be wrong. The delivery goes back to the queue and the campaign pauses
        // with the reason, for an operator to fix the setting and resume.
        settled.add({ subscriberId, outcome: { state: 'retry', reply: outcome.response } });
        await leave(queue.slice(i + 1));
        await pauseForSettings(campaign.id, outcome.setupProblem, deps);
        await deps.parking.park(campaign.id, job, lockToken);
        throw new DelayedError();
      }
      if (outcome.status === 'sent') {
        consecutiveTransient = 0;
        deps.breaker?.serverUp();
        settled.add({ subscriberId, at, outcome: { state: 'sent', messageId: outcome.messageId, reply: outcome.response } });
        result.sent++;
      } else if (outcome.kind === 'permanent') {
        consecutiveTransient = 0;
        if (outcome.hardBounce) await gate.markBounced(subscriberId, outcome.response);
        settled.add({ subscriberId, at, outcome: { state: 'failed', reply: outcome.response } });
        result.failed++;
      } else {
        lastTransientReply = outcome.response;
        if (lastAttempt) {
          settled.add({ subscriberId, at, outcome: { state: 'failed', reply: outcome.response } });
          result.failed++;
        } else {
          settled.add({ subscriberId, outcome: { state: 'retry', reply: outcome.response } });
          result.retry++;
        }
        if (++consecutiveTransient >= (deps.maxConsecutiveTransient ?? 5)) {
          deps.breaker?.serverDown();
          logger.warn(
            { campaignId: campaign.id, jobId: job.id, reply: outcome.response, pauseMs: deps.breaker?.waitMs() },
            'server trouble: batch stops early, sending pauses',
          );
          if (lastAttempt) {
            const reply = `not attempted after ${consecutiveTransient} transient failures in a row: ${outcome.response}`;
            const { unclaimed } = await leave(queue.slice(i + 1), reply);
            for (const id of unclaimed) result.failed += await failUnattempted(campaign.id, id, reply, holder, deps, (r) => r.finished && (result.finished = true));
          } else {
            // The rest go back to the queue; the retry picks them up.
            const { claimed, unclaimed } = await leave(queue.slice(i + 1));
            result.retry += claimed + unclaimed.length;
          }
          break chunksLoop;
        }
      }
    }
    if (!ahead && anyUnasked()) ahead = claimNext();
  }

  await settled.drain();
  if (settled.finished) result.finished = true;
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

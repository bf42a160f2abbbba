/**
 * What a running worker process keeps up beside its jobs: a heartbeat in Redis (so status pages
 * know whether anybody is sending), and the send limits stored in Redis (so every worker obeys
 * one rate, and a `newsdesk limits set` reaches all of them within seconds).
 */
import type { Logger } from 'pino';
import type { SendLimits, SendLimitsStore } from '../store/send-limits.store.ts';
import type { SendRateLimiter } from '../store/send-rate.limiter.ts';
import { WORKER_BEAT_MS, type WorkerHeartbeats } from '../store/worker-heartbeat.store.ts';

export interface WorkerPresenceOptions {
  workerId: string;
  heartbeats: WorkerHeartbeats;
  limits: SendLimitsStore;
  limiter: SendRateLimiter;
  /** SEND_RATE_PER_SECOND / SEND_RATE_PER_HOUR of this process: they seed Redis when nothing is stored. */
  envLimits: SendLimits;
  logger: Logger;
  /** Default {@link WORKER_BEAT_MS}. */
  beatMs?: number;
  /** How often the stored limits are read again. Default 2 s. */
  limitsPollMs?: number;
}

export interface WorkerPresence {
  /** Stops beating and marks the worker gone. Safe to call twice. */
  stop(): Promise<void>;
}

const describe = (l: SendLimits) =>
  `${l.perSecond > 0 ? `${l.perSecond}/s` : 'no per-second limit'}, ${l.perHour > 0 ? `${l.perHour}/h` : 'no hourly limit'}`;

const same = (a: SendLimits, b: SendLimits) => a.perSecond === b.perSecond && a.perHour === b.perHour;

/**
 * Decides the limits a worker starts with: the stored ones; the environment's seed them only
 * when none are stored (and only when the environment sets a limit at all).
 */
export async function resolveStartLimits(store: SendLimitsStore, env: SendLimits): Promise<{ limits: SendLimits; disagrees: boolean }> {
  const envSetsLimit = env.perSecond > 0 || env.perHour > 0;
  const stored = envSetsLimit ? await store.seed(env) : await store.get();
  if (!stored) return { limits: env, disagrees: false };
  return { limits: stored, disagrees: envSetsLimit && !same(stored, env) };
}

/** Beats at once, applies the stored limits, then keeps both up to date until `stop()`. */
export async function startWorkerPresence(opts: WorkerPresenceOptions): Promise<WorkerPresence> {
  const { heartbeats, limits: store, limiter, logger, workerId } = opts;
  await heartbeats.beat(workerId);
  const start = await resolveStartLimits(store, opts.envLimits);
  if (start.disagrees) {
    logger.warn(
      { env: opts.envLimits, stored: start.limits },
      `SEND_RATE_PER_SECOND/SEND_RATE_PER_HOUR here (${describe(opts.envLimits)}) differ from the limits stored in Redis (${describe(start.limits)}); obeying Redis (change it with newsdesk limits set)`,
    );
  }
  limiter.setRate(start.limits);
  logger.info({ limits: start.limits }, `send limits: ${describe(start.limits)}`);

  let current = start.limits;
  const beat = setInterval(() => {
    heartbeats.beat(workerId).catch((err: unknown) => logger.warn({ err: String(err) }, 'worker heartbeat failed'));
  }, opts.beatMs ?? WORKER_BEAT_MS);
  const poll = setInterval(() => {
    store
      .get()
      .then((stored) => {
        if (!stored || same(stored, current)) return;
        logger.info({ from: current, to: stored }, `send limits changed: ${describe(stored)}`);
        current = stored;
        limiter.setRate(stored);
      })
      .catch((err: unknown) => logger.warn({ err: String(err) }, 'could not read the send limits'));
  }, opts.limitsPollMs ?? 2_000);
  beat.unref();
  poll.unref();

  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        clearInterval(beat);
        clearInterval(poll);
        try {
          await heartbeats.leave(workerId);
        } catch (err) {
          logger.warn({ err: String(err) }, 'could not mark the worker gone');
        }
      })();
      return stopping;
    },
  };
}

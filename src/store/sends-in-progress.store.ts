/**
 * Sends in progress: which campaigns are, right now, past a subscriber's eligibility check and
 * on their way to the SMTP server. It closes the one gap the check leaves (docs/architecture.md, invariant 3):
 * a send that read "still subscribed" an instant before an unsubscribe was written goes out
 * anyway, possibly after the unsubscribe's answer. With these notes the unsubscribe waits for it,
 * so "you're unsubscribed" is true when it is said: no message to that address starts later.
 *
 * Why it holds: the worker writes its note *before* the check reads the subscriber, in the same
 * round trip on the same connection (Redis runs one connection's commands in order); the
 * unsubscribe reads the notes *after* its own write. So if the check missed the unsubscribe, the
 * note was already there when the unsubscribe looked, and the answer waits until the send ends.
 * The send path writes its notes and runs its checks in one script per chunk, and ends them in
 * its settle script (delivery-chunks.ts): the same notes, atomic with the check. This store's
 * `begin`/`end` serve the one-recipient check (`RecipientGate.check`).
 *
 * One hash per subscriber, `campaign id → until (ms)`, with a TTL: a worker that dies mid-send
 * leaves a note that is ignored once its time is up and deleted with the key.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Keys, RedisClient } from './redis.ts';

export interface SendsInProgressOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export interface SettleOptions {
  /** Longest wait, in ms; a send still noted then is given up on. Default 10,000. */
  timeoutMs?: number;
  /** How often to look again, in ms. Default 10. */
  pollMs?: number;
}

export interface SendsInProgress {
  /**
   * Notes that `campaignId` is about to send to the subscriber; the note lapses after `holdMs`
   * unless {@link end} comes first. Its command is written before the returned promise is
   * awaited, so a read issued right after this call on the same connection runs after it.
   */
  begin(subscriberId: number, campaignId: string, holdMs: number): Promise<void>;
  /** The send is over (sent, refused, or not attempted after all). */
  end(subscriberId: number, campaignId: string): Promise<void>;
  /** Campaigns with a send to the subscriber in progress now. */
  of(subscriberId: number): Promise<string[]>;
  /**
   * Resolves once no send to the subscriber is in progress, or at the timeout. Returns the
   * campaigns still sending then (empty when everything settled).
   */
  settle(subscriberId: number, opts?: SettleOptions): Promise<string[]>;
}

/** Creates the store. */
export function createSendsInProgress(options: SendsInProgressOptions): SendsInProgress {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;

  const of = async (subscriberId: number): Promise<string[]> => {
    const notes = await redis.hgetall(keys.sendsInProgress(subscriberId));
    const t = now();
    return Object.entries(notes)
      .filter(([, until]) => Number(until) > t)
      .map(([campaignId]) => campaignId);
  };

  return {
    begin(subscriberId, campaignId, holdMs) {
      const key = keys.sendsInProgress(subscriberId);
      // Two plain commands, not MULTI or a script: both are written at once, in call order, and a
      // script's NOSCRIPT retry could land after the reads this note must precede.
      return Promise.all([redis.hset(key, campaignId, String(now() + holdMs)), redis.pexpire(key, holdMs)]).then(() => undefined);
    },
    async end(subscriberId, campaignId) {
      await redis.hdel(keys.sendsInProgress(subscriberId), campaignId);
    },
    of,
    async settle(subscriberId, opts = {}) {
      const deadline = now() + (opts.timeoutMs ?? 10_000);
      for (;;) {
        const open = await of(subscriberId);
        if (!open.length || now() >= deadline) return open;
        await sleep(opts.pollMs ?? 10);
      }
    },
  };
}

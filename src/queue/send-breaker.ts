/**
 * One circuit breaker per worker process for the SMTP server it sends to.
 *
 * Each send-batch job retries with its own exponential backoff, which is right for one batch but
 * wrong for a dead server: a hundred queued batches would each find out for themselves, a few
 * times a second between them. When a batch gives up early because the server keeps failing
 * (see `maxConsecutiveTransient`), the breaker opens: every batch of this process waits before
 * its next message, holding no attempt and burning no CPU, for a cool-down that doubles while
 * the trouble lasts (1 s, 2 s, … up to 30 s) and resets at the first message that goes through.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** First cool-down after the server is found down. */
export const BREAKER_MIN_MS = 1_000;
/** Longest cool-down: how long a worker may take to notice that the server is back. */
export const BREAKER_MAX_MS = 30_000;

export interface SendBreakerOptions {
  /** Default {@link BREAKER_MIN_MS}. */
  minMs?: number;
  /** Default {@link BREAKER_MAX_MS}. */
  maxMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Told each time the breaker opens, with the cool-down (metrics). Default: nobody. */
  onOpen?: (cooldownMs: number) => void;
}

export class SendBreaker {
  private openUntil = 0;
  private cooldown = 0;
  private trips = 0;
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly now: () => number;
  private readonly onOpen: ((cooldownMs: number) => void) | undefined;

  constructor(opts: SendBreakerOptions = {}) {
    this.onOpen = opts.onOpen;
    this.minMs = opts.minMs ?? BREAKER_MIN_MS;
    this.maxMs = opts.maxMs ?? BREAKER_MAX_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Times the breaker opened since the process started (for logs and tests). */
  get opened(): number {
    return this.trips;
  }

  /** Milliseconds until sending may go on; 0 when the breaker is closed. */
  waitMs(): number {
    return Math.max(0, this.openUntil - this.now());
  }

  /** Resolves when sending may go on. `signal` aborts the wait (the worker shutting down). */
  async ready(signal?: AbortSignal): Promise<void> {
    for (let wait = this.waitMs(); wait > 0; wait = this.waitMs()) {
      await sleep(wait, undefined, signal ? { signal } : {});
    }
  }

  /**
   * A batch found the server down. Opens the breaker, doubling the cool-down, unless it is open
   * already: the batches that failed in the same round count as one finding.
   */
  serverDown(): void {
    if (this.waitMs() > 0) return;
    this.cooldown = Math.min(this.maxMs, this.cooldown ? this.cooldown * 2 : this.minMs);
    this.openUntil = this.now() + this.cooldown;
    this.trips++;
    this.onOpen?.(this.cooldown);
  }

  /** A message went through: the server is back. */
  serverUp(): void {
    this.cooldown = 0;
    this.openUntil = 0;
  }
}

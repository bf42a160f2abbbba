/**
 * A send-batch run's outcomes on their way to Redis, a group at a time (docs/architecture.md,
 * "The send path"). Each outcome is handed over the moment its SMTP transaction ends and goes out
 * at once when nothing else is on its way; outcomes that arrive while a settle is in flight go
 * together in the next one. So the send loop never waits for a record before its next message,
 * a record is never held back longer than one round trip (what a crash can repeat stays the
 * messages whose record had not reached Redis), and a busy run sends one script for many records.
 *
 * Every settle answers with the campaign's status and whether the job still holds its lock. Before
 * each message the send loop waits until every outcome but the last one handed over is answered
 * (`caughtUp`), then reads both: a pause, a cancel or a lost lock that lands while a message is on
 * the wire is seen by that message's own settle, so at most one more message starts after it,
 * however slow Redis is. On a healthy run the answer is back long before the next message ends,
 * so the wait costs nothing.
 */
import type { CampaignStatus } from '../domain/campaign.schema.ts';
import type { SettleResult, Settlement } from '../store/delivery-chunks.ts';

export class SettleQueue {
  private pending: Settlement[] = [];
  private inFlight: Promise<void> | undefined;
  private failure: { error: unknown } | undefined;
  /** Outcomes handed over, and how many of them a settle has answered (or failed on). */
  private handed = 0;
  private answered = 0;
  /** A settle recorded the campaign's last delivery. */
  finished = false;
  /** The campaign's status as the last settle found it. */
  status: CampaignStatus | 'missing' = 'sending';
  /** False once a settle found the job's lock gone. */
  lockHeld = true;

  constructor(private readonly settle: (items: Settlement[]) => Promise<SettleResult>) {}

  /** Hands over one outcome; it goes to Redis now, or with the next settle if one is in flight. */
  add(item: Settlement): void {
    this.pending.push(item);
    this.handed++;
    this.kick();
  }

  /**
   * Resolves once every outcome handed over, except possibly the last, has been answered, so the
   * status and lock read next are no older than the message before last.
   */
  async caughtUp(): Promise<void> {
    while (this.handed - this.answered > 1 && this.inFlight && !this.failure) await this.inFlight;
  }

  /** A settle failed (its outcomes are not recorded): the run must stop. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** Resolves once everything handed over is settled; rejects with the first settle's error. */
  async drain(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    if (this.failure) throw this.failure.error;
  }

  private kick(): void {
    if (this.inFlight || this.failure || this.pending.length === 0) return;
    const items = this.pending;
    this.pending = [];
    this.inFlight = this.settle(items)
      .finally(() => {
        this.answered += items.length;
      })
      .then(
        (r) => {
          if (r.finished) this.finished = true;
          this.status = r.status;
          if (!r.lockHeld) this.lockHeld = false;
        },
        (error: unknown) => {
          this.failure = { error };
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        this.kick();
      });
  }
}

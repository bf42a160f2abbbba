/**
 * The SettleQueue's grouping: an outcome goes at once when nothing is in flight; those handed over
 * meanwhile go together in the next settle; answers (status, lock, finish) are kept; caughtUp
 * holds the send loop until only the last outcome is unanswered; a failed settle stops the queue
 * and drain rethrows it.
 */
import { describe, expect, it } from 'vitest';
import { SettleQueue } from '../../../src/queue/settle-queue.ts';
import type { SettleResult, Settlement } from '../../../src/store/delivery-chunks.ts';

/** A settle function whose calls wait until the test answers them. */
function controlled() {
  const calls: Array<{ ids: number[]; answer: (r: SettleResult) => void; fail: (e: Error) => void }> = [];
  const settle = (items: Settlement[]) =>
    new Promise<SettleResult>((answer, fail) => calls.push({ ids: items.map((i) => i.subscriberId), answer, fail }));
  return { calls, settle };
}

const sent = (subscriberId: number): Settlement => ({ subscriberId, outcome: { state: 'sent', messageId: `<${subscriberId}@x>`, reply: '250' } });
const tick = () => new Promise((r) => setImmediate(r));

describe('SettleQueue', () => {
  it('sends the first outcome at once and groups those that arrive while it is in flight', async () => {
    const { calls, settle } = controlled();
    const q = new SettleQueue(settle);
    q.add(sent(1));
    q.add(sent(2));
    q.add(sent(3));
    expect(calls.map((c) => c.ids)).toEqual([[1]]);
    calls[0]?.answer({ finished: false, status: 'sending', lockHeld: true });
    await tick();
    expect(calls.map((c) => c.ids)).toEqual([[1], [2, 3]]);
    // The answers: a pause, a lost lock, and the finish, each kept once seen.
    calls[1]?.answer({ finished: true, status: 'paused', lockHeld: false });
    await q.drain();
    expect([q.finished, q.status, q.lockHeld]).toEqual([true, 'paused', false]);
    q.add(sent(4));
    calls[2]?.answer({ finished: false, status: 'sending', lockHeld: true });
    await q.drain();
    expect([q.finished, q.status, q.lockHeld]).toEqual([true, 'sending', false]);
  });

  it('stops at a failed settle: nothing more is sent and drain rethrows the error', async () => {
    const { calls, settle } = controlled();
    const q = new SettleQueue(settle);
    q.add(sent(1));
    q.add(sent(2));
    calls[0]?.fail(new Error('redis went away'));
    await expect(q.drain()).rejects.toThrow('redis went away');
    expect(q.failed).toBe(true);
    q.add(sent(3));
    await tick();
    expect(calls).toHaveLength(1);
    await expect(q.drain()).rejects.toThrow('redis went away');
  });

  it('caughtUp returns at once with one outcome unanswered, and waits while two or more are', async () => {
    const { calls, settle } = controlled();
    const q = new SettleQueue(settle);
    let caught = false;
    const watch = () => {
      caught = false;
      void q.caughtUp().then(() => {
        caught = true;
      });
    };
    await q.caughtUp();
    q.add(sent(1));
    watch();
    await tick();
    expect(caught).toBe(true);
    // Message 2 ended while 1's settle is still out: the loop must see 1's answer before message 3.
    q.add(sent(2));
    watch();
    await tick();
    expect(caught).toBe(false);
    calls[0]?.answer({ finished: false, status: 'paused', lockHeld: true });
    await tick();
    // 1 is answered (the pause is seen); 2 is now in flight alone, which is allowed.
    expect(caught).toBe(true);
    expect(q.status).toBe('paused');
    expect(calls.map((c) => c.ids)).toEqual([[1], [2]]);
  });

  it('caughtUp does not hang on a failed settle: the loop reads the failure next', async () => {
    const { calls, settle } = controlled();
    const q = new SettleQueue(settle);
    q.add(sent(1));
    q.add(sent(2));
    const waiting = q.caughtUp();
    calls[0]?.fail(new Error('redis went away'));
    await waiting;
    expect(q.failed).toBe(true);
  });
});

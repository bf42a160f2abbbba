import { describe, expect, it } from 'vitest';
import { SendBreaker } from '../../src/queue/send-breaker.ts';

describe('SendBreaker', () => {
  it('is closed until a batch finds the server down, then waits a cool-down that doubles up to the cap', () => {
    let now = 1_000_000;
    const b = new SendBreaker({ minMs: 1_000, maxMs: 4_000, now: () => now });
    expect(b.waitMs()).toBe(0);
    b.serverDown();
    expect(b.waitMs()).toBe(1_000);
    // Other batches failing in the same round do not stretch it.
    b.serverDown();
    expect(b.waitMs()).toBe(1_000);
    expect(b.opened).toBe(1);
    now += 1_000;
    b.serverDown();
    expect(b.waitMs()).toBe(2_000);
    now += 2_000;
    b.serverDown();
    now += 4_000;
    b.serverDown();
    expect(b.waitMs()).toBe(4_000);
    expect(b.opened).toBe(4);
  });

  it('closes at the first message that goes through', () => {
    let now = 0;
    const b = new SendBreaker({ minMs: 1_000, now: () => now });
    b.serverDown();
    now += 1_000;
    b.serverDown();
    b.serverUp();
    expect(b.waitMs()).toBe(0);
    b.serverDown();
    expect(b.waitMs()).toBe(1_000);
  });

  it('waits while open, and a shutdown aborts the wait', async () => {
    const b = new SendBreaker({ minMs: 60_000 });
    b.serverDown();
    const stop = new AbortController();
    const waiting = b.ready(stop.signal);
    stop.abort();
    await expect(waiting).rejects.toThrow(/abort/i);
    await expect(new SendBreaker().ready()).resolves.toBeUndefined();
  });
});

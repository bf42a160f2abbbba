import { describe, expect, it } from 'vitest';
import { firingOf, intendedTimeOf } from '../../../src/queue/schedule-runner.ts';

describe('a slot job', () => {
  it("is for the time its job scheduler meant (the id's ms), not when a worker took it", () => {
    const job = { id: 'repeat:daily:1773050400000', timestamp: 1773000000000, opts: { delay: 5 }, data: { newsletter: 'daily' }, attemptsMade: 0 };
    expect(intendedTimeOf(job).toISOString()).toBe('2026-03-09T10:00:00.000Z');
    expect(firingOf({ ...job, opts: { attempts: 5 } })).toEqual({ newsletter: 'daily', slotAt: new Date(1773050400000), jobId: job.id, finalAttempt: false });
    expect(firingOf({ ...job, opts: { attempts: 5 }, attemptsMade: 4 }).finalAttempt).toBe(true);
    // Not made by a scheduler: its timestamp plus delay.
    expect(intendedTimeOf({ id: 'manual', timestamp: 1000, opts: { delay: 500 } }).getTime()).toBe(1500);
    expect(() => firingOf({ ...job, data: { newsletter: '' } })).toThrow();
  });
});

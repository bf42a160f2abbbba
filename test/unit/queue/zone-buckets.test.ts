import { describe, expect, it } from 'vitest';
import { bucketState, localSendTime, zoneBatches } from '../../../src/queue/zone-buckets.ts';

const campaign = { id: 'daily-2026-03-09-abc123', editionDate: '2026-03-09', localSend: { time: '06:00', zone: 'America/New_York' } };

describe('zone buckets', () => {
  it("each reader's 06:00 on the edition date in their zone, else the schedule's; past times go at once", () => {
    const now = new Date('2026-03-09T10:00:00Z'); // 06:00 New York (summer time since the 8th)
    const ids = [1, 2, 3, 4, 5, 6];
    const zones = ['America/Los_Angeles', undefined, 'Asia/Kolkata', 'Not/AZone', 'America/Los_Angeles', 'Europe/London'];
    const { batches, buckets } = zoneBatches(campaign, ids, zones, 1, now);
    expect(buckets).toEqual([
      { zone: 'America/Los_Angeles', at: '2026-03-09T13:00:00.000Z', readers: 2 },
      { zone: 'America/New_York', at: '2026-03-09T10:00:00.000Z', readers: 2 },
      { zone: 'Asia/Kolkata', at: '2026-03-09T00:30:00.000Z', readers: 1 },
      { zone: 'Europe/London', at: '2026-03-09T06:00:00.000Z', readers: 1 },
    ]);
    const delayOf = new Map(batches.map((b) => [b.data.subscriberIds[0], b.delay]));
    expect(Object.fromEntries(delayOf)).toEqual({ 1: 3 * 3_600_000, 5: 3 * 3_600_000, 2: 0, 4: 0, 3: 0, 6: 0 });
    expect(new Set(batches.map((b) => b.jobId)).size).toBe(6);
    // The same page makes the same jobs (a fan-out re-run after a crash adds nothing).
    expect(zoneBatches(campaign, ids, zones, 1, now).batches.map((b) => b.jobId)).toEqual(batches.map((b) => b.jobId));
  });

  it('batches hold readers of one zone only, at most batchSize', () => {
    const ids = Array.from({ length: 7 }, (_, i) => i + 1);
    const zones = ids.map((id) => (id % 2 ? 'Asia/Tokyo' : undefined));
    const { batches } = zoneBatches(campaign, ids, zones, 3, new Date('2026-03-08T00:00:00Z'));
    expect(batches.map((b) => b.data.subscriberIds)).toEqual([[2, 4, 6], [1, 3, 5], [7]]);
    // Each batch names its bucket, for the bucket's sent count (zone-progress.ts).
    expect(batches.map((b) => b.data.zone)).toEqual(['America/New_York', 'Asia/Tokyo', 'Asia/Tokyo']);
  });

  it('a local time the clocks skip goes an hour later; a bucket waits, is due, or follows the campaign', () => {
    expect(localSendTime('2026-03-08', '02:30', 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
    const b = { zone: 'Asia/Kolkata', at: '2026-03-09T00:30:00.000Z', readers: 3 };
    expect(bucketState(b, 'sending', new Date('2026-03-09T00:00:00Z'))).toBe('waiting');
    expect(bucketState(b, 'sending', new Date('2026-03-09T00:31:00Z'))).toBe('due');
    expect(bucketState(b, 'paused', new Date('2026-03-09T00:00:00Z'))).toBe('paused');
  });
});

/**
 * The fan-out over real Redis and a real BullMQ send queue: the first page is one batch (sending
 * starts before the rest of the list is read), pages then grow; and a fan-out that dies after
 * reading and registering ahead of its cursor, run again, queues every batch exactly once and
 * counts every recipient once.
 */
import { Queue } from 'bullmq';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Campaign } from '../../src/domain/campaign.schema.ts';
import { queueBatchSink } from '../../src/queue/batch-sink.ts';
import { type BatchSink, runFanout } from '../../src/queue/fanout.job.ts';
import { SEND_QUEUE, type SendBatchJob } from '../../src/queue/queues.ts';
import { createRecipients } from '../../src/queue/recipients.adapter.ts';
import { CampaignStore } from '../../src/store/campaign.store.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { campaignFixture } from '../support/store-fixtures.ts';

let t: TestRedis;
let queue: Queue<SendBatchJob>;
let campaigns: CampaignStore;
beforeEach(async () => {
  t = await openTestRedis();
  queue = new Queue<SendBatchJob>(SEND_QUEUE, { connection: t.redis, prefix: t.keys.queuePrefix });
  campaigns = new CampaignStore({ redis: t.redis, keys: t.keys });
});
afterEach(async () => {
  await queue.close();
  await t.cleanup();
});

/** `n` members of list `daily` (ids 1 … n, written as the bitmap the fan-out reads) and a scheduled campaign to it. */
async function setUp(n: number): Promise<Campaign> {
  await t.stores.lists.create({ id: 'daily', name: 'daily' });
  const pipeline = t.redis.pipeline();
  for (let id = 1; id <= n; id++) pipeline.setbit(t.keys.listMembers('daily'), id, 1);
  pipeline.set(t.keys.subscriberSeq, String(n));
  await pipeline.exec();
  const { compiled, newsletter } = await compiledExampleEdition();
  const c = campaignFixture('daily-2025-02-13-fan001', { status: 'scheduled' });
  await campaigns.create(c, { compiled, newsletter });
  return c;
}

const deps = (sink: BatchSink) => ({ campaigns, members: createRecipients(t.stores), sink, logger: pino({ level: 'silent' }), batchSize: 10, batchesPerPage: 20 });

it('queues one batch first, then pages of ten and of batchesPerPage batches; every recipient once', async () => {
  const c = await setUp(3_456);
  const real = queueBatchSink(queue, { attempts: 3, backoffMs: 100 });
  const calls: number[] = [];
  const r = await runFanout(c.id, deps({ addBatches: async (b) => (calls.push(b.length), real.addBatches(b)) }));
  expect(r).toEqual({ kind: 'done', recipients: 3_456, finished: false });
  // 10 + 100 + 200 × 16 = 3,310; then 146 recipients in 15 batches.
  expect(calls).toEqual([1, 10, ...Array(16).fill(20), 15]);
  expect(await queue.getJobCountByTypes('waiting')).toBe(346);
  const c2 = await campaigns.get(c.id);
  expect(c2.counts.total).toBe(3_456);
  expect(c2.cursor).toBe(3_456);
  expect(c2.fanoutDone).toBe(true);
});

it('run again after dying with a page registered ahead of its cursor: every batch queued once, every recipient counted once', async () => {
  const c = await setUp(1_000);
  const real = queueBatchSink(queue, { attempts: 3, backoffMs: 100 });
  let calls = 0;
  // The third page's jobs never get added: the process dies while the fourth page is read and registered.
  const dying: BatchSink = {
    async addBatches(b) {
      if (++calls === 3) throw new Error('killed');
      await real.addBatches(b);
    },
  };
  await expect(runFanout(c.id, deps(dying))).rejects.toThrow('killed');
  const mid = await campaigns.get(c.id);
  expect(mid.cursor).toBe(110);
  expect(mid.fanoutDone).toBe(false);
  expect(await queue.getJobCountByTypes('waiting')).toBe(11);

  const r = await runFanout(c.id, deps(real));
  expect(r).toMatchObject({ kind: 'done', recipients: 1_000 });
  const jobs = await queue.getJobs(['waiting'], 0, -1);
  expect(jobs).toHaveLength(100);
  const ids = jobs.flatMap((j) => j.data.subscriberIds).sort((a, b) => a - b);
  expect(ids).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
  expect((await campaigns.get(c.id)).counts.total).toBe(1_000);
});

it('stops walking at a cancel, registering nothing after it', async () => {
  const c = await setUp(2_000);
  const real = queueBatchSink(queue, { attempts: 3, backoffMs: 100 });
  let calls = 0;
  const r = await runFanout(
    c.id,
    deps({
      async addBatches(b) {
        await real.addBatches(b);
        if (++calls === 2) await campaigns.transition(c.id, ['sending'], 'cancelled');
      },
    }),
  );
  expect(r).toEqual({ kind: 'stopped', status: 'cancelled' });
  expect(calls).toBe(2);
  // The page read ahead while the second was queued may have been registered before the cancel; none after.
  const total = (await campaigns.get(c.id)).counts.total;
  expect([110, 310]).toContain(total);
  expect(await queue.getJobCountByTypes('waiting')).toBe(11);
});

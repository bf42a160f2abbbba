/**
 * The send loop a chunk at a time, end to end (real Redis, real BullMQ workers, a real SMTP server
 * on loopback): a pause that lands while a chunk is on the wire stops the chunk and puts its
 * unsent rest back; a batch re-run after a crash takes over the dead run's claims and mails nobody
 * twice; an unsubscribe that lands after a chunk was claimed waits for that recipient's message.
 */
import { afterEach, expect, it } from 'vitest';
import { sendBatchJobId } from '../../src/queue/queues.ts';
import { DeliveryChunks } from '../../src/store/delivery-chunks.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

let p: Pipeline | undefined;
afterEach(async () => {
  await p?.close();
  p = undefined;
});

const claimedNow = async (pipeline: Pipeline, campaignId: string) =>
  Object.values(await pipeline.app.redis.hgetall(pipeline.t.keys.campaignDeliveries(campaignId))).filter((v) => v.startsWith('p|')).length;

it('a pause mid-chunk stops the chunk: its unsent rest goes back to the queue, and the resume sends it once', async () => {
  let pausing: Promise<unknown> | undefined;
  let pausedAtMessage = 0;
  let campaignId = '';
  const started = await startPipeline({
    // One batch at a time. Its first chunk is four; the second (messages 5 on, as many as a fast
    // server takes in a chunk's window) is claimed while 3 and 4 go: the pause lands as 5 is on the wire.
    concurrency: 1,
    env: { SEND_BATCH_SIZE: '40' },
    smtp: {
      reply: (e) => {
        if (e.stage !== 'data') return undefined;
        if (!pausing && started.smtp.messages.length === 4) {
          pausedAtMessage = 5;
          pausing = started.app.service.pause(campaignId);
          // Message 5 is answered once the pause is in Redis: its own settle must see it.
          return { code: 250, after: pausing };
        }
        return undefined;
      },
    },
    workers: true,
  });
  p = started;
  await p.addSubscribers('daily', 40);
  campaignId = (await p.createCampaign(['daily'])).id;
  await p.waitFor(campaignId, (c) => c.status === 'paused');
  await pausing;
  // The run leaves at its next settle: nothing stays claimed, and most of the chunk never went.
  const deadline = Date.now() + 10_000;
  while ((await claimedNow(p, campaignId)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(await claimedNow(p, campaignId)).toBe(0);
  const atPause = p.smtp.messages.length;
  expect(pausedAtMessage).toBe(5);
  // Message 5 was on the wire when the pause came; at most one more started before the run saw it.
  expect(atPause).toBeGreaterThanOrEqual(5);
  expect(atPause).toBeLessThanOrEqual(6);
  const paused = await p.app.campaigns.get(campaignId);
  expect(paused.counts.sent).toBe(atPause);
  expect(paused.counts.pending).toBe(40 - atPause);
  for (let i = 1; i <= 40; i++) {
    expect(await p.app.stores.sendsInProgress.of(i)).toEqual([]);
  }

  await p.app.service.resume(campaignId);
  const done = await p.waitForStatus(campaignId, 'sent');
  expect(done.counts).toMatchObject({ total: 40, sent: 40, failed: 0, skipped: 0, pending: 0 });
  const received = p.received();
  expect(received.size).toBe(40);
  expect([...received.values()].every((n) => n === 1)).toBe(true);
});

it('a batch re-run after a crash takes over the dead run\'s claims and mails nobody twice', async () => {
  p = await startPipeline({ workers: false });
  const ids = await p.addSubscribers('daily', 10);
  const c = await p.createCampaign(['daily']);
  // What the fan-out does, then what a run that died mid-chunk leaves: the whole chunk claimed and
  // noted, four of its messages sent and recorded, six claimed and never settled.
  await p.app.campaigns.transition(c.id, ['scheduled'], 'sending', { startedAt: new Date().toISOString(), snapshotMaxId: Math.max(...ids) });
  await p.app.campaigns.registerDeliveries(c.id, ids);
  const chunks = new DeliveryChunks({ redis: p.app.redis, keys: p.t.keys, retentionMs: 0 });
  const dead = { jobId: sendBatchJobId(c.id, ids), lockToken: 'the-dead-run', leaseMs: 300_000 };
  const claim = await chunks.claim({ campaignId: c.id, lists: c.lists, subscriberIds: ids, holder: dead, holdMs: 300_000 });
  expect(claim.kind === 'claimed' && claim.entries.every((e) => e.kind === 'send')).toBe(true);
  const sentBefore = ids.slice(0, 4);
  await chunks.settle(c.id, sentBefore.map((id) => ({ subscriberId: id, outcome: { state: 'sent', messageId: `<${id}@dead>`, reply: '250' } })), dead);
  expect(await claimedNow(p, c.id)).toBe(6);

  // The job runs again (same job id, a new lock token), long before the dead run's leases end.
  await p.app.startWorkers({ concurrency: 2 });
  const done = await p.waitForStatus(c.id, 'sent');
  expect(done.counts).toMatchObject({ total: 10, sent: 10, failed: 0, skipped: 0, pending: 0 });
  const received = p.received();
  expect([...received.keys()].sort()).toEqual(ids.slice(4).map((i) => `reader${i}@example.org`).sort());
  expect([...received.values()].every((n) => n === 1)).toBe(true);
  for (const id of ids) expect(await p.app.stores.sendsInProgress.of(id)).toEqual([]);
});

it('an unsubscribe that lands after a chunk was claimed waits for that recipient\'s message, which the check had allowed', async () => {
  let target = 0;
  let unsubscribing: Promise<{ answeredAfter: number; stillSending: string[] }> | undefined;
  const started = await startPipeline({
    concurrency: 1,
    env: { SEND_BATCH_SIZE: '20' },
    smtp: {
      reply: (e) => {
        if (e.stage !== 'data') return undefined;
        // While message 5 is on the wire, reader 8 (claimed with it in the second chunk, the first
        // being four), not sent yet, unsubscribes.
        if (!unsubscribing && started.smtp.messages.length === 4) {
          target = 8;
          unsubscribing = started.app.stores.subscribers.unsubscribe(target).then((r) => ({
            answeredAfter: started.smtp.messages.filter((m) => m.to.includes(`reader${target}@example.org`)).length,
            stillSending: r.stillSending,
          }));
          return { code: 250, delayMs: 100 };
        }
        return undefined;
      },
    },
  });
  p = started;
  await p.addSubscribers('daily', 20);
  const c = await p.createCampaign(['daily']);
  const done = await p.waitForStatus(c.id, 'sent');
  const answer = await unsubscribing;
  // The chunk had checked reader 8 before the unsubscribe: the message went, and the answer came after it.
  expect(answer).toEqual({ answeredAfter: 1, stillSending: [] });
  expect(done.counts).toMatchObject({ total: 20, sent: 20, skipped: 0 });
  expect((await p.app.stores.subscribers.get(target))?.status).toBe('unsubscribed');
});

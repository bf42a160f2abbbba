/**
 * Campaigns across real worker processes (`newsdesk worker`): two of them sharing one campaign,
 * and one killed with SIGKILL in the middle and replaced.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { sentBy, spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

describe('campaigns across worker processes', () => {
  let p: Pipeline | undefined;
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await p?.close();
    p = undefined;
  });

  it('two worker processes share one campaign: every recipient exactly once', async () => {
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 3 } : undefined) },
      env: { SEND_BATCH_SIZE: '10', WORKER_LOCK_MS: '2000' },
    });
    await p.addSubscribers('daily', 400);
    const c = await p.createCampaign(['daily']);
    const a = spawnWorker(p.env, ['--exit-when-idle']);
    const b = spawnWorker(p.env, ['--exit-when-idle']);
    workers.push(a, b);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const done = await p.waitForStatus(c.id, 'sent', 5_000);
    expect(done.counts).toEqual({ total: 400, sent: 400, failed: 0, skipped: 0, pending: 0 });
    const received = p.received();
    expect(received.size).toBe(400);
    expect([...received.values()].filter((n) => n > 1)).toEqual([]);
    // Both took part: the work really was shared.
    expect(sentBy(a)).toBeGreaterThan(0);
    expect(sentBy(b)).toBeGreaterThan(0);
    expect(sentBy(a) + sentBy(b)).toBe(400);

    // The record, through the command an editor would use, and after its retention ran out.
    const env = { ...process.env, ...p.env };
    const deliveries = () => runNewsdesk(['campaign', 'deliveries', c.id, '--state', 'sent', '--limit', '2'], { env });
    const status = async () => JSON.parse((await runNewsdesk(['campaign', 'status', c.id, '--json'], { env })).stdout);
    expect(await status()).toMatchObject({ status: 'sent', deliveryRecordsUntil: expect.stringMatching(/^\d{4}-/), deliveryRecordsRemoved: false });
    const shown = await deliveries();
    const lines = shown.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\d+ +reader\d+@example\.org +sent +\d{4}-/);
    expect(lines[3]).toMatch(/^2 deliveries sent shown; records kept until \d{4}-\d\d-\d\dT/);
    await p.t.redis.del(p.t.keys.campaignDeliveries(c.id));
    expect(await status()).toMatchObject({ status: 'sent', counts: { sent: 400 }, failures: [], deliveryRecordsUntil: null, deliveryRecordsRemoved: true });
    expect((await deliveries()).stdout).toBe(
      `The delivery records of ${c.id} were removed after the retention period (DELIVERY_RETENTION_DAYS); its counts remain (newsdesk campaign status ${c.id}).\n`,
    );
  }, 60_000); // two workers and six CLI runs: room for a busy machine

  it('a worker stopped with SIGTERM mid-campaign finishes what it holds and exits 0; the next one repeats nothing', async () => {
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 10 } : undefined) },
      env: { SEND_BATCH_SIZE: '10', WORKER_LOCK_MS: '1000', SMTP_POOL_SIZE: '4' },
    });
    await p.addSubscribers('daily', 200);
    const c = await p.createCampaign(['daily']);
    const first = spawnWorker(p.env);
    workers.push(first);
    await p.waitFor(c.id, (x) => x.counts.sent >= 40, 30_000);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('"worker stopped"');
    // Nothing was left claimed: every delivery is either final or back in the queue.
    expect(await p.app.campaigns.deliveries(c.id, { state: 'sending' })).toEqual([]);
    const stoppedAt = (await p.app.campaigns.get(c.id)).counts;
    expect(stoppedAt.pending).toBeGreaterThan(0);

    const second = spawnWorker(p.env, ['--exit-when-idle']);
    workers.push(second);
    expect(await second.exited).toBe(0);
    const done = await p.waitForStatus(c.id, 'sent', 5_000);
    expect(done.counts).toEqual({ total: 200, sent: 200, failed: 0, skipped: 0, pending: 0 });
    expect(p.received().size).toBe(200);
    expect([...p.received().values()].filter((n) => n > 1)).toEqual([]);
  });

  it('a worker killed with SIGKILL mid-campaign and replaced loses nothing and repeats at most what was in flight', async () => {
    const concurrency = 4;
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 10 } : undefined) },
      env: { SEND_BATCH_SIZE: '10', WORKER_LOCK_MS: '1000', SMTP_POOL_SIZE: String(concurrency) },
    });
    await p.addSubscribers('daily', 300);
    const c = await p.createCampaign(['daily']);
    const first = spawnWorker(p.env);
    workers.push(first);
    await p.waitFor(c.id, (x) => x.counts.sent >= 60, 30_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = p.smtp.messages.length;
    expect(killedAt).toBeLessThan(300);

    const second = spawnWorker(p.env, ['--exit-when-idle']);
    workers.push(second);
    expect(await second.exited).toBe(0);

    const done = await p.waitForStatus(c.id, 'sent', 5_000);
    expect(done.counts).toMatchObject({ total: 300, failed: 0, skipped: 0, pending: 0 });
    const received = p.received();
    const duplicates = [...received.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(received.size).toBe(300); // lost: 0
    // At most one message per send slot can have been between SMTP and the record at the kill.
    expect(duplicates).toBeLessThanOrEqual(concurrency);
  });
});

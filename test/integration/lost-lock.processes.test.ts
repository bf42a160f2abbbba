/**
 * What a short job lock risks (docs/reliability.md, "Recovery timing"): a worker process that
 * freezes past its lock (here: SIGSTOP, as a long GC pause or a starved CPU would) loses its jobs
 * to another worker; when it wakes, its runs must stop at their next claim instead of sending
 * the rest of their batches a second time. At most the messages it had in flight may repeat.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

let p: Pipeline | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.alive()) {
      w.child.kill('SIGCONT');
      await w.kill('SIGKILL');
    }
  }
  await p?.close();
  p = undefined;
});

it('a worker frozen past its job lock stops at its next claim when it wakes; its batches finish elsewhere; repeats ≤ in flight', async () => {
  p = await startPipeline({
    workers: false,
    smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 5 } : undefined) },
    env: { SEND_BATCH_SIZE: '50', WORKER_LOCK_MS: '1000', WORKER_STALLED_CHECK_MS: '500', SMTP_POOL_SIZE: '4' },
  });
  const n = 1200;
  await p.addSubscribers('daily', n);
  const c = await p.createCampaign(['daily']);
  const frozen = spawnWorker(p.env);
  const other = spawnWorker(p.env);
  workers.push(frozen, other);
  await p.waitFor(c.id, (x) => x.counts.sent >= 150, 60_000);

  frozen.child.kill('SIGSTOP');
  const name = `${hostname()}:${frozen.pid}`;
  const active = await p.app.queues.send.getJobs(['active'], 0, -1);
  const held = active.filter((j) => j.processedBy === name).map((j) => j.id as string);
  expect(held.length).toBeGreaterThan(0);
  // In flight: claimed by the frozen process's runs and not recorded.
  const records = Object.values(await p.t.redis.hgetall(p.t.keys.campaignDeliveries(c.id)));
  const inFlight = records.filter((v) => v.startsWith('p|') && held.includes(v.split('|')[1] as string)).length;

  // The other worker's stalled check hands the frozen process's jobs over once their locks lapse.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const jobs = await Promise.all(held.map((id) => p?.app.queues.send.getJob(id)));
    if (jobs.every((j) => !j || j.processedBy !== name)) break;
    if (Date.now() > deadline) throw new Error(`jobs ${held.join(', ')} were not taken over`);
    await sleep(100);
  }
  frozen.child.kill('SIGCONT');

  const done = await p.waitForStatus(c.id, 'sent', 120_000);
  // The woken runs met their lost lock at the next claim and stopped (LostLockError), alive.
  const deadline2 = Date.now() + 30_000;
  const stopped = '"msg":"batch stopped: this process held its job past WORKER_LOCK_MS';
  while (!frozen.output().includes(stopped) && Date.now() < deadline2) await sleep(100);
  expect(frozen.output()).toContain(stopped);
  expect(frozen.output()).toContain('lost its lock; another run of it finishes the batch');
  expect(frozen.alive()).toBe(true);

  expect(done.counts).toEqual({ total: n, sent: n, failed: 0, skipped: 0, pending: 0 });
  const received = p.received();
  expect(received.size).toBe(n); // lost: 0
  const duplicates = [...received.values()].reduce((sum, k) => sum + k - 1, 0);
  expect(duplicates).toBeLessThanOrEqual(inFlight);
}, 180_000);

/**
 * Scenario 8: one of two workers killed with SIGKILL every 5 s for a whole full-speed campaign,
 * each replaced at once, with the recovery timings at their defaults (WORKER_LOCK_MS,
 * WORKER_STALLED_CHECK_MS). Expect: lost 0; duplicates ≤ the messages in flight at the kills;
 * the campaign finishes within 15 s of the same send undisturbed, measured in the same test.
 *
 * The size is FAULTS_08_RECIPIENTS (default 30,000, what CI runs: the send must outlast a few
 * kills, and 10,000 messages of the example edition went out in 3.5 s once it was 16 % smaller,
 * before the first kill); the run recorded in docs/reliability.md used 50,000. "In flight" is counted as in scenario 1: `sending` records of
 * the jobs the killed process held. The seconds until a killed worker's jobs ran again elsewhere
 * (what its readers waited) go into the row's notes; they are figures, not assertions. So does
 * where the CPU went in each run (workers, Redis, this test process with its SMTP server), and
 * what the killed workers spent per message over their short lives, start-up included: on a
 * machine whose cores are all busy, what a kill costs in time is what it costs in CPU.
 */
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import type { Campaign } from '../../src/domain/campaign.schema.ts';
import { redisCpuSeconds } from '../../bench/lib/redis-cpu.ts';
import { sentBy, type WorkerProcess } from '../support/worker-process.ts';
import { type FaultRun, SEED, seededRandom, startFaultRun, stopWorkers } from './support/fault-run.ts';

const RECIPIENTS = Number(process.env.FAULTS_08_RECIPIENTS ?? 30_000);
const KILL_EVERY_MS = 5_000;
/** The done condition of the scenario (issue 13): at most this much slower than undisturbed. */
const SLOWER_BY_AT_MOST_S = 15;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

const seconds = (c: Campaign) => (Date.parse(c.finishedAt as string) - Date.parse(c.startedAt as string)) / 1000;

/** Resolves once the worker has logged that it is up (its queues are being read). */
async function started(w: WorkerProcess): Promise<void> {
  while (!w.output().includes('"worker started"')) {
    if (!w.alive()) throw new Error(`worker ${w.pid} exited while starting: ${w.output().slice(-2000)}`);
    await sleep(50);
  }
}

it(`8. one of two workers SIGKILLed every ${KILL_EVERY_MS / 1000} s during a ${RECIPIENTS.toLocaleString('en-US')} send: lost 0, duplicates ≤ in flight, ≤ ${SLOWER_BY_AT_MOST_S} s slower than undisturbed`, async () => {
  const random = seededRandom(SEED);
  run = await startFaultRun({
    recipients: RECIPIENTS,
    // Full speed; only who got what is counted, so the server keeps no message bytes.
    smtp: { keepRaw: false },
    // Empty: the recovery timings at their defaults, as an operator runs them (not the suite's 2 s lock).
    env: { WORKER_LOCK_MS: '', WORKER_STALLED_CHECK_MS: '' },
  });
  const r = run;
  // A second list of other readers for the disturbed run, so the two runs' messages are told apart.
  await r.p.addSubscribers('daily-b', RECIPIENTS, RECIPIENTS + 1);
  const addressesB = Array.from({ length: RECIPIENTS }, (_, i) => `reader${RECIPIENTS + i + 1}@example.org`);

  /** CPU seconds of every worker so far (a killed one as last read before its kill). */
  const lastCpu = new Map<number, number>();
  const workerCpu = () => r.workers.reduce((sum, w) => sum + (w.alive() ? w.cpuSeconds() : (lastCpu.get(w.pid) ?? 0)), 0);
  const cpuNow = async () => {
    const own = process.cpuUsage();
    return { workers: workerCpu(), redis: await redisCpuSeconds(r.p.app.redis), test: (own.user + own.system) / 1e6 };
  };

  // Undisturbed: two warm workers, the campaign timed by its own start and finish stamps.
  for (let i = 0; i < 2; i++) r.startWorker();
  await Promise.all(r.workers.map(started));
  const cpu0 = await cpuNow();
  const a = await r.p.createCampaign(['daily']);
  const undisturbed = await r.waitFor(a.id, (x) => x.status === 'sent', RECIPIENTS * 15 + 60_000);
  const tallyA = r.tally();
  expect(tallyA).toMatchObject({ lost: 0, duplicates: 0 });

  // Disturbed: the same two workers; every 5 s one of them dies and a new one starts at once.
  const cpu1 = await cpuNow();
  const b = await r.p.createCampaign(['daily-b']);
  /** What each killed worker did in this run: CPU seconds (its start-up included) and messages it finished. */
  const lives: { cpu: number; sent: number }[] = [];
  const atStart = new Map(r.workers.map((w) => [w.pid, { cpu: w.cpuSeconds(), sent: sentBy(w) }]));
  const inFlight: number[] = [];
  const recoveries: Promise<number>[] = [];
  let current = await r.p.app.campaigns.get(b.id);
  while (current.status !== 'sent') {
    await sleep(KILL_EVERY_MS);
    current = await r.p.app.campaigns.get(b.id);
    if (current.status !== 'sending') break;
    const live = r.live();
    const victim = live[Math.floor(random() * live.length)];
    if (!victim) throw new Error('no live worker to kill');
    const cpu = victim.cpuSeconds();
    lastCpu.set(victim.pid, cpu);
    const base = atStart.get(victim.pid) ?? { cpu: 0, sent: 0 };
    lives.push({ cpu: cpu - base.cpu, sent: sentBy(victim) - base.sent });
    await victim.kill('SIGKILL');
    const jobs = await r.activeJobsOf(victim.pid);
    inFlight.push(await r.claimed(b.id, jobs));
    const recovery = takenOver(r, victim.pid, jobs);
    recovery.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    recoveries.push(recovery);
    r.startWorker();
  }
  const disturbed = await r.waitFor(b.id, (x) => x.status === 'sent', RECIPIENTS * 15 + 60_000);
  const cpu2 = await cpuNow();
  await stopWorkers(r.live());
  const waited = await Promise.all(recoveries);
  const tally = r.tally(addressesB);
  const bound = inFlight.reduce((x, y) => x + y, 0);
  const [t0, t1] = [seconds(undisturbed), seconds(disturbed)];
  const sorted = [...waited].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  // A live worker that missed renewing a lock (the risk of a short lock): BullMQ's error, in any worker's log.
  const missedRenewals = r.workers.reduce((sum, w) => sum + w.output().split('could not renew lock').length - 1, 0);
  const slowest = sorted[sorted.length - 1] ?? 0;
  r.finish({
    id: '08-kill-every-5s',
    scenario: `2 workers × 4 connections at full speed, one SIGKILLed every ${KILL_EVERY_MS / 1000} s and replaced at once; default job lock (5 s) and stalled check (2 s)`,
    expectation: `lost 0; duplicates ≤ in flight at the kills; finishes within ${SLOWER_BY_AT_MOST_S} s of the same send undisturbed`,
    inFlight,
    notes:
      `${inFlight.length} kills; undisturbed ${t0.toFixed(1)} s, disturbed ${t1.toFixed(1)} s (+${(t1 - t0).toFixed(1)} s); ` +
      `a killed worker's jobs ran again after ${median.toFixed(1)} s (median), ${slowest.toFixed(1)} s (slowest); ` +
      `CPU s undisturbed → disturbed: workers ${spent(cpu0, cpu1, 'workers')}, Redis ${spent(cpu0, cpu1, 'redis')}, ` +
      `this test process (SMTP server) ${spent(cpu0, cpu1, 'test')} → ${spent(cpu1, cpu2, 'workers')}, ${spent(cpu1, cpu2, 'redis')}, ${spent(cpu1, cpu2, 'test')}; ` +
      `killed workers ${msPerMessage(total(lives))} CPU per message over their lives, start-up included, against ${msPerMessage({ cpu: cpu1.workers - cpu0.workers, sent: RECIPIENTS })} undisturbed; ` +
      `lock renewals missed by live workers ${missedRenewals}; campaign ${disturbed.status}, counts ${JSON.stringify(disturbed.counts)}`,
    ...tally,
  });

  expect(inFlight.length).toBeGreaterThan(0);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBeLessThanOrEqual(bound);
  expect(disturbed.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
  expect(t1).toBeLessThanOrEqual(t0 + SLOWER_BY_AT_MOST_S);
}, 120_000 + RECIPIENTS * 30); // two sends of the list on a shared machine

const spent = <K extends string>(from: Record<K, number>, to: Record<K, number>, key: K) => (to[key] - from[key]).toFixed(1);
const total = (xs: { cpu: number; sent: number }[]) => xs.reduce((a, x) => ({ cpu: a.cpu + x.cpu, sent: a.sent + x.sent }), { cpu: 0, sent: 0 });
const msPerMessage = (x: { cpu: number; sent: number }) => `${((x.cpu * 1000) / Math.max(1, x.sent)).toFixed(2)} ms`;

/**
 * Seconds from now until every job the dead process held has run again on another worker (or
 * finished there): how long that process's readers waited.
 */
async function takenOver(r: FaultRun, deadPid: number, jobIds: Set<string>): Promise<number> {
  const t0 = performance.now();
  const dead = `${hostname()}:${deadPid}`;
  const left = new Set(jobIds);
  const send = r.p.app.queues.send;
  while (left.size > 0) {
    for (const id of [...left]) {
      // Only the job's `processedBy` field (BullMQ's `pb`): a gone job ran, and so did one another worker took.
      const processedBy = await r.p.app.redis.hget(send.toKey(id), 'pb');
      if (processedBy !== dead) left.delete(id);
    }
    if (left.size === 0) break;
    if (performance.now() - t0 > 300_000) throw new Error(`jobs ${[...left].join(', ')} of the killed worker ${deadPid} never ran again`);
    await sleep(100);
  }
  return (performance.now() - t0) / 1000;
}

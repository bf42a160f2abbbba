/**
 * Scenario 1: worker processes killed with SIGKILL at random moments, several times in one
 * campaign, and restarted. Expect: lost 0; duplicates ≤ the messages in flight at the kills.
 *
 * In flight at a kill = deliveries the killed process had claimed but not recorded: `sending`
 * records in Redis whose job the dead process held (BullMQ notes each active job's worker name).
 * Only those can have reached the SMTP server without being recorded, so only those can repeat.
 */
import { afterEach, expect, it } from 'vitest';
import { type FaultRun, RECIPIENTS, SEED, seededRandom, startFaultRun, stopWorkers } from './support/fault-run.ts';

const KILLS = 4;
const WORKERS = 2;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

it(`1. ${WORKERS} workers, ${KILLS} SIGKILLs at random moments, each replaced: lost 0, duplicates ≤ in flight`, async () => {
  const random = seededRandom(SEED);
  run = await startFaultRun({
    // A few ms per message keeps every send slot busy, so kills land mid-transaction.
    smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 4 } : undefined) },
  });
  const r = run;
  const c = await r.p.createCampaign(['daily']);
  for (let i = 0; i < WORKERS; i++) r.startWorker();

  // Kill points: random shares of the list, spread over 5–85 % and in order.
  const points = Array.from({ length: KILLS }, () => 0.05 + random() * 0.8).sort((a, b) => a - b);
  const inFlight: number[] = [];
  for (const point of points) {
    await r.waitFor(c.id, (x) => x.counts.sent >= Math.floor(point * RECIPIENTS), 120_000);
    const live = r.live();
    const victim = live[Math.floor(random() * live.length)];
    if (!victim) throw new Error('no live worker to kill');
    await victim.kill('SIGKILL');
    // The dead process's jobs stay active under its name, and their claims stay `sending`, until
    // the stalled-job check hands them over (≥ WORKER_LOCK_MS later): read both now.
    inFlight.push(await r.claimed(c.id, await r.activeJobsOf(victim.pid)));
    r.startWorker();
  }

  const done = await r.waitFor(c.id, (x) => x.status === 'sent', 180_000);
  await stopWorkers(r.live());
  const tally = r.tally();
  const bound = inFlight.reduce((a, b) => a + b, 0);
  r.finish({
    id: '01-worker-kills',
    scenario: `${WORKERS} workers × 4 connections, SIGKILL ${KILLS}× at random moments, each replaced`,
    expectation: 'lost 0; duplicates ≤ in flight at the kills',
    inFlight,
    notes: `campaign ${done.status}, counts ${JSON.stringify(done.counts)}`,
    ...tally,
  });

  expect(inFlight).toHaveLength(KILLS);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBeLessThanOrEqual(bound);
  expect(done.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
});

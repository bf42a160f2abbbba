/**
 * Scenario 5: one campaign paused and resumed twenty times while it sends; another campaign,
 * sending at the same time, cancelled midway. Expect: duplicates 0 and lost 0 for the first;
 * after the cancel, nothing more of the second is sent — beyond the messages already in the
 * middle of their SMTP transaction when the cancel returned (claimed before it), and nothing at
 * all once those are done.
 */
import { afterEach, expect, it } from 'vitest';
import { type FaultRun, RECIPIENTS, SEED, seededRandom, startFaultRun, stopWorkers } from './support/fault-run.ts';

const CYCLES = 20;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

it(`5. pause/resume ${CYCLES}× during one campaign, cancel another midway: duplicates 0; nothing sent after the cancel`, async () => {
  const random = seededRandom(SEED);
  // A global rate keeps every pause well before the end: at full speed a stall of the test process
  // of 100–300 ms could let the last messages be claimed before a late pause, and the campaign would
  // then (rightly) finish during that pause, leaving nothing to resume.
  run = await startFaultRun({
    smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 4 } : undefined) },
    env: { SEND_RATE_PER_SECOND: '800' },
  });
  const r = run;
  const p = r.p;
  const otherCount = Math.round(RECIPIENTS / 2);
  const first = 100_001;
  await p.addSubscribers('other', otherCount, first);
  const others = Array.from({ length: otherCount }, (_, i) => `reader${first + i}@example.org`);

  // B first: its batches are queued ahead of A's, so A is still near its start when B is
  // cancelled and all twenty pauses fall inside A's sending.
  const b = await p.createCampaign(['other']);
  const a = await p.createCampaign(['daily']);
  r.startWorker();
  r.startWorker();

  // Cancel B a fifth of the way in.
  await r.waitFor(b.id, (x) => x.counts.sent >= otherCount / 5, 120_000);
  await p.app.service.cancel(b.id);
  const inFlightAtCancel = await r.claimed(b.id);
  const atCancel = r.tally(others).received;

  // Pause and resume A, spread over the rest of its sending by progress (not by time).
  const from = (await p.app.campaigns.get(a.id)).counts.sent;
  let pauses = 0;
  let sentWhilePaused = 0;
  // Most messages that arrived during a pause beyond those already claimed when it began (≤ 0 expected).
  let overshoot = Number.NEGATIVE_INFINITY;
  for (let i = 1; i <= CYCLES; i++) {
    await r.waitFor(a.id, (x) => x.counts.sent >= from + ((RECIPIENTS * 0.8 - from) * i) / (CYCLES + 1) || x.status === 'sent', 120_000);
    const paused = await p.app.service.pause(a.id);
    const pendingAtPause = paused.counts.pending;
    pauses++;
    // Claims made before the pause; no claim can be made after it, so only these may still arrive.
    // Read before the arrival count: a message arrives (250) before it is recorded, so one that
    // is no longer `sending` here has already arrived and is not counted as arriving in the pause.
    const claimedAtPause = await r.claimed(a.id);
    const before = r.tally().received;
    await sleep(100 + random() * 200);
    const arrived = r.tally().received - before;
    sentWhilePaused += arrived;
    overshoot = Math.max(overshoot, arrived - claimedAtPause);
    // A paused campaign finishes only when nothing was left to send: every pending delivery claimed.
    const during = await p.app.campaigns.get(a.id);
    if (during.status !== 'paused') {
      throw new Error(`pause ${i}: campaign became ${during.status} while paused with ${pendingAtPause} pending, ${claimedAtPause} claimed`);
    }
    await p.app.service.resume(a.id);
  }

  const done = await r.waitFor(a.id, (x) => x.status === 'sent', 180_000);
  const afterCancel = r.tally(others).received - atCancel;
  await sleep(1_000);
  const late = r.tally(others).received - atCancel - afterCancel;
  await stopWorkers(r.live());
  const cancelled = await p.app.campaigns.get(b.id);
  const tally = r.tally();
  const otherTally = r.tally(others);
  r.finish({
    id: '05-pause-resume-cancel',
    scenario: `campaign A paused and resumed ${pauses}×; campaign B (${otherCount.toLocaleString('en-US')}) cancelled at 20 %; 2 workers`,
    expectation: 'A: duplicates 0, lost 0; B: nothing sent after the cancel beyond what was in flight',
    inFlight: [inFlightAtCancel],
    notes:
      `A ${done.status}; ${sentWhilePaused} of A arrived during the pauses, none beyond what was claimed before each; ` +
      `B ${cancelled.status} with ${otherTally.unique} of ${otherCount} received, ${otherTally.duplicates} duplicates, ` +
      `${afterCancel} after the cancel returned, ${late} once those settled`,
    ...tally,
  });

  expect(pauses).toBe(CYCLES);
  expect(overshoot).toBeLessThanOrEqual(0);
  expect(tally.duplicates).toBe(0);
  expect(tally.lost).toBe(0);
  expect(done.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
  expect(cancelled.status).toBe('cancelled');
  expect(otherTally.duplicates).toBe(0);
  expect(otherTally.unique).toBeLessThan(otherCount);
  expect(afterCancel).toBeLessThanOrEqual(inFlightAtCancel);
  expect(late).toBe(0);
});

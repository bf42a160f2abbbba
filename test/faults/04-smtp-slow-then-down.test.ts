/**
 * Scenario 4: the SMTP server is slow (1 s per message), then unreachable for 30 s (its port
 * closed: connections are refused), then back. Expect: workers neither spin nor crash; the
 * campaign finishes after the server returns; lost 0; repeats only among messages cut off mid-DATA.
 *
 * "No spin" is measured, not timed: the CPU seconds each worker process uses during the outage
 * (from /proc), and the batch attempts it logs. A worker that retried in a tight loop would burn
 * close to one CPU second per second; one that backs off sleeps. The bound, a tenth of a CPU
 * second per second of outage, is generous on a busy 2-core machine and far below a spin.
 */
import { afterEach, expect, it } from 'vitest';
import { startTestSmtpServer } from '../support/smtp-server.ts';
import { type FaultRun, RECIPIENTS, startFaultRun, stopWorkers } from './support/fault-run.ts';

const SLOW_MS = 1_000;
const SLOW_PHASE_MS = 8_000;
const OUTAGE_MS = 30_000;
const CPU_SHARE_BOUND = 0.1;

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

/** Lines a worker logged for failed batch attempts (`job failed`, one per attempt). */
const failedAttempts = (output: string) => output.split('\n').filter((l) => l.includes('"job failed"')).length;

it('4. SMTP slow (1 s per message), then refused for 30 s: workers neither spin nor crash; the campaign finishes after it returns', async () => {
  run = await startFaultRun({ smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: SLOW_MS } : undefined) } });
  const r = run;
  const port = r.p.smtp.port;
  const c = await r.p.createCampaign(['daily']);
  const workers = [r.startWorker(), r.startWorker()];

  await r.waitFor(c.id, (x) => x.counts.sent > 0, 60_000);
  await new Promise((res) => setTimeout(res, SLOW_PHASE_MS));
  const slowSent = r.messages().length;

  // Unreachable: the listening socket closes and every connection is refused. Messages in the
  // middle of their (slow) DATA are cut off; the server may have taken one whose 250 never
  // reached the client, which then sends it again (RFC 1047): those are the only repeats allowed.
  const inFlight = await r.claimed(c.id);
  await r.p.smtp.close();
  const cpuBefore = workers.map((w) => w.cpuSeconds());
  const attemptsBefore = workers.map((w) => failedAttempts(w.output()));
  await new Promise((res) => setTimeout(res, OUTAGE_MS));
  const cpuDuring = workers.map((w, i) => Math.round((w.cpuSeconds() - (cpuBefore[i] ?? 0)) * 100) / 100);
  const attemptsDuring = workers.map((w, i) => failedAttempts(w.output()) - (attemptsBefore[i] ?? 0));
  const aliveAfterOutage = workers.filter((w) => w.alive()).length;
  const during = await r.p.app.campaigns.get(c.id);

  // Back, at full speed, on the same port.
  const back = await startTestSmtpServer({ port });
  r.adoptSmtp(back);
  const done = await r.waitFor(c.id, (x) => x.status === 'sent', 240_000);
  const aliveAtEnd = workers.filter((w) => w.alive()).length;
  await stopWorkers(r.live());
  const tally = r.tally();
  r.finish({
    id: '04-smtp-slow-then-down',
    scenario: `SMTP 1 s per message for ${SLOW_PHASE_MS / 1000} s, then refused for ${OUTAGE_MS / 1000} s, then back; 2 workers`,
    expectation: 'no spin, no crash; campaign finishes after the server returns; lost 0; duplicates ≤ in flight at the cut',
    inFlight: [inFlight],
    notes:
      `${slowSent} sent while slow; during the outage CPU ${cpuDuring.join(' + ')} s and ${attemptsDuring.join(' + ')} failed batch attempts per worker, ` +
      `campaign still ${during.status}; workers alive ${aliveAtEnd}/2; ${back.messages.length} sent after return; campaign ${done.status}`,
    ...tally,
  });

  expect(aliveAfterOutage).toBe(2);
  expect(aliveAtEnd).toBe(2);
  for (const cpu of cpuDuring) expect(cpu).toBeLessThan((OUTAGE_MS / 1000) * CPU_SHARE_BOUND);
  // They did try (a worker that gave up would not spin either), and backed off between tries.
  expect(attemptsDuring.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  expect(during.status).toBe('sending');
  expect(during.counts.failed).toBe(0);
  expect(back.messages.length).toBeGreaterThan(0);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBeLessThanOrEqual(inFlight);
  expect(done.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
});

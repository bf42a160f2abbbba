/**
 * Scenario 2: Redis restarted mid-campaign. The test runs its own `redis-server --appendonly yes`
 * on a free port, stops it (SIGTERM: Redis writes its AOF and exits, as on a deploy or a
 * package upgrade) while the workers are sending, keeps it down for a few seconds — longer than
 * the job lock, so every job lock has expired when it returns — and starts it again on the same
 * data. Expect: the campaign completes; lost 0; the workers ride through (none exits).
 */
import { afterEach, expect, it } from 'vitest';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { type FaultRun, RECIPIENTS, startFaultRun, stopWorkers } from './support/fault-run.ts';

const DOWN_MS = 4_000;
const LOCK_MS = 2_000;

let run: FaultRun | undefined;
let redis: RedisServer | undefined;
afterEach(async () => {
  await run?.close();
  await redis?.stop();
  run = undefined;
  redis = undefined;
});

it(`2. Redis stopped mid-campaign for ${DOWN_MS / 1000} s and restarted on its AOF: the campaign completes, lost 0`, async () => {
  redis = await startRedisServer({ args: ['--appendonly', 'yes'] });
  const server = redis;
  run = await startFaultRun({
    redisEnv: { REDIS_URL: server.url },
    smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 4 } : undefined) },
    env: { WORKER_LOCK_MS: String(LOCK_MS) },
  });
  const r = run;
  const c = await r.p.createCampaign(['daily']);
  const workers = [r.startWorker(), r.startWorker()];

  await r.waitFor(c.id, (x) => x.counts.sent >= RECIPIENTS * 0.3, 120_000);
  const inFlight = await r.claimed(c.id);
  await server.kill('SIGTERM');
  const sentWhileDown = r.p.smtp.messages.length;
  await new Promise((res) => setTimeout(res, DOWN_MS));
  // Messages already claimed may still finish against SMTP; no new claim can be made without Redis.
  const arrivedWhileDown = r.p.smtp.messages.length - sentWhileDown;
  await server.start();

  const done = await r.waitFor(c.id, (x) => x.status === 'sent', 180_000);
  const crashed = workers.filter((w) => !w.alive());
  await stopWorkers(r.live());
  const tally = r.tally();
  r.finish({
    id: '02-redis-restart',
    scenario: `Redis (appendonly yes) stopped at 30 % for ${DOWN_MS / 1000} s (job lock ${LOCK_MS / 1000} s), restarted; 2 workers`,
    expectation: 'campaign completes; lost 0',
    inFlight: [inFlight],
    notes: `campaign ${done.status}; ${arrivedWhileDown} arrived while Redis was down; workers exited: ${crashed.length}`,
    ...tally,
  });

  expect(crashed.map((w) => w.output().split('\n').slice(-5).join('\n'))).toEqual([]);
  expect(tally.lost).toBe(0);
  // Only messages claimed before the stop can have been sent twice (their record waited for Redis).
  expect(tally.duplicates).toBeLessThanOrEqual(inFlight);
  expect(done.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
});

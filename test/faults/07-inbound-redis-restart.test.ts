/**
 * Scenario 7: the return-mail listener while Redis restarts. A campaign is sent; then a stream of
 * real hard-bounce reports (one per delivery, to its VERP address) comes in over SMTP from four
 * "MTAs" that queue and retry on a 4xx, as MTAs do. Redis (its own `redis-server --appendonly
 * yes`) is stopped with SIGTERM after 30 % of the reports and started again a few seconds later
 * on the same data. Expect: the listener keeps accepting connections and answers 451 while Redis
 * is away (never a 5xx, never a 250 it could not store); afterwards every report is applied
 * once — every reader bounced, lost 0, none counted twice.
 */
import { afterEach, expect, it } from 'vitest';
import { startReturnListener, type ReturnListener } from '../../src/mail/return-listener.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { bounceSample, deliverSmtp } from '../support/return-mail.ts';
import { type FaultRun, startFaultRun, stopWorkers } from './support/fault-run.ts';

const REPORTS = Number(process.env.FAULTS_RECIPIENTS ?? 600) >= 600 ? 600 : Number(process.env.FAULTS_RECIPIENTS);
const DOWN_MS = 3_000;

let run: FaultRun | undefined;
let redis: RedisServer | undefined;
let listener: ReturnListener | undefined;
afterEach(async () => {
  await listener?.close();
  await run?.close();
  await redis?.stop();
  run = undefined;
  redis = undefined;
  listener = undefined;
});

it(`7. Redis stopped for ${DOWN_MS / 1000} s while bounce reports stream into the SMTP listener: 451 while away, every report applied once`, async () => {
  redis = await startRedisServer({ args: ['--appendonly', 'yes'] });
  const server = redis;
  // The listener's connection fails fast while Redis is away, as `newsdesk inbound serve` sets it.
  run = await startFaultRun({ recipients: REPORTS, redisEnv: { REDIS_URL: server.url }, redisOptions: { enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
  const r = run;
  const c = await r.p.createCampaign(['daily']);
  const workers = [r.startWorker()];
  await r.waitFor(c.id, (x) => x.status === 'sent', 120_000);
  await stopWorkers(workers);
  const senders = r.p.smtp.messages.map((m) => m.from);
  expect(senders).toHaveLength(REPORTS);

  listener = await startReturnListener({ sink: r.p.app.returnPath, port: 0, feedbackAddresses: [], storeTimeoutMs: 2_000 });
  const l = listener;
  const sample = bounceSample('rb-sisimai__postfix-14.eml');
  const replies = new Map<number, number>();
  let accepted = 0;
  const queue = [...senders];
  // Four sending MTAs, each retrying a deferred report after a short wait.
  const mta = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      for (;;) {
        const reply = await deliverSmtp(l.port, next, sample);
        replies.set(reply.code, (replies.get(reply.code) ?? 0) + 1);
        if (reply.code === 250) {
          accepted++;
          break;
        }
        expect(reply.code, reply.response).toBeGreaterThanOrEqual(400);
        expect(reply.code, reply.response).toBeLessThan(500);
        await new Promise((res) => setTimeout(res, 100));
      }
    }
  };
  const mtas = Promise.all([mta(), mta(), mta(), mta()]);

  while (accepted < REPORTS * 0.3) await new Promise((res) => setTimeout(res, 20));
  await server.kill('SIGTERM');
  const acceptedAtStop = accepted;
  await new Promise((res) => setTimeout(res, DOWN_MS));
  const acceptedWhileDown = accepted - acceptedAtStop;
  await server.start();
  await mtas;

  const stats = await r.p.app.returns.campaignStats(c.id);
  const subscribers = await r.p.app.stores.subscribers.getMany(Array.from({ length: REPORTS }, (_, i) => i + 1));
  const bounced = subscribers.filter((s) => s?.status === 'bounced').length;
  const tempfails = replies.get(451) ?? 0;
  r.finish({
    id: '07-inbound-redis-restart',
    scenario: `${REPORTS} hard-bounce reports over SMTP to the inbound listener from 4 retrying MTAs; Redis (appendonly yes) stopped at 30 % for ${DOWN_MS / 1000} s, restarted`,
    expectation: '451 while Redis is away; every report applied once; lost 0',
    notes: `${tempfails} answered 451, ${acceptedWhileDown} accepted (250) while Redis was down; hard bounces counted ${stats.counts.hard}`,
    recipients: REPORTS,
    received: accepted,
    unique: bounced,
    duplicates: stats.counts.hard - bounced,
    lost: REPORTS - bounced,
  });

  expect(tempfails).toBeGreaterThan(0);
  expect(acceptedWhileDown).toBe(0);
  expect(replies.get(250)).toBe(REPORTS);
  expect(bounced).toBe(REPORTS);
  expect(stats.counts.hard).toBe(REPORTS);
  expect(await r.p.app.returns.recent(REPORTS + 10)).toHaveLength(REPORTS);
});

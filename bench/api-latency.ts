/**
 * `GET /api/campaigns/:id` while a campaign sends at full speed (not a test: it prints figures).
 *
 *   nice npx tsx bench/api-latency.ts [--n 20000] [--workers 2] [--concurrency 8] [--connections 4] [--seconds 10] [--json]
 *
 * N subscribers, `newsdesk worker` processes sending to Postfix's `smtp-sink` on loopback, and a
 * `newsdesk serve` process; once the send is under way, autocannon asks the API for the
 * campaign's status over `--connections` connections for `--seconds` (or until the campaign
 * ends). Prints the latency percentiles, the requests answered, and the send's own rate.
 *
 * Target: p99 < 100 ms during the send (issue 13).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createBenchCampaign, say, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';
import { freePort } from '../test/support/redis-server.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    connections: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const workerCount = Number(args.workers);
const concurrency = Number(args.concurrency);
const connections = Number(args.connections);
const seconds = Number(args.seconds);

const sink = await startSmtpSink();
const setup = await setUpBench({ n, smtpUrl: sink.url, concurrency });
const children: ChildProcess[] = [];
const stop = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGTERM'))));

try {
  const port = await freePort();
  const { token } = await setup.app.stores.apiTokens.create('api-latency bench', { scope: 'read' });
  const serve = spawn('bin/newsdesk.js', ['serve'], { env: { ...setup.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(serve);
  for (let i = 0; i < workerCount; i++) children.push(spawn('bin/newsdesk.js', ['worker', '--concurrency', String(concurrency)], { env: setup.env, stdio: 'inherit' }));
  const base = `http://127.0.0.1:${port}`;
  for (let up = false; !up; ) {
    up = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 200));
  }

  const campaign = await createBenchCampaign(setup);
  const doneOf = async () => {
    const c = await setup.app.campaigns.get(campaign.id);
    return { c, done: c.counts.sent + c.counts.failed + c.counts.skipped };
  };
  // Under way: past the fan-out's first pages and the workers' warm-up.
  for (let s = await doneOf(); s.c.status === 'scheduled' || (s.done < n * 0.05 && s.c.status === 'sending'); s = await doneOf()) await new Promise((r) => setTimeout(r, 100));
  const before = await doneOf();
  say(`bench: ${before.done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')} sent; asking ${base}/api/campaigns/${campaign.id} over ${connections} connections for ${seconds} s`);

  const t0 = Date.now();
  const result = await autocannon({
    url: `${base}/api/campaigns/${campaign.id}`,
    connections,
    duration: seconds,
    headers: { authorization: `Bearer ${token}` },
  });
  // What each status read used to cost on top (before it asked the counters first): a walk of
  // the delivery records looking for failures, here with none to find. Timed in the same send.
  const walks: number[] = [];
  for (let i = 0; i < 10; i++) {
    const w0 = performance.now();
    await setup.app.campaigns.deliveries(campaign.id, { state: 'failed', limit: 20 });
    walks.push(performance.now() - w0);
  }
  walks.sort((x, y) => x - y);
  const after = await doneOf();
  const sendRate = (after.done - before.done) / ((Date.now() - t0) / 1000);
  for (let s = after; s.c.status === 'sending'; s = await doneOf()) await new Promise((r) => setTimeout(r, 200));

  const figures = {
    recipients: n,
    workers: workerCount,
    connectionsPerWorker: concurrency,
    apiConnections: connections,
    requests: result.requests.total,
    non2xx: result.non2xx,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    sentDuringMeasure: after.done - before.done,
    sendPerSecondDuringMeasure: Math.round(sendRate),
    campaignStillSendingAtEnd: after.c.status === 'sending',
    oldFailureWalkMs: { median: Math.round(walks[5] ?? 0), max: Math.round(walks[9] ?? 0) },
  };
  if (args.json) process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  else {
    const rows: Array<[string, string]> = [
      ['requests', `${figures.requests} (${figures.non2xx} not 2xx) in ${seconds} s`],
      ['latency p50 / p90', `${figures.latencyMs.p50} / ${figures.latencyMs.p90} ms`],
      ['latency p99 / max', `${figures.latencyMs.p99} / ${figures.latencyMs.max} ms`],
      ['send rate meanwhile', `${figures.sendPerSecondDuringMeasure.toLocaleString('en-US')} msg/s (${figures.sentDuringMeasure.toLocaleString('en-US')} sent)`],
      ['still sending at end', String(figures.campaignStillSendingAtEnd)],
      ['old failure walk', `${figures.oldFailureWalkMs.median} ms median, ${figures.oldFailureWalkMs.max} ms max (one call; no longer made with 0 failures)`],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
  }
} finally {
  await Promise.all(children.map(stop));
  await setup.close();
  sink.stop();
}

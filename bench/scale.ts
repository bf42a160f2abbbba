/**
 * Scale-out benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/scale.ts [--n 20000] [--workers 1,2,4] [--concurrency 4] [--json]
 *
 * One list of N subscribers, the example edition, and one campaign per round, sent by 1, 2 and
 * 4 `newsdesk worker` processes (each with --concurrency connections) to the same Postfix
 * `smtp-sink` on loopback, through the same Redis (REDIS_URL, or REDIS_CLUSTER_NODES).
 * Prints messages per second per round and the speed-up over one worker.
 *
 * On one machine the workers share its cores with Redis and the sink, so the figures show how
 * far one host goes and that nothing serializes the workers; on separate hosts each worker
 * brings its own cores.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { type CampaignRun, say, sendCampaign, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const rounds = args.workers.split(',').map(Number);
const concurrency = Number(args.concurrency);

const sink = await startSmtpSink();
const setup = await setUpBench({ n, smtpUrl: sink.url, concurrency });
const results: Array<CampaignRun & { workers: number; connections: number }> = [];
try {
  say(`bench: ${n.toLocaleString('en-US')} recipients per round, ${(setup.messageBytes / 1024).toFixed(1)} KB messages, ${cpus().length} cores, smtp-sink on :${sink.port}`);
  for (const workers of rounds) {
    say(`bench: ${workers} worker process(es) × ${concurrency} connections`);
    const run = await sendCampaign(setup, { workers, concurrency });
    if (run.sent !== n) throw new Error(`round with ${workers} workers sent ${run.sent} of ${n}`);
    results.push({ workers, connections: workers * concurrency, ...run });
  }
} finally {
  await setup.close();
  sink.stop();
}

const base = results[0]?.perSecond ?? 1;
if (args.json) {
  process.stdout.write(`${JSON.stringify({ recipients: n, messageBytes: setup.messageBytes, cores: cpus().length, rounds: results.map((r) => ({ ...r, speedup: Number((r.perSecond / base).toFixed(2)) })) }, null, 2)}\n`);
} else {
  process.stdout.write('| workers | connections | sent | seconds | msg/s | speed-up | peak RSS per worker |\n');
  process.stdout.write('| ---: | ---: | ---: | ---: | ---: | ---: | --- |\n');
  for (const r of results) {
    process.stdout.write(
      `| ${r.workers} | ${r.connections} | ${r.sent.toLocaleString('en-US')} | ${r.seconds} | ${r.perSecond.toLocaleString('en-US')} | ${(r.perSecond / base).toFixed(2)}× | ${r.workerPeakRssMb.map((m) => `${m} MB`).join(', ')} |\n`,
    );
  }
}
say(`bench: ${results.map((r) => `${r.workers} worker(s) ${r.perSecond}/s`).join(', ')}`);

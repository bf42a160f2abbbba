/**
 * End-to-end send benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/send.ts [--n 20000] [--workers 2] [--concurrency 8] [--tracking off|aggregate|per-reader] [--json]
 *
 * N subscribers on a list, the example edition, `newsdesk worker` processes, Redis, and Postfix's
 * `smtp-sink` on loopback as the SMTP server (Debian package `postfix`). In the same run,
 * Postfix's `smtp-source` (a C client) sends messages of the same size over the same number of
 * connections to the same sink: the ceiling of this machine. Prints messages per second for
 * both, their ratio, and each worker's peak RSS.
 *
 * Targets (2-core machine): ≥ 1,000 msg/s end to end, ratio ≥ 0.5, worker RSS < 150 MB at 100,000.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { ClickTracking } from '../src/domain/tracking.schema.ts';
import { say, sendCampaign, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
    tracking: { type: 'string' },
  },
});
const tracking = args.tracking === undefined ? undefined : ClickTracking.parse(args.tracking);
const n = Number(args.n);
const workerCount = Number(args.workers);
const concurrency = Number(args.concurrency);

const sink = await startSmtpSink();
const setup = await setUpBench({ n, smtpUrl: sink.url, concurrency, tracking });

try {
  say(`bench: ${n.toLocaleString('en-US')} subscribers, ${workerCount} worker process(es) × ${concurrency} connections, smtp-sink on :${sink.port}`);
  const size = setup.messageBytes;
  const run = await sendCampaign(setup, { workers: workerCount, concurrency });
  const pipelineRate = run.sent / run.seconds;

  // The ceiling: Postfix's own client, same message size, same connections, same sink.
  const connections = workerCount * concurrency;
  const sourceN = Math.min(n, 20_000);
  const t0 = process.hrtime.bigint();
  execFileSync('smtp-source', ['-l', String(size), '-m', String(sourceN), '-s', String(connections), '-f', 'bench@bench.example.org', '-t', 'r@bench.example.org', `127.0.0.1:${sink.port}`]);
  const sourceRate = sourceN / (Number(process.hrtime.bigint() - t0) / 1e9);

  const result = {
    recipients: n,
    tracking: setup.newsletter.tracking.clicks,
    sent: run.sent,
    failed: run.failed,
    messageBytes: size,
    workers: workerCount,
    connectionsPerWorker: concurrency,
    seconds: run.seconds,
    pipelinePerSecond: Math.round(pipelineRate),
    smtpSourcePerSecond: Math.round(sourceRate),
    ratio: Number((pipelineRate / sourceRate).toFixed(2)),
    workerPeakRssMb: run.workerPeakRssMb,
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const rows: Array<[string, string]> = [
      ['click tracking', result.tracking],
      ['message size', `${(size / 1024).toFixed(1)} KB`],
      ['newsdesk end to end', `${result.pipelinePerSecond.toLocaleString('en-US')} msg/s (${result.sent.toLocaleString('en-US')} sent in ${result.seconds} s)`],
      ['smtp-source ceiling', `${result.smtpSourcePerSecond.toLocaleString('en-US')} msg/s (${connections} connections)`],
      ['ratio', String(result.ratio)],
      ['worker peak RSS', result.workerPeakRssMb.map((m) => `${m} MB`).join(', ')],
    ];
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
  }
  say(`bench: ${result.pipelinePerSecond}/s end to end vs ${result.smtpSourcePerSecond}/s smtp-source (ratio ${result.ratio}); peak worker RSS ${Math.max(...result.workerPeakRssMb)} MB`);
} finally {
  await setup.close();
  sink.stop();
}

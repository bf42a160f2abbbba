/**
 * End-to-end send benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/send.ts [--n 20000] [--workers 2] [--concurrency 8] [--tracking off|aggregate|per-reader]
 *       [--dkim [--ed25519] [--dkim-threads N]] [--cluster] [--source-n N] [--json]
 *
 * N subscribers imported into a list (a generated CSV through the real import), the example
 * edition, `newsdesk worker` processes, Redis, and Postfix's `smtp-sink` on loopback as the SMTP
 * server (Debian package `postfix`). In the same run, Postfix's `smtp-source` (a C client) sends
 * messages of the same size over the same number of connections to the same sink: the ceiling of
 * this machine, on min(N, 100,000) messages unless `--source-n` says otherwise. Prints messages per
 * second for both, their ratio, each worker's peak RSS, fan-out and first-message times, and the
 * Redis bytes per subscriber and per delivery (after the finished campaign's ledger is compact),
 * and the workers' CPU per message (every thread, from the campaign's start to its end).
 *
 * Exactly once: the campaign must record N sent, and the sink must have taken exactly N messages
 * (its own counter): N distinct recipients each recorded sent, and N messages in all, leave no
 * room for a duplicate. The bench exits 1 otherwise.
 *
 * --dkim       the workers sign (RSA-2048 key generated here; a sample is checked with mailauth)
 * --ed25519    and add the Ed25519 second signature (RFC 8463)
 * --dkim-threads N   DKIM_THREADS for the workers (default: theirs)
 * --cluster    run against a three-master Redis Cluster started here (redis-server, redis-cli); as
 *              nobody else uses it, the JSON adds redisCpuMicrosPerDelivery (INFO cpu over the send)
 *
 * Targets (2-core machine): ≥ 1,000 msg/s end to end, ratio ≥ 0.5 (≥ 0.6 with --dkim), worker RSS
 * < 150 MB at 100,000. docs/scale.md has the figures and what they mean for 10 million readers.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { createKeys } from '../src/store/redis.ts';
import { ClickTracking } from '../src/domain/tracking.schema.ts';
import { startRedisCluster, type RedisClusterServers } from '../test/support/redis-server.ts';
import { benchDkim, type BenchDkim } from './lib/bench-dkim.ts';
import { say, sendCampaign, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';
import { redisCpuSeconds } from './lib/redis-cpu.ts';
import { campaignKeyPatterns, keyMemory, subscriberKeyPatterns, compactLedger } from './lib/redis-memory.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
    tracking: { type: 'string' },
    dkim: { type: 'boolean', default: false },
    ed25519: { type: 'boolean', default: false },
    'dkim-threads': { type: 'string' },
    cluster: { type: 'boolean', default: false },
    'source-n': { type: 'string' },
    'compaction-timeout': { type: 'string', default: '60' },
  },
});
const tracking = args.tracking === undefined ? undefined : ClickTracking.parse(args.tracking);
const n = Number(args.n);
const workerCount = Number(args.workers);
const concurrency = Number(args.concurrency);
const sourceN = Math.min(n, Number(args['source-n'] ?? 100_000));
if (args.ed25519 && !args.dkim) {
  say('bench: --ed25519 goes with --dkim (the Ed25519 signature is a second one, beside RSA)');
  process.exit(2);
}

let cluster: RedisClusterServers | undefined;
let dkim: BenchDkim | undefined;
const sink = await startSmtpSink();
try {
  if (args.cluster) {
    cluster = await startRedisCluster(3);
    say(`bench: Redis Cluster of 3 masters on ${cluster.env}`);
  }
  if (args.dkim) dkim = await benchDkim({ ed25519: args.ed25519, threads: args['dkim-threads'] === undefined ? undefined : Number(args['dkim-threads']) });
  const t0 = Date.now();
  const setup = await setUpBench({
    n,
    smtpUrl: sink.url,
    concurrency,
    tracking,
    redisEnv: cluster ? { REDIS_CLUSTER_NODES: cluster.env } : undefined,
    env: dkim?.env,
  });
  try {
    const keys = createKeys(setup.prefix);
    say(`bench: imported ${n.toLocaleString('en-US')} readers in ${setup.importSeconds} s`);
    const subscriberBytes = await keyMemory(setup.app.redis, subscriberKeyPatterns(keys));
    // smtp-source sends what the workers send: the signed size with --dkim.
    const size = dkim ? await dkim.signAndVerify(setup.sampleMessage) : setup.messageBytes;
    say(`bench: ${n.toLocaleString('en-US')} subscribers, ${workerCount} worker process(es) × ${concurrency} connections, smtp-sink on :${sink.port}${dkim ? `, DKIM ${args.ed25519 ? 'RSA-2048 + Ed25519' : 'RSA-2048'}` : ''}${cluster ? ', Redis Cluster' : ''}`);
    const cpu0 = await redisCpuSeconds(setup.app.redis);
    const run = await sendCampaign(setup, { workers: workerCount, concurrency });
    const redisCpu = (await redisCpuSeconds(setup.app.redis)) - cpu0;
    const pipelineRate = run.sent / run.seconds;
    const sinkMessages = sink.messages();

    // What the finished campaign keeps, once its ledger is compact (or the wait gives up).
    const compaction = await compactLedger(setup.app.campaigns.ledger, run.campaignId, Number(args['compaction-timeout']) * 1000);
    const campaignBytes = await keyMemory(setup.app.redis, campaignKeyPatterns(keys, run.campaignId));

    // The ceiling: Postfix's own client, same message size, same connections, same sink.
    const connections = workerCount * concurrency;
    const s0 = process.hrtime.bigint();
    execFileSync('smtp-source', ['-l', String(size), '-m', String(sourceN), '-s', String(connections), '-f', 'bench@bench.example.org', '-t', 'r@bench.example.org', `127.0.0.1:${sink.port}`]);
    const sourceRate = sourceN / (Number(process.hrtime.bigint() - s0) / 1e9);

    const exactlyOnce = run.sent === n && sinkMessages === n;
    const result = {
      recipients: n,
      tracking: setup.newsletter.tracking.clicks,
      dkim: dkim ? (args.ed25519 ? 'rsa-sha256+ed25519-sha256' : 'rsa-sha256') : 'off',
      redis: cluster ? 'cluster (3 masters)' : 'single',
      sent: run.sent,
      failed: run.failed,
      sinkMessages,
      exactlyOnce,
      messageBytes: size,
      workers: workerCount,
      connectionsPerWorker: concurrency,
      importSeconds: setup.importSeconds,
      seconds: run.seconds,
      pipelinePerSecond: Math.round(pipelineRate),
      smtpSourceMessages: sourceN,
      smtpSourcePerSecond: Math.round(sourceRate),
      ratio: Number((pipelineRate / sourceRate).toFixed(2)),
      workerPeakRssMb: run.workerPeakRssMb,
      fanoutSeconds: run.fanoutSeconds,
      firstMessageSeconds: run.firstMessageSeconds,
      workerCpuMsPerMessage: run.workerCpuMsPerMessage,
      redisBytesPerSubscriber: Math.round(subscriberBytes.bytes / n),
      redisBytesPerDelivery: Math.round(campaignBytes.bytes / n),
      ledgerCompacted: compaction.compacted,
      compactionSeconds: compaction.seconds,
      // Only with --cluster: the bench's own Redis, no one else's work in the figure.
      redisCpuMicrosPerDelivery: cluster ? Math.round((redisCpu * 1e6) / n) : undefined,
      wallSeconds: Math.round((Date.now() - t0) / 1000),
    };
    if (args.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      const rows: Array<[string, string]> = [
        ['click tracking', result.tracking],
        ['DKIM', result.dkim],
        ['Redis', result.redis],
        ['message size', `${(size / 1024).toFixed(1)} KB`],
        ['import', `${result.importSeconds} s`],
        ['newsdesk end to end', `${result.pipelinePerSecond.toLocaleString('en-US')} msg/s (${result.sent.toLocaleString('en-US')} sent in ${result.seconds} s)`],
        ['smtp-source ceiling', `${result.smtpSourcePerSecond.toLocaleString('en-US')} msg/s (${connections} connections, ${sourceN.toLocaleString('en-US')} messages)`],
        ['ratio', String(result.ratio)],
        ['exactly once', `${result.exactlyOnce} (sink took ${sinkMessages.toLocaleString('en-US')})`],
        ['fan-out', `${result.fanoutSeconds ?? '?'} s`],
        ['first 250 messages', `${result.firstMessageSeconds ?? '?'} s`],
        ['worker peak RSS', result.workerPeakRssMb.map((m) => `${m} MB`).join(', ')],
        ['worker CPU per message', result.workerCpuMsPerMessage === undefined ? '?' : `${result.workerCpuMsPerMessage} ms (all workers, every thread)`],
        ['Redis per subscriber', `${result.redisBytesPerSubscriber} B`],
        ['Redis per delivery', `${result.redisBytesPerDelivery} B${compaction.compacted ? ' (ledger compact)' : ' (ledger not compacted)'}`],
        ...(result.redisCpuMicrosPerDelivery === undefined ? [] : [['Redis CPU per delivery', `${result.redisCpuMicrosPerDelivery} µs (all masters, campaign only)`] as [string, string]]),
      ];
      for (const [k, v] of rows) process.stdout.write(`${k.padEnd(22)} ${v}\n`);
    }
    say(`bench: ${result.pipelinePerSecond}/s end to end vs ${result.smtpSourcePerSecond}/s smtp-source (ratio ${result.ratio}); peak worker RSS ${Math.max(...result.workerPeakRssMb)} MB`);
    if (!exactlyOnce) {
      say(`bench: NOT exactly once: ${run.sent} recorded sent and ${sinkMessages} taken by the sink, for ${n} recipients`);
      process.exitCode = 1;
    }
  } finally {
    await setup.close();
  }
} finally {
  sink.stop();
  await dkim?.close();
  await cluster?.stop();
}

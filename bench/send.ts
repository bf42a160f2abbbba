/**
 * End-to-end send benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/send.ts [--n 20000] [--workers 2] [--concurrency 8] [--json]
 *
 * N subscribers on a list, the example edition, `newsdesk worker` processes, Redis, and Postfix's
 * `smtp-sink` on loopback as the SMTP server (Debian package `postfix`). In the same run,
 * Postfix's `smtp-source` (a C client) sends messages of the same size over the same number of
 * connections to the same sink: the ceiling of this machine. Prints messages per second for
 * both, their ratio, and each worker's peak RSS.
 *
 * Targets (2-core machine): ≥ 1,000 msg/s end to end, ratio ≥ 0.5, worker RSS < 150 MB at 100,000.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { composeEditionFile } from '../src/composer/compose-edition.ts';
import { newsletterDirs } from '../src/composer/newsletter.loader.ts';
import { loadConfig } from '../src/config.ts';
import { SubscriberInput } from '../src/domain/subscriber.schema.ts';
import { prepareCampaignMessage } from '../src/mail/campaign-message.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const workerCount = Number(args.workers);
const concurrency = Number(args.concurrency);
const say = (line: string) => process.stderr.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const port = await freePort();
const sink: ChildProcess = spawn('smtp-sink', ['-u', 'root', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
sink.once('error', () => {
  say('bench: smtp-sink not found: apt-get install postfix (it brings smtp-sink and smtp-source)');
  process.exit(2);
});
await new Promise((r) => setTimeout(r, 300));

const prefix = `bench-${randomBytes(4).toString('hex')}`;
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  NEWSDESK_PREFIX: prefix,
  SMTP_URL: `smtp://127.0.0.1:${port}`,
  SMTP_POOL_SIZE: String(concurrency),
  LOG_LEVEL: 'warn',
  NEWSDESK_SECRET: randomBytes(24).toString('hex'),
};
const config = loadConfig(env);
const app = await createApp(config, { logger: pino({ level: 'warn' }) });

try {
  say(`bench: ${n.toLocaleString('en-US')} subscribers, ${workerCount} worker process(es) × ${concurrency} connections, smtp-sink on :${port}`);
  await app.stores.lists.create({ id: 'bench', newsletter: 'daily' });
  for (let i = 0; i < n; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - i) }, (_, k) => SubscriberInput.parse({ email: `r${i + k}@bench.example.org`, name: `Reader ${i + k}` }));
    await app.stores.subscribers.joinList('bench', rows, { via: 'import' });
  }
  const { edition, newsletter, compiled } = await composeEditionFile('examples/editions/2025-02-13.yaml', {
    newsletterDirs: newsletterDirs(config.newslettersDir),
  });
  const sample = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'bench', listId: 'bench' } }).render({
    email: 'r1@bench.example.org',
    name: 'Reader 1',
    unsubscribeUrl: `${config.publicUrl}/u/${'x'.repeat(46)}`,
    viewUrl: `${config.publicUrl}/v/${'x'.repeat(46)}`,
  });
  const size = sample.raw.length;

  // Workers first, so the clock measures sending, not process start-up.
  const startAt = new Date(Date.now() + 4000);
  const workers = Array.from({ length: workerCount }, () =>
    // Run as users run it (`npx newsdesk worker`): through the bin's shebang and its Node flags.
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" runs node with those flags instead.
    process.env.BENCH_NODE_ARGS
      ? spawn(process.execPath, [...process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean), 'bin/newsdesk.js', 'worker', '--concurrency', String(concurrency)], { env, stdio: 'inherit' })
      : spawn('bin/newsdesk.js', ['worker', '--concurrency', String(concurrency)], { env, stdio: 'inherit' }),
  );
  const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: ['bench'], at: startAt });
  const peaks = workers.map(() => 0);
  const poll = setInterval(() => workers.forEach((w, i) => (peaks[i] = Math.max(peaks[i] ?? 0, peakRssMb(w.pid ?? 0) ?? 0))), 200);
  let last = 0;
  for (;;) {
    const c = await app.campaigns.get(campaign.id);
    if (c.status === 'sent' || c.status === 'failed' || c.status === 'cancelled') break;
    if (workers.every((w) => w.exitCode !== null)) throw new Error(`every worker exited before the campaign finished (${c.status})`);
    const done = c.counts.sent + c.counts.failed + c.counts.skipped;
    if (Date.now() - last > 2000 && c.status === 'sending') {
      say(`bench: ${done.toLocaleString('en-US')} / ${n.toLocaleString('en-US')}`);
      last = Date.now();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  clearInterval(poll);
  // SIGTERM: the workers finish what is in flight (nothing, by now) and exit.
  await Promise.all(
    workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : (w.once('exit', r), w.kill('SIGTERM'))))),
  );
  const done = await app.campaigns.get(campaign.id);
  const seconds = (Date.parse(done.finishedAt as string) - Date.parse(done.startedAt as string)) / 1000;
  const pipelineRate = done.counts.sent / seconds;

  // The ceiling: Postfix's own client, same message size, same connections, same sink.
  const connections = workerCount * concurrency;
  const sourceN = Math.min(n, 20_000);
  const t0 = process.hrtime.bigint();
  execFileSync('smtp-source', ['-l', String(size), '-m', String(sourceN), '-s', String(connections), '-f', 'bench@bench.example.org', '-t', 'r@bench.example.org', `127.0.0.1:${port}`]);
  const sourceRate = sourceN / (Number(process.hrtime.bigint() - t0) / 1e9);

  const result = {
    recipients: n,
    sent: done.counts.sent,
    failed: done.counts.failed,
    messageBytes: size,
    workers: workerCount,
    connectionsPerWorker: concurrency,
    seconds: Number(seconds.toFixed(2)),
    pipelinePerSecond: Math.round(pipelineRate),
    smtpSourcePerSecond: Math.round(sourceRate),
    ratio: Number((pipelineRate / sourceRate).toFixed(2)),
    workerPeakRssMb: peaks.map((p) => Math.round(p)),
  };
  if (args.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const rows: Array<[string, string]> = [
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
  await deleteKeysWithPrefix(app.redis, prefix);
  await app.close();
  sink.kill();
}

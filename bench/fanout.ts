/**
 * Fan-out benchmark (not a test: it prints figures).
 *
 *   npx tsx bench/fanout.ts [--n 1000000] [--first-message] [--json]
 *
 * A list of N members and one campaign to it, fanned out by the real start job's code
 * (`runFanout`, BullMQ's send queue as the sink, the configured SEND_BATCH_SIZE) with no worker
 * sending: how long until the first send-batch job is queued, how long the whole fan-out takes
 * (registering N deliveries and adding N / batch size jobs), and this process's peak RSS.
 * The fan-out reads only the list's membership bitmap and the highest subscriber id, so the list
 * is written as that bitmap directly; no subscriber records are made.
 *
 * `--first-message` instead runs the production path: one `newsdesk worker` process and Postfix's
 * `smtp-sink`, a campaign starting now, and the time from the campaign's start to its first sent
 * message; then the campaign is cancelled. Subscriber records exist for the first 10,000 ids only
 * (members beyond them are never reached before the cancel).
 *
 * Targets: 1,000,000 recipients fanned out in ≤ 30 s; the first message ≤ 2 s after the start.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { composeEditionFile } from '../src/composer/compose-edition.ts';
import { newsletterDirs } from '../src/composer/newsletter.loader.ts';
import { loadConfig } from '../src/config.ts';
import { SubscriberInput } from '../src/domain/subscriber.schema.ts';
import { queueBatchSink } from '../src/queue/batch-sink.ts';
import { runFanout } from '../src/queue/fanout.job.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';
import { peakRssMb, say, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '1000000' },
    'first-message': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(args.n);
const firstMessage = args['first-message'];

const sink = firstMessage ? await startSmtpSink() : undefined;
const prefix = `bench-${randomBytes(4).toString('hex')}`;
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  NEWSDESK_PREFIX: prefix,
  SMTP_URL: sink?.url ?? 'smtp://127.0.0.1:1',
  LOG_LEVEL: 'warn',
  NEWSDESK_SECRET: randomBytes(24).toString('hex'),
  ...(process.env.SEND_BATCH_SIZE ? { SEND_BATCH_SIZE: process.env.SEND_BATCH_SIZE } : {}),
};
const config = loadConfig(env);
const app = await createApp(config, { logger: pino({ level: 'warn' }) });
let worker: ChildProcess | undefined;

try {
  await app.stores.lists.create({ id: 'bench', newsletter: 'daily' });
  if (firstMessage) {
    // Records for the first ids, so the first batches have someone to mail.
    const records = Math.min(n, 10_000);
    for (let i = 0; i < records; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, records - i) }, (_, k) => SubscriberInput.parse({ email: `r${i + k}@bench.example.org` }));
      await app.stores.subscribers.joinList('bench', rows, { via: 'import' });
    }
  }
  // The list: ids 1 … n, as its membership bitmap, and the id sequence at n.
  const bitmap = Buffer.alloc(Math.ceil((n + 1) / 8), 0xff);
  bitmap[0] = (bitmap[0] as number) & 0x7f; // no subscriber 0
  const spare = bitmap.length * 8 - (n + 1);
  if (spare > 0) bitmap[bitmap.length - 1] = (bitmap[bitmap.length - 1] as number) & ((0xff << spare) & 0xff);
  await app.redis.set(app.stores.keys.listMembers('bench'), bitmap);
  await app.redis.set(app.stores.keys.subscriberSeq, String(n));
  const { edition, compiled, newsletter } = await composeEditionFile('examples/editions/2025-02-13.yaml', { newsletterDirs: newsletterDirs(config.newslettersDir) });
  const usedBefore = Number(/used_memory:(\d+)/.exec(await app.redis.info('memory'))?.[1] ?? 0);

  if (!firstMessage) {
    const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: ['bench'], at: new Date(Date.now() + 3_600_000), again: true, confirmDate: true });
    let firstBatchMs: number | undefined;
    let peak = 0;
    const rss = setInterval(() => (peak = Math.max(peak, peakRssMb(process.pid) ?? 0)), 100);
    const base = queueBatchSink(app.queues.send, { attempts: config.send.attempts, backoffMs: config.send.backoffMs });
    say(`bench: fan-out of ${n.toLocaleString('en-US')} recipients, batches of ${config.send.batchSize}`);
    const rssBefore = process.memoryUsage().rss / 1024 / 1024;
    let rssPeak = rssBefore;
    const rssNow = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss / 1024 / 1024)), 50);
    const t0 = performance.now();
    const r = await runFanout(campaign.id, {
      campaigns: app.campaigns,
      members: app.recipients,
      logger: pino({ level: 'warn' }),
      batchSize: config.send.batchSize,
      sink: {
        async addBatches(batches) {
          await base.addBatches(batches);
          firstBatchMs ??= performance.now() - t0;
        },
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(rss);
    clearInterval(rssNow);
    const jobs = await app.queues.send.getJobCountByTypes('waiting', 'prioritized', 'delayed');
    const usedAfter = Number(/used_memory:(\d+)/.exec(await app.redis.info('memory'))?.[1] ?? 0);
    const result = {
      recipients: n,
      registered: r.kind === 'done' ? r.recipients : 0,
      jobs,
      batchSize: config.send.batchSize,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Math.round(n / seconds),
      firstBatchMs: Math.round(firstBatchMs ?? 0),
      peakRssMb: Math.round(Math.max(peak, peakRssMb(process.pid) ?? 0)),
      /** What the fan-out itself added to this process's RSS (the worker that runs it adds the same). */
      rssGrowthMb: Math.round(rssPeak - rssBefore),
      redisBytesPerRecipient: Math.round((usedAfter - usedBefore) / n),
    };
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      for (const [k, v] of [
        ['fan-out', `${result.seconds} s for ${result.registered.toLocaleString('en-US')} recipients (${result.perSecond.toLocaleString('en-US')}/s), ${result.jobs.toLocaleString('en-US')} jobs`],
        ['first batch queued', `${result.firstBatchMs} ms after the start`],
        ['peak RSS', `${result.peakRssMb} MB (this process, with the composer loaded); the fan-out added ${result.rssGrowthMb} MB`],
        ['Redis, per recipient', `${result.redisBytesPerRecipient} B (deliveries + jobs; shared server, indicative)`],
      ] as const)
        process.stdout.write(`${k.padEnd(22)} ${v}\n`);
    }
  } else {
    worker = spawn('bin/newsdesk.js', ['worker'], { env, stdio: 'inherit' });
    // Let the worker start (it runs both queues), then start a campaign now.
    await new Promise((r) => setTimeout(r, 4000));
    const campaign = await app.service.create({ compiled, newsletter, subject: edition.subject, lists: ['bench'], again: true, confirmDate: true });
    let c = await app.campaigns.get(campaign.id);
    const deadline = Date.now() + 60_000;
    while (c.counts.sent === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      c = await app.campaigns.get(campaign.id);
    }
    const firstSent = Date.now();
    await app.service.cancel(campaign.id);
    const started = Date.parse(c.startedAt ?? c.scheduledAt);
    const result = { recipients: n, firstMessageMs: firstSent - started, scheduledToStartMs: started - Date.parse(c.scheduledAt) };
    if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${'first message'.padEnd(22)} ${result.firstMessageMs} ms after the campaign started (its start job ran ${result.scheduledToStartMs} ms after its time)\n`);
  }
} finally {
  if (worker && worker.exitCode === null) await new Promise((r) => (worker?.once('exit', r), worker?.kill('SIGTERM')));
  await deleteKeysWithPrefix(app.redis, prefix);
  await app.close();
  sink?.stop();
}

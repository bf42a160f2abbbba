/**
 * Pieces shared by the end-to-end benchmarks (bench/send.ts, bench/scale.ts): Postfix's
 * smtp-sink on a free loopback port, a private key prefix with a list of N subscribers and the
 * compiled example edition, and one campaign sent by K `newsdesk worker` processes, timed from
 * the campaign's own start and finish stamps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { type App, createApp } from '../../src/app.ts';
import { composeEditionFile } from '../../src/composer/compose-edition.ts';
import { newsletterDirs } from '../../src/composer/newsletter.loader.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import type { Newsletter } from '../../src/domain/newsletter.schema.ts';
import type { ClickTracking } from '../../src/domain/tracking.schema.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { deleteKeysWithPrefix } from '../../test/support/redis.ts';
import { freePort } from '../../test/support/redis-server.ts';

/** Progress lines go to stderr, so stdout holds only the figures (or the JSON). */
export const say = (line: string) => process.stderr.write(`${line}\n`);

/** A process's peak resident memory (VmHWM) in MB, while it runs. */
export function peakRssMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface Sink {
  port: number;
  url: string;
  stop(): void;
}

/** Starts `smtp-sink` (Debian package `postfix`) on a free port; exits the bench with a hint if it is missing. */
export async function startSmtpSink(): Promise<Sink> {
  const port = await freePort();
  const sink: ChildProcess = spawn('smtp-sink', ['-u', 'root', `127.0.0.1:${port}`, '1000'], { stdio: 'ignore' });
  sink.once('error', () => {
    say('bench: smtp-sink not found: apt-get install postfix (it brings smtp-sink and smtp-source)');
    process.exit(2);
  });
  await new Promise((r) => setTimeout(r, 300));
  return { port, url: `smtp://127.0.0.1:${port}`, stop: () => sink.kill() };
}

export interface BenchSetup {
  app: App;
  config: Config;
  /** Environment for the worker processes. */
  env: Record<string, string>;
  prefix: string;
  listId: string;
  recipients: number;
  compiled: CompiledEmail;
  newsletter: Newsletter;
  subject: string;
  /** Size of one rendered message in bytes. */
  messageBytes: number;
  /** Deletes the bench's keys and closes the app. */
  close(): Promise<void>;
}

/** A fresh prefix with list `bench` of `n` subscribers, and the example edition compiled once. */
/** `tracking`: the click-tracking mode the campaign uses. Default: what newsletters/daily.yaml says. */
export async function setUpBench(opts: { n: number; smtpUrl: string; concurrency: number; tracking?: ClickTracking | undefined }): Promise<BenchSetup> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ...(process.env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES } : {}),
    NEWSDESK_PREFIX: prefix,
    SMTP_URL: opts.smtpUrl,
    SMTP_POOL_SIZE: String(opts.concurrency),
    LOG_LEVEL: 'warn',
    NEWSDESK_SECRET: randomBytes(24).toString('hex'),
  };
  const config = loadConfig(env);
  const app = await createApp(config, { logger: pino({ level: 'warn' }) });
  const close = async () => {
    await deleteKeysWithPrefix(app.redis, prefix);
    await app.close();
  };
  try {
    await app.stores.lists.create({ id: 'bench', newsletter: 'daily' });
    for (let i = 0; i < opts.n; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, opts.n - i) }, (_, k) =>
        SubscriberInput.parse({ email: `r${i + k}@bench.example.org`, name: `Reader ${i + k}` }),
      );
      await app.stores.subscribers.joinList('bench', rows, { via: 'import' });
    }
    const composed = await composeEditionFile('examples/editions/2025-02-13.yaml', {
      newsletterDirs: newsletterDirs(config.newslettersDir),
    });
    const { edition, compiled } = composed;
    const newsletter = opts.tracking ? { ...composed.newsletter, tracking: { ...composed.newsletter.tracking, clicks: opts.tracking } } : composed.newsletter;
    const sample = prepareCampaignMessage({ compiled, newsletter, campaign: { id: 'bench', listId: 'bench' } }).render({
      email: 'r1@bench.example.org',
      name: 'Reader 1',
      unsubscribeUrl: `${config.publicUrl}/u/${'x'.repeat(46)}`,
      viewUrl: `${config.publicUrl}/v/${'x'.repeat(46)}`,
    });
    return {
      app,
      config,
      env,
      prefix,
      listId: 'bench',
      recipients: opts.n,
      compiled,
      newsletter,
      subject: edition.subject,
      messageBytes: sample.raw.length,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

export interface CampaignRun {
  sent: number;
  failed: number;
  seconds: number;
  perSecond: number;
  workerPeakRssMb: number[];
}

/**
 * Sends one campaign to the bench list with `workers` worker processes of `concurrency` each.
 * The workers start first and the campaign a few seconds later, so the clock (the campaign's
 * startedAt → finishedAt) measures sending, not process start-up.
 */
export async function sendCampaign(setup: BenchSetup, opts: { workers: number; concurrency: number }): Promise<CampaignRun> {
  const { app, env } = setup;
  const startAt = new Date(Date.now() + 4000);
  const workers = Array.from({ length: opts.workers }, () =>
    // Run as users run it (`npx newsdesk worker`): through the bin's shebang and its Node flags.
    // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" runs node with those flags instead.
    process.env.BENCH_NODE_ARGS
      ? spawn(process.execPath, [...process.env.BENCH_NODE_ARGS.split(' ').filter(Boolean), 'bin/newsdesk.js', 'worker', '--concurrency', String(opts.concurrency)], { env, stdio: 'inherit' })
      : spawn('bin/newsdesk.js', ['worker', '--concurrency', String(opts.concurrency)], { env, stdio: 'inherit' }),
  );
  try {
    const campaign = await app.service.create({ compiled: setup.compiled, newsletter: setup.newsletter, subject: setup.subject, lists: [setup.listId], at: startAt, again: true, confirmDate: true });
    const peaks = workers.map(() => 0);
    const poll = setInterval(() => workers.forEach((w, i) => (peaks[i] = Math.max(peaks[i] ?? 0, peakRssMb(w.pid ?? 0) ?? 0))), 200);
    let last = 0;
    try {
      for (;;) {
        const c = await app.campaigns.get(campaign.id);
        if (c.status === 'sent' || c.status === 'failed' || c.status === 'cancelled') break;
        if (workers.every((w) => w.exitCode !== null)) throw new Error(`every worker exited before the campaign finished (${c.status})`);
        const done = c.counts.sent + c.counts.failed + c.counts.skipped;
        if (Date.now() - last > 2000 && c.status === 'sending') {
          say(`bench: ${done.toLocaleString('en-US')} / ${setup.recipients.toLocaleString('en-US')}`);
          last = Date.now();
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      clearInterval(poll);
    }
    const done = await app.campaigns.get(campaign.id);
    const seconds = (Date.parse(done.finishedAt as string) - Date.parse(done.startedAt as string)) / 1000;
    return {
      sent: done.counts.sent,
      failed: done.counts.failed,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Math.round(done.counts.sent / seconds),
      workerPeakRssMb: peaks.map((p) => Math.round(p)),
    };
  } finally {
    // SIGTERM: the workers finish what is in flight (nothing, by now) and exit.
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : (w.once('exit', r), w.kill('SIGTERM'))))),
    );
  }
}

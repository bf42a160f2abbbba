/**
 * Pieces shared by the end-to-end benchmarks (bench/send.ts, bench/scale.ts): Postfix's
 * smtp-sink on a free loopback port (counting the messages it takes), a private key prefix with a
 * list of N subscribers imported through the real CSV import, the compiled example edition, and
 * one campaign sent by K `newsdesk worker` processes, timed from the campaign's own start and
 * finish stamps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, openSync, readFileSync, readSync, closeSync, fstatSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type App, createApp } from '../../src/app.ts';
import { composeEditionFile } from '../../src/composer/compose-edition.ts';
import { newsletterDirs } from '../../src/composer/newsletter.loader.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import type { Newsletter } from '../../src/domain/newsletter.schema.ts';
import type { ClickTracking } from '../../src/domain/tracking.schema.ts';
import { prepareCampaignMessage } from '../../src/mail/campaign-message.ts';
import { importCsv } from '../../src/store/csv-import.ts';
import { deleteKeysWithPrefix } from '../../test/support/redis.ts';
import { freePort } from '../../test/support/redis-server.ts';

/** Progress lines go to stderr, so stdout holds only the figures (or the JSON). */
export const say = (line: string) => process.stderr.write(`${line}\n`);

/** CPU seconds a process has used so far, every thread (utime + stime of /proc/<pid>/stat). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name, which sits in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

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
  /** Messages the sink has taken so far (its `-c` counter: one per "." received). */
  messages(): number;
  stop(): void;
}

/** Starts `smtp-sink` (Debian package `postfix`) on a free port; exits the bench with a hint if it is missing. */
export async function startSmtpSink(): Promise<Sink> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-sink-'));
  const counterFile = join(dir, 'counter');
  // -c: running counters on stdout ("sess=… quit=… mesg=…", \r-separated), read back from the file's end.
  const out = openSync(counterFile, 'w');
  const sink: ChildProcess = spawn('smtp-sink', ['-c', '-u', 'root', `127.0.0.1:${port}`, '1000'], { stdio: ['ignore', out, 'ignore'] });
  closeSync(out);
  sink.once('error', () => {
    say('bench: smtp-sink not found: apt-get install postfix (it brings smtp-sink and smtp-source)');
    process.exit(2);
  });
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages() {
      const fd = openSync(counterFile, 'r');
      try {
        const size = fstatSync(fd).size;
        const tail = Buffer.alloc(Math.min(size, 512));
        readSync(fd, tail, 0, tail.length, size - tail.length);
        const all = [...tail.toString('latin1').matchAll(/mesg=(\d+)/g)];
        return Number(all[all.length - 1]?.[1] ?? 0);
      } finally {
        closeSync(fd);
      }
    },
    stop: () => {
      sink.kill();
      void rm(dir, { recursive: true, force: true });
    },
  };
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
  /** One rendered message (for a DKIM check and the size of the signed form). */
  sampleMessage: Buffer;
  /** Seconds the CSV import of the N subscribers took. */
  importSeconds: number;
  /** Deletes the bench's keys and closes the app. */
  close(): Promise<void>;
}

/**
 * A fresh prefix with list `bench` of `n` subscribers (a generated CSV through the real import,
 * `src/store/csv-import.ts`), and the example edition compiled once.
 * `tracking`: the click-tracking mode the campaign uses. Default: what newsletters/daily.yaml says.
 * `redisEnv`: REDIS_URL / REDIS_CLUSTER_NODES for the bench and its workers (default: the process's).
 * `env`: more environment for the workers (DKIM_*).
 */
export async function setUpBench(opts: {
  n: number;
  smtpUrl: string;
  concurrency: number;
  tracking?: ClickTracking | undefined;
  redisEnv?: Record<string, string> | undefined;
  env?: Record<string, string> | undefined;
}): Promise<BenchSetup> {
  const prefix = `bench-${randomBytes(4).toString('hex')}`;
  const redisEnv = opts.redisEnv ?? {
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    ...(process.env.REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES } : {}),
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...redisEnv,
    ...opts.env,
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
    const importSeconds = await importSubscribers(app, opts.n);
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
      sampleMessage: sample.raw,
      importSeconds,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Writes a CSV of `n` readers and imports it the way `newsdesk subscribers import` does; returns the seconds the import took. */
async function importSubscribers(app: App, n: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-bench-csv-'));
  const file = join(dir, 'readers.csv');
  try {
    const out = createWriteStream(file);
    out.write('email,name\n');
    let chunk = '';
    for (let i = 0; i < n; i++) {
      chunk += `r${i}@bench.example.org,Reader ${i}\n`;
      if (chunk.length > 1 << 16) {
        if (!out.write(chunk)) await once(out, 'drain');
        chunk = '';
      }
    }
    out.end(chunk);
    await once(out, 'finish');
    const t0 = performance.now();
    const summary = await importCsv(file, { listId: 'bench' }, { subscribers: app.stores.subscribers, lists: app.stores.lists });
    if (summary.added !== n) throw new Error(`bench: the import added ${summary.added} of ${n} readers (${JSON.stringify(summary.errors.slice(0, 3))})`);
    return Number(((performance.now() - t0) / 1000).toFixed(2));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A campaign of the bench's edition to `lists` (default: the bench list), starting at `at` (none:
 * at once). Benches send the example edition again and again, whatever its date says.
 */
export function createBenchCampaign(setup: BenchSetup, opts: { at?: Date; lists?: string[] } = {}) {
  return setup.app.service.create({
    compiled: setup.compiled,
    newsletter: setup.newsletter,
    subject: setup.subject,
    lists: opts.lists ?? [setup.listId],
    ...(opts.at ? { at: opts.at } : {}),
    again: true,
    confirmDate: true,
  });
}

export interface CampaignRun {
  campaignId: string;
  sent: number;
  failed: number;
  seconds: number;
  perSecond: number;
  /** Each worker's peak RSS (VmHWM) over its whole life, start-up and shutdown included. */
  workerPeakRssMb: number[];
  /** From the campaign's start to the fan-out's end (every send batch queued), as polled (±0.1 s). */
  fanoutSeconds: number | undefined;
  /** From the campaign's start until 250 messages were sent, as polled (±0.05 s). */
  firstMessageSeconds: number | undefined;
  /** The workers' CPU (every thread, signing threads included) from the campaign's start to its end, per message sent, ms. */
  workerCpuMsPerMessage: number | undefined;
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
  // VmHWM is the process's high-water mark: sampled from spawn until exit, the last reading is its peak.
  const peaks = workers.map(() => 0);
  const sample = () => workers.forEach((w, i) => (peaks[i] = Math.max(peaks[i] ?? 0, peakRssMb(w.pid ?? 0) ?? 0)));
  const poll = setInterval(sample, 200);
  try {
    const campaign = await createBenchCampaign(setup, { at: startAt });
    let last = 0;
    let fanoutAt: number | undefined;
    let firstAt: number | undefined;
    const workerCpu = () => workers.reduce((sum, w) => sum + (cpuSeconds(w.pid ?? 0) ?? Number.NaN), 0);
    let cpuAtStart: number | undefined;
    for (;;) {
      const c = await app.campaigns.get(campaign.id);
      const now = Date.now();
      if (c.startedAt && cpuAtStart === undefined) cpuAtStart = workerCpu();
      if (c.startedAt && fanoutAt === undefined && c.fanoutDone) fanoutAt = now;
      if (c.startedAt && firstAt === undefined && c.counts.sent >= Math.min(250, setup.recipients)) firstAt = now;
      if (c.status === 'sent' || c.status === 'failed' || c.status === 'cancelled') break;
      if (workers.every((w) => w.exitCode !== null)) throw new Error(`every worker exited before the campaign finished (${c.status})`);
      const done = c.counts.sent + c.counts.failed + c.counts.skipped;
      if (now - last > 2000 && c.status === 'sending') {
        say(`bench: ${done.toLocaleString('en-US')} / ${setup.recipients.toLocaleString('en-US')}`);
        last = now;
      }
      await new Promise((r) => setTimeout(r, firstAt === undefined ? 50 : 100));
    }
    const cpuUsed = workerCpu() - (cpuAtStart ?? Number.NaN);
    const done = await app.campaigns.get(campaign.id);
    const started = Date.parse(done.startedAt as string);
    const seconds = (Date.parse(done.finishedAt as string) - started) / 1000;
    const since = (at: number | undefined) => (at === undefined ? undefined : Number(((at - started) / 1000).toFixed(2)));
    sample();
    return {
      campaignId: campaign.id,
      sent: done.counts.sent,
      failed: done.counts.failed,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Math.round(done.counts.sent / seconds),
      workerPeakRssMb: peaks,
      fanoutSeconds: since(fanoutAt),
      firstMessageSeconds: since(firstAt),
      workerCpuMsPerMessage: Number.isFinite(cpuUsed) && done.counts.sent ? Number(((cpuUsed * 1000) / done.counts.sent).toFixed(3)) : undefined,
    };
  } finally {
    // SIGTERM: the workers finish what is in flight (nothing, by now) and exit.
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : (w.once('exit', r), w.kill('SIGTERM'))))),
    );
    clearInterval(poll);
    for (const [i, p] of peaks.entries()) peaks[i] = Math.round(p);
  }
}

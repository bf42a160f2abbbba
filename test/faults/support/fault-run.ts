/**
 * What every fault scenario shares: a campaign of a few thousand recipients sent by real
 * `newsdesk worker` processes to a recording SMTP server on loopback, and the comparison of what
 * arrived with the list (recipients, received, unique, duplicates, lost), saved as one row of
 * the reliability table (see report.ts).
 *
 * A scenario is one file `test/faults/NN-name.test.ts` that calls {@link startFaultRun}, does its
 * damage, and ends with {@link FaultRun.finish}. Every process and server it started is stopped
 * by `close()`, also when the test failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Campaign } from '../../../src/domain/campaign.schema.ts';
import { repoPath } from '../../support/editions.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from '../../support/pipeline.ts';
import type { ReceivedMessage, TestSmtpServer } from '../../support/smtp-server.ts';
import { spawnWorker, type WorkerProcess } from '../../support/worker-process.ts';

/**
 * Recipients per scenario. FAULTS_RECIPIENTS overrides it (CI runs the suite trimmed; see
 * docs/reliability.md).
 */
export const RECIPIENTS = Number(process.env.FAULTS_RECIPIENTS ?? 3000);

/** Where each scenario leaves its row for report.ts. */
export const RESULTS_DIR = repoPath('test-artifacts/faults');

/** A seeded generator (mulberry32): a failing run can be repeated with its FAULTS_SEED. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run: FAULTS_SEED, or a fresh one (printed with each row). */
export const SEED = Number(process.env.FAULTS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** What arrived compared with the list. */
export interface Tally {
  recipients: number;
  /** Messages the SMTP server accepted (DATA 250) for the list's addresses. */
  received: number;
  /** Distinct addresses among them. */
  unique: number;
  /** received − unique. */
  duplicates: number;
  /** Addresses on the list that never arrived. */
  lost: number;
}

/** One row of the reliability table. */
export interface ScenarioResult extends Tally {
  id: string;
  scenario: string;
  expectation: string;
  /** Messages in flight at each kill (scenario 1) or at the cancel (scenario 5). */
  inFlight?: number[];
  /** Anything else worth a column: the campaign's status, CPU seconds during an outage, … */
  notes: string;
  seconds: number;
  seed: number;
}

export interface FaultRun {
  p: Pipeline;
  /** The campaign's recipients' addresses. */
  addresses: string[];
  workers: WorkerProcess[];
  /** Starts one more `newsdesk worker` process. */
  startWorker(extraEnv?: Record<string, string>): WorkerProcess;
  /** The workers still running. */
  live(): WorkerProcess[];
  /** Counts what the SMTP servers accepted for `addresses` (default: this run's list). */
  tally(addresses?: string[]): Tally;
  /** Every message accepted so far, by the pipeline's SMTP server and any {@link adoptSmtp}ed one. */
  messages(): ReceivedMessage[];
  /** Counts another SMTP server's messages too (one started again on the same port), and closes it with the run. */
  adoptSmtp(server: TestSmtpServer): void;
  /** Deliveries in `sending` state right now, optionally only those claimed by jobs `jobIds`. */
  claimed(campaignId: string, jobIds?: Set<string>): Promise<number>;
  /** Ids of send jobs a worker process (by pid) holds as active. */
  activeJobsOf(pid: number): Promise<Set<string>>;
  /** Waits until the campaign satisfies `predicate`, failing with its counts after `timeoutMs`. */
  waitFor(id: string, predicate: (c: Campaign) => boolean, timeoutMs: number): Promise<Campaign>;
  /** Saves and prints the scenario's row. */
  finish(result: Omit<ScenarioResult, 'seconds' | 'seed'>): ScenarioResult;
  /** Stops every worker (SIGKILL), the app, the SMTP server, and deletes the keys. Safe twice. */
  close(): Promise<void>;
}

export interface FaultRunOptions extends Omit<PipelineOptions, 'workers'> {
  /** Subscribers on list `daily`. Default {@link RECIPIENTS}. */
  recipients?: number;
}

/** Starts the SMTP server, the app (no workers in this process) and fills list `daily`. */
export async function startFaultRun(options: FaultRunOptions = {}): Promise<FaultRun> {
  const started = Date.now();
  const p = await startPipeline({
    ...options,
    workers: false,
    env: {
      SEND_BATCH_SIZE: '25',
      SEND_ATTEMPTS: '10',
      SEND_BACKOFF_MS: '200',
      SMTP_POOL_SIZE: '4',
      WORKER_LOCK_MS: '2000',
      ...options.env,
    },
  });
  const workers: WorkerProcess[] = [];
  const extraSmtp: TestSmtpServer[] = [];
  const messages = () => [...p.smtp.messages, ...extraSmtp.flatMap((s) => s.messages)];
  let closed = false;
  const n = options.recipients ?? RECIPIENTS;
  try {
    await p.addSubscribers('daily', n);
  } catch (err) {
    await p.close();
    throw err;
  }
  const addresses = Array.from({ length: n }, (_, i) => `reader${i + 1}@example.org`);

  return {
    p,
    addresses,
    workers,
    startWorker(extraEnv = {}) {
      const w = spawnWorker({ ...p.env, ...extraEnv });
      workers.push(w);
      return w;
    },
    live: () => workers.filter((w) => w.alive()),
    messages,
    adoptSmtp: (server) => extraSmtp.push(server),
    tally(list = addresses) {
      const wanted = new Set(list);
      const counts = new Map<string, number>();
      for (const m of messages()) for (const to of m.to) if (wanted.has(to)) counts.set(to, (counts.get(to) ?? 0) + 1);
      const received = [...counts.values()].reduce((a, b) => a + b, 0);
      return { recipients: wanted.size, received, unique: counts.size, duplicates: received - counts.size, lost: wanted.size - counts.size };
    },
    async claimed(campaignId, jobIds) {
      const key = p.t.keys.campaignDeliveries(campaignId);
      // `p|jobId|token|leaseUntil|attempts`: claimed, not yet recorded.
      const isClaim = (v: string | null, ids?: Set<string>) => v?.startsWith('p|') === true && (!ids || ids.has(v.split('|')[1] as string));
      if (jobIds) {
        // Only the jobs' own recipients: a kill mid-send must not stall this process's SMTP server
        // on a walk of the whole campaign.
        let count = 0;
        for (const id of jobIds) {
          const job = await p.app.queues.send.getJob(id);
          const ids = (job?.data as { subscriberIds?: number[] } | undefined)?.subscriberIds ?? [];
          if (ids.length > 0) count += (await p.app.redis.hmget(key, ...ids.map(String))).filter((v) => isClaim(v, jobIds)).length;
        }
        return count;
      }
      let count = 0;
      let cursor = '0';
      do {
        const [next, flat] = await p.app.redis.hscan(key, cursor, 'COUNT', 1000);
        cursor = next;
        for (let i = 1; i < flat.length; i += 2) if (isClaim(flat[i] as string)) count++;
      } while (cursor !== '0');
      return count;
    },
    async activeJobsOf(pid) {
      // BullMQ notes the worker's name on each job it takes (`pb`); ours is `<host>:<pid>`.
      const name = `${hostname()}:${pid}`;
      const active = await p.app.queues.send.getJobs(['active'], 0, -1);
      return new Set(active.filter((j) => j.processedBy === name).map((j) => j.id as string));
    },
    async waitFor(id, predicate, timeoutMs) {
      return p.waitFor(id, predicate, timeoutMs);
    },
    finish(result) {
      const row: ScenarioResult = { ...result, seconds: Math.round((Date.now() - started) / 100) / 10, seed: SEED };
      mkdirSync(RESULTS_DIR, { recursive: true });
      writeFileSync(join(RESULTS_DIR, `${row.id}.json`), `${JSON.stringify(row, null, 2)}\n`);
      const inFlight = row.inFlight ? ` in-flight ${JSON.stringify(row.inFlight)}` : '';
      process.stdout.write(
        `[fault] ${row.id} ${row.scenario}: recipients ${row.recipients} received ${row.received} unique ${row.unique} ` +
          `duplicates ${row.duplicates} lost ${row.lost}${inFlight}; ${row.notes} (${row.seconds} s, seed ${row.seed})\n`,
      );
      return row;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
      await Promise.allSettled(extraSmtp.map((s) => s.close()));
      await p.close();
    },
  };
}

/** Stops workers gracefully (SIGTERM: they finish what is in flight) and waits for them. */
export async function stopWorkers(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
}

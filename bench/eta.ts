/**
 * How good `campaign status`'s ETA is (not a test: it prints figures).
 *
 *   nice npx tsx bench/eta.ts [--n 20000] [--workers 2] [--concurrency 8] [--warm 0] [--json] [--trace FILE]
 *
 * `--warm K`: the workers first send a campaign to K of the readers (not measured), as long-running
 * workers have done before a day's send; without it they start cold, and their first seconds
 * (Node's JIT warming up) are slower than the rest.
 *
 * N subscribers, `newsdesk worker` processes sending to Postfix's `smtp-sink` on loopback. The
 * bench reads the campaign's progress as `campaign status` does (every 200 ms) and notes the ETA
 * it shows at 10 % (and 25, 50, 75 %) of the list, then compares each with the time the
 * campaign really took from there to its finish.
 *
 * It also prints the first seconds of the send: messages finished in each second since the start,
 * and the worker processes' CPU time per message in it (from /proc), which shows how much of a slow
 * start is the workers warming up. `--trace FILE` writes every reading (time, finished, total,
 * worker CPU ticks) as JSON, to try other ways of estimating on a real send.
 *
 * Target: the ETA shown at 10 % within 15 % of the actual finish (issue 13).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SubscriberInput } from '../src/domain/subscriber.schema.ts';
import { createBenchCampaign, say, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    warm: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
    trace: { type: 'string' },
  },
});
const n = Number(args.n);
const workerCount = Number(args.workers);
const concurrency = Number(args.concurrency);
const MARKS = [0.1, 0.25, 0.5, 0.75];

const sink = await startSmtpSink();
const setup = await setUpBench({ n, smtpUrl: sink.url, concurrency });
const workers: ChildProcess[] = [];
const stop = (c: ChildProcess) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : (c.once('exit', r), c.kill('SIGTERM'))));

try {
  for (let i = 0; i < workerCount; i++) workers.push(spawn('bin/newsdesk.js', ['worker', '--concurrency', String(concurrency)], { env: setup.env, stdio: 'inherit' }));
  const warm = Number(args.warm);
  if (warm > 0) {
    await setup.app.stores.lists.create({ id: 'warm', newsletter: 'daily' });
    // The same readers as the bench list's first K (setUpBench's addresses), on a list of their own.
    const rows = Array.from({ length: Math.min(warm, n) }, (_, k) => SubscriberInput.parse({ email: `r${k}@bench.example.org`, name: `Reader ${k}` }));
    // In slices: one joinList call unpacks its rows into one Lua call, which takes a few thousand at most.
    for (let k = 0; k < rows.length; k += 1000) await setup.app.stores.subscribers.joinList('warm', rows.slice(k, k + 1000), { via: 'import' });
    const w = await createBenchCampaign(setup, { lists: ['warm'] });
    while (!['sent', 'failed', 'cancelled'].includes((await setup.app.campaigns.get(w.id)).status)) await new Promise((r) => setTimeout(r, 200));
    say(`bench: workers warmed up with ${warm.toLocaleString('en-US')} messages`);
  }
  // Start a few seconds out, so the workers are up when it starts.
  const campaign = await createBenchCampaign(setup, { at: new Date(Date.now() + 4000) });
  say(`bench: ${n.toLocaleString('en-US')} subscribers, ${workerCount} worker process(es) × ${concurrency} connections`);

  /** At each mark: when it was passed, the share done then, and the ETA shown (first one shown at or after the mark). */
  const seen: Array<{ mark: number; at: number; progress: number; etaSeconds: number }> = [];
  let firstEta: { progress: number } | undefined;
  /** Every reading while it sends: when, how many finished, of how many, the workers' CPU ticks. */
  const trace: Array<{ at: number; done: number; total: number; fanoutDone: boolean; cpu: number }> = [];
  for (;;) {
    const p = await setup.app.service.progress(campaign.id);
    const now = Date.now();
    if (p.campaign.status === 'sending') trace.push({ at: now, done: p.done, total: p.campaign.counts.total, fanoutDone: p.campaign.fanoutDone, cpu: workers.reduce((sum, w) => sum + cpuTicks(w.pid), 0) });
    if (p.campaign.status !== 'sending' && p.campaign.status !== 'scheduled') break;
    if (p.etaSeconds !== undefined) {
      firstEta ??= { progress: p.progress };
      for (const mark of MARKS) {
        if (p.progress >= mark && !seen.some((s) => s.mark === mark)) seen.push({ mark, at: now, progress: p.progress, etaSeconds: p.etaSeconds });
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const done = await setup.app.campaigns.get(campaign.id);
  if (args.trace) writeFileSync(args.trace, JSON.stringify({ startedAt: done.startedAt, finishedAt: done.finishedAt, trace }));
  const finished = Date.parse(done.finishedAt as string);
  const started = Date.parse(done.startedAt as string);
  const firstSeconds = perSecond(trace, started, Math.min(10, Math.floor((finished - started) / 1000)));
  const rows = seen.map((s) => {
    const actual = (finished - s.at) / 1000;
    return {
      mark: `${Math.round(s.mark * 100)} %`,
      progress: Number((s.progress * 100).toFixed(1)),
      etaSeconds: Number(s.etaSeconds.toFixed(1)),
      actualSeconds: Number(actual.toFixed(1)),
      errorPercent: Number((((s.etaSeconds - actual) / actual) * 100).toFixed(1)),
    };
  });
  const result = {
    recipients: n,
    status: done.status,
    sendSeconds: (finished - Date.parse(done.startedAt as string)) / 1000,
    firstEtaAtPercent: firstEta ? Number((firstEta.progress * 100).toFixed(1)) : null,
    marks: rows,
    firstSeconds,
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`campaign ${result.status}: ${n.toLocaleString('en-US')} in ${result.sendSeconds} s; first ETA shown at ${result.firstEtaAtPercent ?? '–'} %\n`);
    process.stdout.write(`${'at'.padEnd(6)} ${'done'.padStart(7)} ${'ETA shown'.padStart(10)} ${'actual'.padStart(9)} ${'error'.padStart(8)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.mark.padEnd(6)} ${`${r.progress} %`.padStart(7)} ${`${r.etaSeconds} s`.padStart(10)} ${`${r.actualSeconds} s`.padStart(9)} ${`${r.errorPercent > 0 ? '+' : ''}${r.errorPercent} %`.padStart(8)}\n`);
    }
    process.stdout.write(`first seconds, finished:       ${firstSeconds.map((s) => String(s.finished).padStart(5)).join(' ')}\n`);
    process.stdout.write(`worker CPU ms per message:     ${firstSeconds.map((s) => (s.workerCpuMsPerMessage === null ? '–' : s.workerCpuMsPerMessage.toFixed(2)).padStart(5)).join(' ')}\n`);
  }
} finally {
  await Promise.all(workers.map(stop));
  await setup.close();
  sink.stop();
}

/** A process's CPU time so far (user + system) in clock ticks (1/100 s on Linux), or 0 once it is gone. */
function cpuTicks(pid: number | undefined): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/**
 * Messages finished in each of the first `seconds` seconds since the start, and the workers' CPU ms
 * per message in it: both interpolated between the readings either side of each second (none
 * finished at the start; the CPU then is taken as at the first reading, so the first second's
 * share is a little low).
 */
function perSecond(trace: ReadonlyArray<{ at: number; done: number; cpu: number }>, start: number, seconds: number) {
  const points = [{ at: start, done: 0, cpu: trace[0]?.cpu ?? 0 }, ...trace];
  const at = (t: number, field: 'done' | 'cpu') => {
    const i = points.findIndex((r) => r.at >= t);
    if (i < 0) return (points[points.length - 1] as (typeof points)[number])[field];
    if (i === 0) return (points[0] as (typeof points)[number])[field];
    const a = points[i - 1] as (typeof points)[number];
    const b = points[i] as (typeof points)[number];
    return a[field] + ((b[field] - a[field]) * (t - a.at)) / Math.max(1, b.at - a.at);
  };
  return Array.from({ length: seconds }, (_, k) => {
    const finished = Math.round(at(start + (k + 1) * 1000, 'done') - at(start + k * 1000, 'done'));
    const cpuMs = (at(start + (k + 1) * 1000, 'cpu') - at(start + k * 1000, 'cpu')) * 10;
    return { second: k + 1, finished, workerCpuMsPerMessage: finished > 0 ? Number((cpuMs / finished).toFixed(2)) : null };
  });
}

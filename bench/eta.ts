/**
 * How good `campaign status`'s ETA is (not a test: it prints figures).
 *
 *   nice npx tsx bench/eta.ts [--n 20000] [--workers 2] [--concurrency 8] [--warm 0] [--json]
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
 * Target: the ETA shown at 10 % within 15 % of the actual finish (issue 13).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { SubscriberInput } from '../src/domain/subscriber.schema.ts';
import { say, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    warm: { type: 'string', default: '0' },
    json: { type: 'boolean', default: false },
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
    await setup.app.stores.subscribers.joinList('warm', rows, { via: 'import' });
    const w = await setup.app.service.create({ compiled: setup.compiled, newsletter: setup.newsletter, subject: setup.subject, lists: ['warm'], again: true, confirmDate: true });
    while (!['sent', 'failed', 'cancelled'].includes((await setup.app.campaigns.get(w.id)).status)) await new Promise((r) => setTimeout(r, 200));
    say(`bench: workers warmed up with ${warm.toLocaleString('en-US')} messages`);
  }
  // Start a few seconds out, so the workers are up when it starts.
  const campaign = await setup.app.service.create({
    compiled: setup.compiled,
    newsletter: setup.newsletter,
    subject: setup.subject,
    lists: [setup.listId],
    at: new Date(Date.now() + 4000),
    again: true,
    confirmDate: true,
  });
  say(`bench: ${n.toLocaleString('en-US')} subscribers, ${workerCount} worker process(es) × ${concurrency} connections`);

  /** At each mark: when it was passed, the share done then, and the ETA shown (first one shown at or after the mark). */
  const seen: Array<{ mark: number; at: number; progress: number; etaSeconds: number }> = [];
  let firstEta: { progress: number } | undefined;
  for (;;) {
    const p = await setup.app.service.progress(campaign.id);
    const now = Date.now();
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
  const finished = Date.parse(done.finishedAt as string);
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
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    process.stdout.write(`campaign ${result.status}: ${n.toLocaleString('en-US')} in ${result.sendSeconds} s; first ETA shown at ${result.firstEtaAtPercent ?? '–'} %\n`);
    process.stdout.write(`${'at'.padEnd(6)} ${'done'.padStart(7)} ${'ETA shown'.padStart(10)} ${'actual'.padStart(9)} ${'error'.padStart(8)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.mark.padEnd(6)} ${`${r.progress} %`.padStart(7)} ${`${r.etaSeconds} s`.padStart(10)} ${`${r.actualSeconds} s`.padStart(9)} ${`${r.errorPercent > 0 ? '+' : ''}${r.errorPercent} %`.padStart(8)}\n`);
    }
  }
} finally {
  await Promise.all(workers.map(stop));
  await setup.close();
  sink.stop();
}

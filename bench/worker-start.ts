/**
 * What starting a `newsdesk worker` costs (not a test: it prints figures).
 *
 *   npx tsx bench/worker-start.ts [--runs 8] [--json]
 *
 * Starts `bin/newsdesk.js worker` the way operators do, against Redis and Postfix's `smtp-sink`,
 * `--runs` times for each way of running the code, alternating: `dist` (the bundle `npm ci`
 * builds, scripts/build.js) and `source` (the TypeScript through tsx, NEWSDESK_FROM_SOURCE=1).
 * For each start: seconds until its "worker started" log line (queues being read), the CPU
 * seconds it used until then (every thread, from /proc), and its peak resident memory so far. Prints
 * the median of each. A worker that restarts after a crash pays this before its first message
 * (fault scenario 8 replaces one every 5 s).
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { cpuSeconds, peakRssMb, say, setUpBench, startSmtpSink } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '8' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs);
const CODES = { dist: {}, source: { NEWSDESK_FROM_SOURCE: '1' } } as const;
type Code = keyof typeof CODES;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** One start: spawn, wait for "worker started", read its figures, stop it. */
async function startOnce(env: Record<string, string>): Promise<{ seconds: number; cpuSeconds: number; rssMb: number }> {
  const t0 = performance.now();
  // Its log (pino JSON lines) goes to stderr.
  const child = spawn(process.execPath, ['bin/newsdesk.js', 'worker'], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  const started = new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"worker started"')) resolve(performance.now());
    });
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before starting: ${out.slice(-500)}`)));
  });
  const at = await started;
  const figures = { seconds: (at - t0) / 1000, cpuSeconds: cpuSeconds(child.pid ?? 0) ?? Number.NaN, rssMb: peakRssMb(child.pid ?? 0) ?? Number.NaN };
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return figures;
}

const sink = await startSmtpSink();
const setup = await setUpBench({ n: 1, smtpUrl: sink.url, concurrency: 4 });
const results: Record<Code, Array<{ seconds: number; cpuSeconds: number; rssMb: number }>> = { dist: [], source: [] };
try {
  // One start of each first, not counted: the page cache and tsx's compile cache warm up.
  for (const code of Object.keys(CODES) as Code[]) await startOnce({ ...setup.env, ...CODES[code] });
  for (let i = 0; i < runs; i++) {
    for (const code of Object.keys(CODES) as Code[]) results[code].push(await startOnce({ ...setup.env, ...CODES[code] }));
    say(`bench: run ${i + 1}/${runs}`);
  }
} finally {
  await setup.close();
  sink.stop();
}
const summary = Object.fromEntries(
  (Object.keys(CODES) as Code[]).map((code) => {
    const r = results[code];
    return [code, { runs: r.length, seconds: median(r.map((x) => x.seconds)), cpuSeconds: median(r.map((x) => x.cpuSeconds)), rssMb: median(r.map((x) => x.rssMb)) }];
  }),
);
if (args.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  process.stdout.write(`newsdesk worker start-up, median of ${runs} (until "worker started"):\n`);
  for (const [code, s] of Object.entries(summary)) {
    process.stdout.write(`  ${code.padEnd(7)} ${s.seconds.toFixed(2)} s, ${s.cpuSeconds.toFixed(2)} CPU s, ${s.rssMb.toFixed(0)} MB peak resident\n`);
  }
}

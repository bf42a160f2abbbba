/**
 * Replays the readings of a real send (`bench/eta.ts --trace FILE`) through the ETA's pace, as it
 * is (`recentPace`, src/store/campaign-pace.store.ts) and as it was before it left out the start
 * of the send (one average decaying with a 10 s time constant, over all the sending since the first
 * sample), so the two are compared on the same send: on a shared machine, two runs are not.
 *
 *   npx tsx bench/eta-replay.ts FILE [FILE…]
 *
 * Samples are taken every second from the readings (interpolated), the first at 0.2, 0.5, 0.8 and
 * 1.1 s after the start (a worker's timer can fire anywhere in its first second); the ETA at each
 * mark is read as bench/eta.ts reads it, at the first reading at or past the mark.
 */
import { readFileSync } from 'node:fs';
import { type CampaignPace, ETA_MIN_SECONDS } from '../src/domain/campaign.schema.ts';
import { type PaceInterval, recentPace } from '../src/store/campaign-pace.store.ts';

interface Trace {
  startedAt: string;
  finishedAt: string;
  trace: Array<{ at: number; done: number; total: number }>;
}

const MARKS = [0.1, 0.25, 0.5, 0.75];
const PHASES = [200, 500, 800, 1100];

/** The pace before: sums of messages and seconds, both decaying with a 10 s time constant. */
function formerPace(log: readonly PaceInterval[]): CampaignPace | undefined {
  let messages = 0;
  let seconds = 0;
  for (const i of log) {
    const decay = Math.exp(-i.ms / 10_000);
    messages = messages * decay + i.messages;
    seconds = seconds * decay + i.ms / 1000;
  }
  return seconds > 0 ? { perSecond: messages / seconds, seconds } : undefined;
}

const MODELS: Record<string, (log: PaceInterval[], spanMs: number) => CampaignPace | undefined> = {
  'now (latter half)': recentPace,
  'before (all of it)': (log) => formerPace(log),
};

for (const file of process.argv.slice(2)) {
  const t = JSON.parse(readFileSync(file, 'utf8')) as Trace;
  const start = Date.parse(t.startedAt);
  const finish = Date.parse(t.finishedAt);
  const total = t.trace[t.trace.length - 1]?.total ?? 0;
  const points = [{ at: start, done: 0 }, ...t.trace, { at: finish, done: total }];
  const doneAt = (ms: number) => {
    const i = points.findIndex((p) => p.at >= ms);
    if (i <= 0) return i === 0 ? 0 : total;
    const a = points[i - 1] as { at: number; done: number };
    const b = points[i] as { at: number; done: number };
    return a.done + ((b.done - a.done) * (ms - a.at)) / Math.max(1, b.at - a.at);
  };
  process.stdout.write(`${file}: ${total.toLocaleString('en-US')} in ${((finish - start) / 1000).toFixed(1)} s; ETA error at ${MARKS.map((m) => `${m * 100} %`).join(', ')}, one column per first-sample time\n`);
  for (const [name, pace] of Object.entries(MODELS)) {
    const errors = MARKS.map(() => [] as number[]);
    for (const phase of PHASES) {
      // The pace after each sample, as the workers would have left it.
      const after: Array<{ at: number; pace: CampaignPace | undefined }> = [];
      const log: PaceInterval[] = [];
      for (let at = start + phase + 1000; at <= finish; at += 1000) {
        log.push({ ms: 1000, messages: Math.round(doneAt(at)) - Math.round(doneAt(at - 1000)) });
        after.push({ at, pace: pace(log, log.length * 1000) });
      }
      MARKS.forEach((mark, m) => {
        for (const r of t.trace) {
          const p = after.filter((a) => a.at <= r.at).pop()?.pace;
          if (r.done < mark * total || !p || p.seconds < ETA_MIN_SECONDS || !(p.perSecond > 0)) continue;
          const actual = (finish - r.at) / 1000;
          errors[m]?.push((((total - r.done) / p.perSecond - actual) / actual) * 100);
          break;
        }
      });
    }
    const cell = (e: number[]) => e.map((x) => `${x > 0 ? '+' : ''}${x.toFixed(0)}`.padStart(5)).join('');
    process.stdout.write(`  ${name.padEnd(20)}${errors.map((e, m) => ` ${`${(MARKS[m] ?? 0) * 100} %`.padStart(4)}:${cell(e)}`).join(' ')}\n`);
  }
}

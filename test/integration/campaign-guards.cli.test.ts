/**
 * Issue 15's guardrails as an operator meets them on the command line: past start times, "now"
 * said explicitly, drafts → test → start, the question scripts answer with --yes, the duplicate
 * guard, lists in use, stored send limits, honest status, and workers that refuse the dev outbox
 * outside development.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { localDateOf } from '../../src/domain/time-zone.ts';
import { NEWSDESK_BIN, runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { snapshot } from '../support/store-fixtures.ts';
import { HAS_SCRIPT, HIDE_CURSOR, onTerminal, SHOW_CURSOR } from '../support/terminal.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

// Each case runs several `newsdesk` processes; on a busy shared machine one takes seconds to start.
vi.setConfig({ testTimeout: 90_000 });

let p: Pipeline;
let dir: string;
let today: string;
const workers: WorkerProcess[] = [];

beforeEach(async () => {
  p = await startPipeline({ workers: false });
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-guards-'));
  // Today's edition where the newsroom is (the example newsletter is a New York daily).
  const text = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace(/^date: .*$/m, `date: ${localDateOf(new Date(), 'America/New_York')}`);
  today = join(dir, 'today.yaml');
  await writeFile(today, text);
  await p.addSubscribers('metro', 3);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill('SIGKILL')));
  await p.close();
  await rm(dir, { recursive: true, force: true });
});

const newsdesk = (args: string[], env: Record<string, string> = {}) => runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...p.env, ...env } });
/** The campaign id `campaign create` prints first. */
const idOf = (r: { stdout: string }) => r.stdout.split('\n')[0] as string;

describe('campaign create', () => {
  it('refuses a start time in the past (a typo\'d year), naming it and now; nothing is stored', async () => {
    const before = await snapshot(p.t.redis, p.t.prefix);
    const r = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--at', '2025-01-01T06:00:00-05:00', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: the start time 2025-01-01 06:00 America\/New_York \(2025-01-01 11:00 UTC\) is in the past \(now is .* UTC\)\); give a future time, or say "now" explicitly \(--now/);
    expect(await snapshot(p.t.redis, p.t.prefix)).toEqual(before);
  });

  it('wants "when" said: --draft, --now or --at', async () => {
    const r = await newsdesk(['campaign', 'create', today, '--list', 'metro']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/say when: --draft .*--now, or --at <time>/);
    expect(await p.app.campaigns.list()).toEqual([]);
  });

  it('without a terminal and without --yes: refuses, naming the audience, and tells to pass --yes', async () => {
    const r = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--now']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: not sent: 3 readers on metro; first send of this edition; starting now. Nobody is at a terminal to confirm; pass --yes to send without asking\n');
    expect(await p.app.campaigns.list()).toEqual([]);
  });

  it('an edition of another day needs --yes; a local --at is read in the newsletter\'s zone and shown in local time and UTC', async () => {
    const r = await newsdesk(['campaign', 'create', EXAMPLE_EDITION_FILE, '--list', 'metro', '--at', '2031-02-13T06:00', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'scheduled', scheduledAt: '2031-02-13T11:00:00.000Z' });
    expect(r.stderr).toContain('starting 2031-02-13 06:00 America/New_York (2031-02-13 11:00 UTC)');
  });
});

describe('draft → test → start', () => {
  it('a draft sends nothing; it takes a test copy; start sends it; the same edition again is refused with when and to whom', async () => {
    const created = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--draft']);
    expect(created.code).toBe(0);
    const id = idOf(created);
    expect(created.stdout).toMatch(/^Created draft daily-/m);
    expect((await p.app.campaigns.get(id)).status).toBe('draft');
    expect(await p.app.queues.campaign.getJob(id)).toBeUndefined();

    const test = await newsdesk(['campaign', 'test', id, '--to', 'editor@example.com']);
    expect(test.code).toBe(0);
    expect(p.smtp.messages.map((m) => m.to)).toEqual([['editor@example.com']]);

    const started = await newsdesk(['campaign', 'start', id, '--now', '--yes']);
    expect(started.code).toBe(0);
    expect(started.stdout).toContain(`Started campaign ${id} → metro, starting now.`);
    await p.app.startWorkers({ concurrency: 2 });
    const done = await p.waitForStatus(id, 'sent');

    const again = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--now', '--yes']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`was sent ${done.startedAt}–${done.finishedAt} to metro by campaign ${id} (3 sent)`);
    expect(again.stderr).toContain('pass --again');
    const forced = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--now', '--yes', '--again']);
    expect(forced.code).toBe(0);
  });

  it('reschedule refuses the past too', async () => {
    const created = await newsdesk(['campaign', 'create', today, '--list', 'metro', '--at', '2031-02-13T06:00', '--yes']);
    const id = idOf(created);
    const r = await newsdesk(['campaign', 'reschedule', id, '--at', '2021-02-13T06:00']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the start time 2021-02-13 06:00 America\/New_York \(2021-02-13 11:00 UTC\) is in the past/);
    expect((await p.app.campaigns.get(id)).scheduledAt).toBe('2031-02-13T11:00:00.000Z');
  });
});

describe('lists in use', () => {
  it('lists delete refuses while a scheduled campaign uses the list; --force cancels it and says so', async () => {
    const id = idOf(await newsdesk(['campaign', 'create', today, '--list', 'metro', '--at', '2031-02-13T06:00', '--yes']));
    const refused = await newsdesk(['lists', 'delete', 'metro']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`list metro is used by campaign ${id} (scheduled for 2031-02-13T11:00:00.000Z)`);
    expect(await p.app.stores.lists.get('metro')).not.toBeNull();
    const forced = await newsdesk(['lists', 'delete', 'metro', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`Cancelled 1 campaign that used it: ${id}.`);
    expect((await p.app.campaigns.get(id)).status).toBe('cancelled');
    expect(await p.app.stores.lists.get('metro')).toBeNull();
  });
});

describe('honest status', () => {
  it('says "no worker alive" instead of an ETA when a due campaign has nobody to send it, and shows a cancel as cancelled', async () => {
    const id = idOf(await newsdesk(['campaign', 'create', today, '--list', 'metro', '--now', '--yes']));
    const status = await newsdesk(['campaign', 'status', id]);
    expect(status.stdout).toMatch(/^ {2}scheduled {2}\d{4}-\d\d-\d\d \d\d:\d\d America\/New_York \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$/m);
    expect(status.stdout).toContain('no worker alive (none has run yet)');
    expect(status.stdout).not.toContain('ETA');
    // A worker that ran and stopped is remembered by when it was last seen.
    await p.app.stores.workerHeartbeats.beat('gone-1');
    await p.app.stores.workerHeartbeats.leave('gone-1');
    const since = (await p.app.stores.workerHeartbeats.liveness()).lastSeen?.toISOString();
    expect((await newsdesk(['campaign', 'status', id])).stdout).toContain(`no worker alive since ${since}`);
    const json = JSON.parse((await newsdesk(['campaign', 'status', id, '--json'])).stdout);
    expect(json).toMatchObject({ noWorkerSince: since, etaSeconds: null });

    const cancelled = await newsdesk(['campaign', 'cancel', id]);
    expect(cancelled.stdout).toMatch(/cancelled: .*0 cancelled of 0/);
    expect(cancelled.stdout).not.toMatch(/pending|\/s/);
  });
});

/** `newsdesk <args>` on a terminal of its own (test/support/terminal.ts). */
function newsdeskOnTerminal(args: string[]) {
  return onTerminal([process.execPath, NEWSDESK_BIN, ...args], { PATH: process.env.PATH ?? '', ...p.env });
}

describe.skipIf(!HAS_SCRIPT)('on a terminal', () => {
  it('create --now shows the audience and asks: n stores nothing, y sends', async () => {
    const no = newsdeskOnTerminal(['campaign', 'create', today, '--list', 'metro', '--now']);
    await no.waitFor('3 readers on metro; first send of this edition; starting now.');
    await no.waitFor('Send? [y/N]');
    no.type('n\r');
    expect(await no.exited).toBe(1);
    expect(no.output()).toContain('not sent: not confirmed; nothing was changed');
    expect(await p.app.campaigns.list()).toEqual([]);

    const yes = newsdeskOnTerminal(['campaign', 'create', today, '--list', 'metro', '--now']);
    await yes.waitFor('Send? [y/N]');
    yes.type('y\r');
    expect(await yes.exited).toBe(0);
    expect(await p.app.campaigns.list()).toEqual([expect.objectContaining({ status: 'scheduled', lists: ['metro'] })]);
  });

  it('campaign status --watch gives the terminal back on Ctrl-C: the cursor is shown again', async () => {
    const c = await p.createCampaign(['metro'], new Date(Date.now() + 3_600_000));
    const watch = newsdeskOnTerminal(['campaign', 'status', c.id, '--watch']);
    await watch.waitFor(HIDE_CURSOR);
    watch.type('\x03');
    expect(await watch.exited).toBe(130);
    expect(watch.output().slice(watch.output().indexOf(HIDE_CURSOR))).toContain(SHOW_CURSOR);
  });
});

describe('workers', () => {
  it('refuse to start without SMTP_URL in production or when PUBLIC_URL is not this machine, in one sentence', async () => {
    const { SMTP_URL: _, ...env } = p.env;
    for (const extra of [{ NODE_ENV: 'production' }, { PUBLIC_URL: 'https://news.example.com' }] as Record<string, string>[]) {
      const w = spawnWorker({ ...env, ...extra });
      workers.push(w);
      expect(await w.exited).toBe(1);
      expect(w.output()).toMatch(/error: SMTP_URL is not set .*set SMTP_URL to your mail server\n/);
      expect(w.output()).not.toContain('dev outbox listening');
    }
  });

  it('announce the dev outbox at warn level', async () => {
    const { SMTP_URL: _, ...env } = p.env;
    const w = spawnWorker({ ...env, PUBLIC_URL: 'http://localhost:3000', OUTBOX_DIR: join(dir, 'outbox') }, ['--exit-when-idle']);
    workers.push(w);
    expect(await w.exited).toBe(0);
    const warn = w.output().split('\n').find((l) => l.includes('dev outbox: SMTP_URL is not set'));
    expect(JSON.parse(warn ?? '{}')).toMatchObject({ level: 40 });
  });

  it('obey the limits stored in Redis: the environment seeds them once, a worker that disagrees warns, and a change reaches it', async () => {
    const set = await newsdesk(['limits', 'show']);
    expect(set.stdout).toContain('No limits stored');
    const a = spawnWorker({ ...p.env, SEND_RATE_PER_SECOND: '40' });
    workers.push(a);
    await waitForOutput(a, /send limits: 40\/s/);
    expect(await p.app.stores.sendLimits.get()).toEqual({ perSecond: 40, perHour: 0 });

    const b = spawnWorker({ ...p.env, SEND_RATE_PER_SECOND: '500' });
    workers.push(b);
    await waitForOutput(b, /differ from the limits stored in Redis \(40\/s, no hourly limit\); obeying Redis/);
    await waitForOutput(b, /send limits: 40\/s/);

    const changed = await newsdesk(['limits', 'set', '--per-second', '25', '--per-hour', '9000']);
    expect(changed.stdout).toBe('Send limits set: 25 per second, 9,000 per hour; every worker follows within seconds.\n');
    await waitForOutput(a, /send limits changed: 25\/s, 9000\/h/);
    await waitForOutput(b, /send limits changed: 25\/s, 9000\/h/);
    expect(JSON.parse((await newsdesk(['limits', 'show', '--json'])).stdout)).toEqual({ stored: true, perSecond: 25, perHour: 9000 });
  });
});

async function waitForOutput(w: WorkerProcess, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(w.output())) {
    if (!w.alive() || Date.now() > deadline) throw new Error(`worker output never matched ${pattern}:\n${w.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * `newsdesk worker` stopped by a signal in each phase of its work, as a service manager stops it:
 * waiting for work, fanning a campaign out, sending, and waiting out a retry backoff. Every time
 * it finishes what it holds and exits 0 with no stack trace; a second signal exits at once. Real
 * processes, real Redis, a real SMTP server on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { spawnNewsdesk, spawnWorker, type WorkerProcess } from '../support/worker-process.ts';

let p: Pipeline | undefined;
const workers: WorkerProcess[] = [];
afterEach(async () => {
  for (const w of workers.splice(0)) await w.kill('SIGKILL');
  await p?.close();
  p = undefined;
});

function start(args: string[]): WorkerProcess {
  const w = spawnWorker((p as Pipeline).env, args);
  workers.push(w);
  return w;
}

/** Resolves once the worker's log has a line containing `text`. */
async function logged(w: WorkerProcess, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!w.output().includes(text)) {
    if (!w.alive()) throw new Error(`worker exited before logging ${text}:\n${w.output()}`);
    if (Date.now() > deadline) throw new Error(`worker did not log ${text} within ${timeoutMs} ms:\n${w.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Exit 0, the last words said (`stopped`), and nothing that looks like a crash. */
function expectCleanStop(w: WorkerProcess, code: number | null, stopped: string | RegExp = '"worker stopped"'): void {
  const out = w.output();
  expect({ code, stack: out.match(/^\s+at .+$/m)?.[0], closed: out.includes('Connection is closed') }).toEqual({ code: 0, stack: undefined, closed: false });
  expect(out).toMatch(stopped);
  expect(out).not.toMatch(/"level":(50|60)/); // no error or fatal log line
}

const whileSending = [
  ['worker --exit-when-idle', 'SIGTERM', ['worker', '--exit-when-idle'], '"worker stopped"'],
  ['worker --exit-when-idle', 'SIGINT', ['worker', '--exit-when-idle'], '"worker stopped"'],
  ['serve --with-workers', 'SIGTERM', ['serve', '--with-workers', '--port', '0', '--host', '127.0.0.1'], /newsdesk serve stopped after \d+ requests? in \d+ s\./],
  ['serve --with-workers', 'SIGINT', ['serve', '--with-workers', '--port', '0', '--host', '127.0.0.1'], /newsdesk serve stopped after \d+ requests? in \d+ s\./],
] as const;

describe.each(whileSending)('%s stopped with %s while sending', (_mode, signal, args, stopped) => {
  it('finishes the messages in flight, leaves nothing claimed, exits 0', async () => {
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 15 } : undefined) },
      env: { SEND_BATCH_SIZE: '10', SMTP_POOL_SIZE: '4' },
    });
    await p.addSubscribers('daily', 400);
    const c = await p.createCampaign(['daily']);
    const w = spawnNewsdesk(p.env, [...args]);
    workers.push(w);
    await p.waitFor(c.id, (x) => x.counts.sent >= 30);
    w.child.kill(signal);
    expectCleanStop(w, await w.exited, stopped);
    expect(await p.app.campaigns.deliveries(c.id, { state: 'sending' })).toEqual([]);
    expect((await p.app.campaigns.get(c.id)).counts.pending).toBeGreaterThan(0);
  }, 60_000);
});

describe('worker stopped with SIGTERM', () => {
  it('while waiting for work (no --exit-when-idle): exits 0', async () => {
    p = await startPipeline({ workers: false });
    const w = start([]);
    await logged(w, '"worker started"');
    w.child.kill('SIGTERM');
    expectCleanStop(w, await w.exited);
  }, 60_000);

  it('during the fan-out (--exit-when-idle): the fan-out finishes its walk, the worker exits 0', async () => {
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 50 } : undefined) },
      // One recipient per batch: a long walk of small pages.
      env: { SEND_BATCH_SIZE: '1', SMTP_POOL_SIZE: '2' },
    });
    await p.addSubscribers('daily', 3000);
    const c = await p.createCampaign(['daily']);
    const w = start(['--exit-when-idle']);
    const during = await p.waitFor(c.id, (x) => x.cursor > 0);
    expect(during.fanoutDone).toBe(false);
    w.child.kill('SIGTERM');
    expectCleanStop(w, await w.exited);
    expect(await p.app.campaigns.deliveries(c.id, { state: 'sending' })).toEqual([]);
  }, 60_000);

  it('while batches wait out a retry backoff after 421s (--exit-when-idle): exits 0 at once', async () => {
    p = await startPipeline({
      workers: false,
      smtp: { reply: (e) => (e.stage === 'rcpt' ? { code: 421, message: '4.3.2 try again later' } : undefined) },
      env: { SEND_BATCH_SIZE: '10', SEND_BACKOFF_MS: '60000', SEND_ATTEMPTS: '5' },
    });
    await p.addSubscribers('daily', 50);
    const c = await p.createCampaign(['daily']);
    const w = start(['--exit-when-idle']);
    await logged(w, '"job failed"');
    w.child.kill('SIGTERM');
    expectCleanStop(w, await w.exited);
    const after = await p.app.campaigns.get(c.id);
    expect(after.counts).toMatchObject({ sent: 0, failed: 0, pending: 50 });
  }, 60_000);

  it('a second signal exits at once, without waiting for the message in flight', async () => {
    p = await startPipeline({
      workers: false,
      // A server that takes a minute over each message: the first signal alone would wait for it.
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 60_000 } : undefined) },
      env: { SEND_BATCH_SIZE: '10' },
    });
    await p.addSubscribers('daily', 20);
    await p.createCampaign(['daily']);
    const w = start(['--exit-when-idle']);
    await logged(w, '"campaign started"');
    while (p.smtp.rcpts.length === 0) await new Promise((r) => setTimeout(r, 20));
    w.child.kill('SIGTERM');
    await logged(w, '"worker stopping: finishing messages in flight"');
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(143);
    expect(w.output()).toContain('SIGTERM again: exiting now');
    expect(w.output()).not.toMatch(/^\s+at .+$/m);
  }, 60_000);
});

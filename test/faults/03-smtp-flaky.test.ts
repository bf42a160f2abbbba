/**
 * Scenario 3: the SMTP server answers 421 / 451 or drops the connection in 10 % of transactions,
 * at random. Expect: all delivered after retries; lost 0; duplicates 0.
 *
 * A fault is drawn once per transaction, at its MAIL FROM, and strikes at MAIL, RCPT or DATA.
 * A DATA fault happens before the server accepts the message (as a real server that fails to
 * queue it), so a retry is never a second copy of an accepted message: any duplicate is ours.
 */
import { afterEach, expect, it } from 'vitest';
import type { ScriptedReply, SmtpEvent } from '../support/smtp-server.ts';
import { type FaultRun, RECIPIENTS, SEED, seededRandom, startFaultRun, stopWorkers } from './support/fault-run.ts';

const FAULT_RATE = 0.1;

type Fault = { stage: SmtpEvent['stage']; reply: ScriptedReply; label: string };
const FAULTS: Fault[] = [
  { stage: 'mail', reply: { code: 421, message: '4.3.2 service shutting down' }, label: '421 at MAIL' },
  { stage: 'rcpt', reply: { code: 451, message: '4.3.0 try again later' }, label: '451 at RCPT' },
  { stage: 'data', reply: { code: 451, message: '4.3.0 queue write failed' }, label: '451 at DATA' },
  { stage: 'mail', reply: { drop: true }, label: 'drop at MAIL' },
  { stage: 'data', reply: { drop: true }, label: 'drop at DATA' },
];

let run: FaultRun | undefined;
afterEach(async () => {
  await run?.close();
  run = undefined;
});

it('3. 10 % of SMTP transactions meet 421/451 or a dropped connection: all delivered, lost 0, duplicates 0', async () => {
  const random = seededRandom(SEED);
  // The fault drawn for the transaction under way on each connection.
  const pending = new Map<number, Fault>();
  const injected = new Map<string, number>();
  const reply = (e: SmtpEvent): ScriptedReply | undefined => {
    if (e.stage === 'mail') {
      pending.delete(e.connection);
      if (random() < FAULT_RATE) pending.set(e.connection, FAULTS[Math.floor(random() * FAULTS.length)] as Fault);
    }
    const fault = pending.get(e.connection);
    if (!fault || fault.stage !== e.stage) return undefined;
    pending.delete(e.connection);
    injected.set(fault.label, (injected.get(fault.label) ?? 0) + 1);
    return fault.reply;
  };
  run = await startFaultRun({ smtp: { reply } });
  const r = run;
  const c = await r.p.createCampaign(['daily']);
  r.startWorker();
  r.startWorker();

  const done = await r.waitFor(c.id, (x) => x.status === 'sent', 240_000);
  await stopWorkers(r.live());
  const tally = r.tally();
  const faults = [...injected.values()].reduce((a, b) => a + b, 0);
  r.finish({
    id: '03-smtp-flaky',
    scenario: '10 % of transactions: 421 / 451 at MAIL, RCPT or DATA, or the connection dropped; 2 workers',
    expectation: 'all delivered after retries; lost 0; duplicates 0',
    notes: `campaign ${done.status}; ${faults} faults injected (${[...injected].map(([k, v]) => `${k} ${v}`).join(', ')})`,
    ...tally,
  });

  // The faults really happened, of every kind.
  expect(faults).toBeGreaterThan(RECIPIENTS * FAULT_RATE * 0.5);
  expect(injected.size).toBe(FAULTS.length);
  expect(tally.lost).toBe(0);
  expect(tally.duplicates).toBe(0);
  expect(done.counts).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, failed: 0, skipped: 0, pending: 0 });
});

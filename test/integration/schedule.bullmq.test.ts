/**
 * The daily schedule end to end on a real BullMQ job scheduler: `schedule set` upserts it, the
 * job it made for the next 06:00 New York is promoted (so the test need not wait for 06:00), two
 * worker processes' worth of workers race for it and for a second fire of the same date, and
 * exactly one campaign goes out.
 */
import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { localDateOf } from '../../src/domain/time-zone.ts';
import { nextSlots } from '../../src/queue/schedule-pattern.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

let p: Pipeline;
let second: App | undefined;

beforeEach(async () => {
  p = await startPipeline({ workers: false });
});
afterEach(async () => {
  await second?.close();
  second = undefined;
  await p.close();
});

it('a job scheduler slot becomes one campaign, with two workers and a second fire of the same date', async () => {
  const readers = await p.addSubscribers('daily', 5);
  const view = await p.app.schedules.set({ newsletter: 'daily', cron: '0 6 * * *', tz: 'America/New_York', lists: ['daily'], by: 'cli:test' });
  const expected = nextSlots('0 6 * * *', 'America/New_York', new Date(), 1)[0] as Date;
  expect(view.nextSlots[0]?.utc).toBe(expected.toISOString());

  // BullMQ made the slot's job, delayed to the next 06:00 New York.
  const [scheduler] = await p.app.queues.schedule.getJobSchedulers();
  expect(scheduler).toMatchObject({ key: 'daily', pattern: '0 6 * * *', tz: 'America/New_York', next: expected.getTime() });
  const delayed = await p.app.queues.schedule.getDelayed();
  expect(delayed.map((j) => j.id)).toEqual([`repeat:daily:${expected.getTime()}`]);
  const job = delayed[0];
  if (!job) throw new Error('no slot job');

  const date = localDateOf(expected, 'America/New_York');
  const source = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace('date: 2025-02-13', `date: ${date}`);
  const { edition } = await p.app.editions.save(source, 'cli:writer');
  await p.app.editions.approve(edition.id, 'cli:chief');

  // Two processes' workers, then the slot is due now (promoted) and fires a second time for the same date.
  await p.app.startWorkers({ concurrency: 2 });
  second = await createApp(loadConfig(p.env), { logger: pino({ level: 'silent' }) });
  await second.startWorkers({ concurrency: 2 });
  await Promise.all([
    job.promote(),
    p.app.queues.schedule.add('slot', { newsletter: 'daily' }, { jobId: `repeat:daily:${expected.getTime() + 60_000}` }),
  ]);

  const deadline = Date.now() + 20_000;
  let claim = await p.app.scheduleStore.claimOf('daily', date);
  while (claim?.state !== 'created') {
    if (Date.now() > deadline) throw new Error(`no campaign made: ${JSON.stringify(claim)}`);
    await new Promise((r) => setTimeout(r, 50));
    claim = await p.app.scheduleStore.claimOf('daily', date);
  }
  const sent = await p.waitForStatus(claim.campaignId as string, 'sent');
  expect(sent.counts.sent).toBe(readers.length);
  // Both slot jobs have run (one created, one found the date taken); one campaign, one copy each.
  const waitCompleted = async () => {
    for (;;) {
      const done = await p.app.queues.schedule.getCompleted();
      if (done.filter((j) => j.name === 'slot').length >= 2) return done;
      if (Date.now() > deadline) throw new Error('slot jobs did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const results = (await waitCompleted()).map((j) => (j.returnvalue as { kind: string }).kind).sort();
  expect(results).toEqual(['created', 'taken']);
  const campaigns = (await p.app.campaigns.all()).filter((c) => c.editionDate === date);
  expect(campaigns.map((c) => c.id)).toEqual([claim.campaignId]);
  expect([...p.received().values()]).toEqual(readers.map(() => 1));
  // The scheduler moved on to the next day.
  const [after] = await p.app.queues.schedule.getJobSchedulers();
  expect(after?.next).toBe(nextSlots('0 6 * * *', 'America/New_York', expected, 1)[0]?.getTime());
});

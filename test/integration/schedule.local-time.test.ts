/**
 * `--local-time`: readers' `timezone` attributes validated where they come in, and a scheduled
 * campaign fanned out in zone buckets as delayed batches, through real workers, Redis and SMTP.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { localDateOf } from '../../src/domain/time-zone.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { importCsv } from '../../src/store/csv-import.ts';
import { runNewsdesk } from '../support/cli.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

let p: Pipeline;
beforeEach(async () => {
  p = await startPipeline();
});
afterEach(async () => p.close());

it('an invalid timezone attribute is a clear per-line error on import and a refusal on add', async () => {
  await p.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
  const dir = await mkdtemp(join(tmpdir(), 'newsdesk-tz-'));
  try {
    const file = join(dir, 'readers.csv');
    await writeFile(file, 'email,name,timezone\na@example.org,A,Asia/Kolkata\nb@example.org,B,Mars/Base\nc@example.org,C,\n');
    const summary = await importCsv(file, { listId: 'daily' }, { subscribers: p.app.stores.subscribers, lists: p.app.stores.lists });
    expect(summary).toMatchObject({ added: 2, invalid: 1 });
    expect(summary.errors).toEqual([{ line: 3, reason: expect.stringMatching(/^attributes\.timezone: "Mars\/Base" is not an IANA time zone/) }]);
    expect((await p.app.stores.subscribers.findByEmail('a@example.org'))?.attributes).toEqual({ timezone: 'Asia/Kolkata' });
    expect(await p.app.stores.subscribers.findByEmail('b@example.org')).toBeNull();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const add = SubscriberInput.safeParse({ email: 'd@example.org', attributes: { timezone: 'Europe/Atlantis' } });
  expect(add.success).toBe(false);
  expect(add.error?.issues[0]).toMatchObject({ path: ['attributes', 'timezone'], message: expect.stringContaining('"Europe/Atlantis" is not an IANA time zone') });
});

it("a --local-time slot sends each zone at its readers' time: past zones at once, later ones as delayed batches; cancel reaches those too", { timeout: 90_000 }, async () => {
  // Zones whose 12:00 on today's UTC date is surely past (UTC+14) and surely ahead (UTC−12), whatever the time of the run.
  const east = 'Etc/GMT-14';
  const west = 'Etc/GMT+12';
  await p.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
  const rows = [
    { email: 'east1@example.org', attributes: { timezone: east } },
    { email: 'east2@example.org', attributes: { timezone: east } },
    { email: 'west1@example.org', attributes: { timezone: west } },
    { email: 'west2@example.org', attributes: { timezone: west } },
  ].map((r) => SubscriberInput.parse(r));
  await p.app.stores.subscribers.joinList('daily', rows, { via: 'import' });

  const now = new Date();
  const date = localDateOf(now, 'UTC');
  await p.app.schedules.set({ newsletter: 'daily', cron: '0 12 * * *', tz: 'UTC', lists: ['daily'], localTime: '12:00', by: 'cli:test' });
  const source = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace('date: 2025-02-13', `date: ${date}`);
  const { edition } = await p.app.editions.save(source, 'cli:writer');
  await p.app.editions.approve(edition.id, 'cli:chief');

  const r = await p.app.runSlot({ newsletter: 'daily', slotAt: now, jobId: 'repeat:daily:local' }, now);
  if (r.kind !== 'created') throw new Error(`slot did not create: ${JSON.stringify(r)}`);
  const campaign = await p.app.campaigns.get(r.campaignId);
  expect(campaign.localSend).toEqual({ time: '12:00', zone: 'UTC' });
  expect((await p.app.editions.get(edition.id))?.state).toBe('sent');

  // The east zone's 12:00 has passed: sent at once. The west zone's waits, delayed to its time.
  const mails = await p.smtp.waitForMessages(2, 20_000);
  expect(mails.flatMap((m) => m.to).sort()).toEqual(['east1@example.org', 'east2@example.org']);
  const westAt = Date.parse(`${date}T12:00:00Z`) + 12 * 3_600_000;
  const waitForBuckets = async () => {
    for (let i = 0; i < 400; i++) {
      const b = await p.app.campaignZones.buckets(campaign.id);
      if (b.reduce((n, x) => n + x.readers, 0) === 4 && (await p.app.campaigns.get(campaign.id)).fanoutDone) return b;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error('fan-out did not finish');
  };
  expect(await waitForBuckets()).toEqual([
    { zone: east, at: new Date(Date.parse(`${date}T12:00:00Z`) - 14 * 3_600_000).toISOString(), readers: 2 },
    { zone: west, at: new Date(westAt).toISOString(), readers: 2 },
  ]);
  const delayed = await p.app.queues.send.getDelayed();
  expect(delayed.map((j) => j.data.subscriberIds.length)).toEqual([2]);
  const [westBatch] = delayed;
  expect(Math.abs((westBatch?.timestamp ?? 0) + (westBatch?.delay ?? 0) - westAt)).toBeLessThan(5_000);
  const status = await p.app.campaigns.get(campaign.id);
  expect(status).toMatchObject({ status: 'sending', counts: { total: 4, sent: 2, pending: 2 } });

  // `campaign status` shows each zone bucket and where it is.
  const cli = await runNewsdesk(['campaign', 'status', campaign.id, '--json'], { env: { PATH: process.env.PATH, ...p.env } });
  expect(JSON.parse(cli.stdout).zones).toEqual([
    { zone: east, at: expect.any(String), readers: 2, state: 'due' },
    { zone: west, at: new Date(westAt).toISOString(), readers: 2, state: 'waiting' },
  ]);
  const text = await runNewsdesk(['campaign', 'status', campaign.id], { env: { PATH: process.env.PATH, ...p.env } });
  expect(text.stdout).toContain(`  zone       ${west}: 2 readers at ${date} 12:00 ${west} (`);

  // Cancel, then let the west batch come due: it sends nothing.
  await p.app.service.cancel(campaign.id);
  await westBatch?.promote();
  for (let i = 0; i < 400; i++) {
    const counts = await p.app.queues.send.getJobCounts('delayed', 'waiting', 'active');
    if (Object.values(counts).every((n) => n === 0)) break;
    await new Promise((res) => setTimeout(res, 25));
  }
  expect(await p.app.queues.send.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 0, waiting: 0, active: 0 });
  expect(p.smtp.messages).toHaveLength(2);
  expect((await p.app.campaigns.get(campaign.id)).status).toBe('cancelled');
});

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
import { dashboard, startHttp } from '../support/http.ts';
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
    // east's count follows its batch's end (zone-progress.ts); the next test follows it.
    { zone: east, at: new Date(Date.parse(`${date}T12:00:00Z`) - 14 * 3_600_000).toISOString(), readers: 2, sent: expect.any(Number) },
    { zone: west, at: new Date(westAt).toISOString(), readers: 2, sent: 0 },
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
    { zone: east, at: expect.any(String), readers: 2, sent: expect.any(Number), state: 'due' },
    { zone: west, at: new Date(westAt).toISOString(), readers: 2, sent: 0, state: 'waiting' },
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

it("status shows each zone bucket's sent count as its batches send, a retried batch included (CLI, API, dashboard)", { timeout: 90_000 }, async () => {
  await p.close();
  const PASSWORD = 'a dashboard password for zone progress';
  const h = await startHttp({
    workers: true,
    env: { SEND_BATCH_SIZE: '2', SEND_BACKOFF_MS: '10', NEWSDESK_ADMIN_PASSWORD: PASSWORD },
    // west2's first try is refused for now: its batch ends in a retry after sending west1.
    smtp: { reply: (e) => (e.stage === 'data' && e.to.includes('west2@example.org') && e.attempt === 1 ? { code: 421, message: '4.3.2 try later' } : undefined) },
  });
  p = h;
  const east = 'Etc/GMT-14';
  const west = 'Etc/GMT+12';
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
  const rows = ['east1', 'east2', 'west1', 'west2', 'west3'].map((n) => SubscriberInput.parse({ email: `${n}@example.org`, attributes: { timezone: n.startsWith('east') ? east : west } }));
  await h.app.stores.subscribers.joinList('daily', rows, { via: 'import' });
  const now = new Date();
  const date = localDateOf(now, 'UTC');
  await h.app.schedules.set({ newsletter: 'daily', cron: '0 12 * * *', tz: 'UTC', lists: ['daily'], localTime: '12:00', by: 'cli:test' });
  const source = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace('date: 2025-02-13', `date: ${date}`);
  const { edition } = await h.app.editions.save(source, 'cli:writer');
  await h.app.editions.approve(edition.id, 'cli:chief');
  const r = await h.app.runSlot({ newsletter: 'daily', slotAt: now, jobId: 'repeat:daily:progress' }, now);
  if (r.kind !== 'created') throw new Error(`slot did not create: ${JSON.stringify(r)}`);
  const id = r.campaignId;
  const sentByZone = async () => Object.fromEntries((await h.app.campaignZones.buckets(id)).map((b) => [b.zone, b.sent]));

  // The east bucket went at once; the west one waits.
  await h.smtp.waitForMessages(2, 20_000);
  await expect.poll(sentByZone, { timeout: 20_000 }).toEqual({ [east]: 2, [west]: 0 });
  await expect.poll(async () => (await h.app.queues.send.getDelayed()).length, { timeout: 20_000 }).toBe(2);
  const cli = await runNewsdesk(['campaign', 'status', id, '--json'], { env: { PATH: process.env.PATH, ...h.env } });
  expect(JSON.parse(cli.stdout).zones).toEqual([
    { zone: east, at: expect.any(String), readers: 2, sent: 2, state: 'due' },
    { zone: west, at: expect.any(String), readers: 3, sent: 0, state: 'waiting' },
  ]);
  const text = await runNewsdesk(['campaign', 'status', id], { env: { PATH: process.env.PATH, ...h.env } });
  expect(text.stdout).toMatch(new RegExp(`  zone       ${east}: 2 readers at .*, 2 sent, due\\n`));
  expect(text.stdout).toMatch(new RegExp(`  zone       ${west.replace('+', '\\+')}: 3 readers at .*, 0 sent, waiting\\n`));

  // The west bucket's time comes: its first batch sends west1, is retried for west2, then the second sends west3.
  for (const job of await h.app.queues.send.getDelayed()) await job.promote();
  await h.smtp.waitForMessages(5, 20_000);
  await expect.poll(async () => (await h.app.campaigns.get(id)).status, { timeout: 20_000 }).toBe('sent');
  expect(h.smtp.messages.flatMap((m) => m.to).sort()).toEqual(['east1', 'east2', 'west1', 'west2', 'west3'].map((n) => `${n}@example.org`));
  expect(await sentByZone()).toEqual({ [east]: 2, [west]: 3 });

  const token = await h.token('reader', 'read');
  const api = await h.api(token, { url: `/api/campaigns/${id}` });
  expect(api.statusCode).toBe(200);
  expect(api.json().zones).toEqual([
    { zone: east, at: expect.any(String), readers: 2, sent: 2, state: 'sent' },
    { zone: west, at: expect.any(String), readers: 3, sent: 3, state: 'sent' },
  ]);
  const d = dashboard(h.server);
  await d.signIn(PASSWORD);
  const page = (await d.get(`/admin/campaigns/${id}`)).body;
  expect(page).toMatch(new RegExp(`<tr data-zone="${west.replace('+', '\\+')}"><td>${west.replace('+', '\\+')}</td><td class="num">3</td><td class="num" data-field="zone-sent">3</td>`));
  expect(page).toMatch(new RegExp(`<tr data-zone="${east}"><td>${east}</td><td class="num">2</td><td class="num" data-field="zone-sent">2</td>`));
});

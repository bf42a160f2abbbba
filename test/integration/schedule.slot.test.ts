/**
 * The daily schedule's slot logic against real Redis, real stored editions and a real SMTP server
 * on loopback, driven with a chosen clock (src/queue/schedule-slot.ts).
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.ts';
import { EXAMPLE_EDITION_FILE } from '../support/editions.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

const NY = 'America/New_York';
let p: Pipeline;

beforeEach(async () => {
  p = await startPipeline({ workers: false });
  await p.addSubscribers('daily', 3);
});
afterEach(async () => p.close());

/** Saves and approves the example edition under `date`. */
async function approvedEdition(date: string): Promise<string> {
  const source = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace('date: 2025-02-13', `date: ${date}`);
  const { edition } = await p.app.editions.save(source, 'cli:writer');
  await p.app.editions.approve(edition.id, 'cli:chief');
  return edition.id;
}

async function schedule(lateWindowMs?: number) {
  return p.app.schedules.set({ newsletter: 'daily', cron: '0 6 * * *', tz: NY, lists: ['daily'], lateWindowMs, by: 'cli:test' });
}

const campaignsOf = async (date: string) => (await p.app.campaigns.all()).filter((c) => c.newsletterId === 'daily' && c.editionDate === date);

describe('a schedule slot', () => {
  it('makes the approved edition of the slot\'s local date a campaign, once, however often the date fires', async () => {
    await schedule();
    await approvedEdition('2026-03-09');
    // 06:00 New York on 9 March 2026 (after the change to summer time): 10:00 UTC.
    const slotAt = new Date('2026-03-09T10:00:00Z');
    const now = new Date('2026-03-09T10:00:02Z');
    const first = await p.app.runSlot({ newsletter: 'daily', slotAt, jobId: 'repeat:daily:a' }, now);
    expect(first).toMatchObject({ kind: 'created', date: '2026-03-09', adopted: false });
    // The same date again from another job (a second fire, a second worker): nothing new.
    const again = await p.app.runSlot({ newsletter: 'daily', slotAt, jobId: 'repeat:daily:b' }, now);
    expect(again).toMatchObject({ kind: 'taken', state: 'created', campaignId: first.kind === 'created' ? first.campaignId : 'x' });
    expect(await campaignsOf('2026-03-09')).toHaveLength(1);
    expect(await p.app.scheduleStore.claimOf('daily', '2026-03-09')).toMatchObject({ state: 'created', owner: 'repeat:daily:a' });
  });

  it('two workers firing the same date at the same moment make one campaign', async () => {
    await schedule();
    await approvedEdition('2026-03-10');
    const slotAt = new Date('2026-03-10T10:00:00Z');
    const results = await Promise.all(
      ['w1', 'w2', 'w3'].map((w) => p.app.runSlot({ newsletter: 'daily', slotAt, jobId: `repeat:daily:${w}` }, new Date('2026-03-10T10:00:01Z'))),
    );
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'taken')).toHaveLength(2);
    expect(await campaignsOf('2026-03-10')).toHaveLength(1);
  });

  it('a job that claimed and crashed finishes the day when run again: creates if nothing was made, adopts if the campaign was', async () => {
    await schedule();
    const slotAt = new Date('2026-03-11T10:00:00Z');
    const now = new Date('2026-03-11T10:00:01Z');
    // Crash after the claim, before the create.
    await approvedEdition('2026-03-11');
    expect(await p.app.scheduleStore.claim('daily', '2026-03-11', 'repeat:daily:c', slotAt, now)).toEqual({ kind: 'won' });
    const resumed = await p.app.runSlot({ newsletter: 'daily', slotAt, jobId: 'repeat:daily:c' }, now);
    expect(resumed).toMatchObject({ kind: 'created', adopted: false });
    expect(await campaignsOf('2026-03-11')).toHaveLength(1);

    // Crash after the create, before the claim was marked created.
    const id = await approvedEdition('2026-03-12');
    const slot2 = new Date('2026-03-12T10:00:00Z');
    expect(await p.app.scheduleStore.claim('daily', '2026-03-12', 'repeat:daily:d', slot2, now)).toEqual({ kind: 'won' });
    const { campaign } = await p.app.editions.createCampaign(id, { lists: ['daily'], at: 'now', by: 'schedule:daily', yes: true });
    const adopted = await p.app.runSlot({ newsletter: 'daily', slotAt: slot2, jobId: 'repeat:daily:d' }, now);
    expect(adopted).toEqual({ kind: 'created', date: '2026-03-12', campaignId: campaign.id, lateMs: 0, adopted: true });
    expect(await campaignsOf('2026-03-12')).toHaveLength(1);
  });

  it('the date is the slot\'s intended local date, not the day the job ran', async () => {
    await p.app.schedules.set({ newsletter: 'daily', cron: '30 23 * * *', tz: NY, lists: ['daily'], by: 'cli:test' });
    await approvedEdition('2026-03-12');
    // 23:30 New York on the 12th is 03:30 UTC on the 13th; run 40 minutes late, after local midnight.
    const r = await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-13T03:30:00Z'), jobId: 'repeat:daily:e' }, new Date('2026-03-13T04:10:00Z'));
    expect(r).toMatchObject({ kind: 'created', date: '2026-03-12', lateMs: 40 * 60_000 });
  });

  it('a slot missed while no worker ran is sent within the late window and skipped with an alert past it', async () => {
    await schedule(2 * 3_600_000);
    await approvedEdition('2026-03-16');
    await approvedEdition('2026-03-17');
    const inWindow = await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-16T10:00:00Z'), jobId: 'repeat:daily:f' }, new Date('2026-03-16T11:59:00Z'));
    expect(inWindow).toMatchObject({ kind: 'created', date: '2026-03-16' });
    const tooLate = await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-17T10:00:00Z'), jobId: 'repeat:daily:g' }, new Date('2026-03-17T12:01:00Z'));
    expect(tooLate).toEqual({ kind: 'missed', date: '2026-03-17', reason: 'too_late' });
    expect(await campaignsOf('2026-03-17')).toHaveLength(0);
    const [banner] = await p.app.scheduleStore.missed();
    expect(banner).toMatchObject({ newsletter: 'daily', date: '2026-03-17', reason: 'too_late' });
    expect(banner?.message).toMatch(/found 2 h 1 min late, past the late window of 2 h,/);
  });

  it('no approved edition: nothing sent; error banner, /metrics counter and an email to the editors', async () => {
    await schedule();
    const source = (await readFile(EXAMPLE_EDITION_FILE, 'utf8')).replace('date: 2025-02-13', 'date: 2026-03-18');
    await p.app.editions.save(source, 'cli:writer'); // a draft, never approved
    const r = await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-18T10:00:00Z'), jobId: 'repeat:daily:h' }, new Date('2026-03-18T10:00:01Z'));
    expect(r).toEqual({ kind: 'missed', date: '2026-03-18', reason: 'no_edition' });
    expect(await campaignsOf('2026-03-18')).toHaveLength(0);

    const [banner] = await p.app.scheduleStore.missed();
    expect(banner).toMatchObject({ newsletter: 'daily', date: '2026-03-18', reason: 'no_edition' });
    expect(banner?.message).toMatch(/no approved edition/);
    const metrics = await createMetrics(p.app).render();
    expect(metrics).toContain('newsdesk_schedule_missed_total{newsletter="daily",reason="no_edition"} 1');

    const [mail] = await p.smtp.waitForMessages(1);
    expect(mail?.to).toEqual(['editor@news.example.com']);
    expect(mail?.raw.toString('latin1')).toMatch(/Subject: \[newsdesk\] Newsdesk Daily 2026-03-18 not sent: no approved edition/);
    // A second fire of the same date raises nothing more.
    expect(await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-18T10:00:00Z'), jobId: 'repeat:daily:i' }, new Date('2026-03-18T10:00:05Z'))).toMatchObject({ kind: 'taken', state: 'missed' });
    expect(await p.app.scheduleStore.missedCounts()).toEqual([{ newsletter: 'daily', reason: 'no_edition', count: 1 }]);

    // The next slot that sends takes the banner down.
    await approvedEdition('2026-03-19');
    await p.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-19T10:00:00Z'), jobId: 'repeat:daily:j' }, new Date('2026-03-19T10:00:01Z'));
    expect(await p.app.scheduleStore.missed()).toEqual([]);
  });
});

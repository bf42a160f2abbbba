/**
 * The compaction job end to end: a campaign that finishes (or is cancelled) gets its
 * `compact-ledger` job, the worker compacts the ledger, and every read path answers as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { campaignReport } from '../../src/queue/campaign-report.ts';
import { compactLedgerJobId, scheduleUncompacted } from '../../src/queue/ledger-compaction.ts';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('ledger compaction job', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('compacts a sent campaign after its delay, and the status, report, deliveries and reader data answer the same', async () => {
    p = await startPipeline({ smtp: { reply: (e) => (e.stage === 'rcpt' && e.to[0] === 'reader3@example.org' ? { code: 550, message: '5.1.1 no such user' } : undefined) } });
    const ids = await p.addSubscribers('daily', 40);
    const c = await p.createCampaign(['daily']);
    await p.waitForStatus(c.id, 'sent');
    const app = p.app;

    const job = await until('the compaction job', async () => (await app.queues.campaign.getJob(compactLedgerJobId(c.id))) ?? undefined);
    expect(job.name).toBe('compact-ledger');
    expect(await job.isDelayed()).toBe(true);
    expect(await app.campaigns.ledger.isCompact(c.id)).toBe(false);

    const status = await app.service.status(c.id, { failures: 10 });
    const report = await campaignReport(app, c.id);
    const listed = await app.campaigns.deliveries(c.id, { limit: 1000 });
    const one = await Promise.all(ids.map((id) => app.campaigns.delivery(c.id, id)));
    const reader = await app.readerData.export('reader1@example.org');
    const shown = await app.campaigns.deliveriesOf(ids[2] as number, { campaigns: 10 });
    expect(shown).toEqual([expect.objectContaining({ campaignId: c.id, state: 'failed', detail: expect.stringContaining('5.1.1 no such user') })]);
    expect(status.failures).toHaveLength(1);
    expect(listed.filter((d) => d.state === 'sent')).toHaveLength(39);

    await job.promote();
    await until('the compact ledger', () => app.campaigns.ledger.isCompact(c.id));
    expect(await app.redis.exists(app.stores.keys.campaignDeliveries(c.id))).toBe(0);
    // The records' end is read as now + their TTL: the same instant, give or take the clock's millisecond.
    const after = await app.service.status(c.id, { failures: 10 });
    expect(Math.abs(Date.parse(after.deliveryRecordsUntil ?? '') - Date.parse(status.deliveryRecordsUntil ?? ''))).toBeLessThan(2_000);
    expect({ ...after, deliveryRecordsUntil: null }).toEqual({ ...status, deliveryRecordsUntil: null });
    expect(await campaignReport(app, c.id)).toEqual(report);
    const byId = (a: { subscriberId: number }, b: { subscriberId: number }) => a.subscriberId - b.subscriberId;
    expect(JSON.parse(JSON.stringify((await app.campaigns.deliveries(c.id, { limit: 1000 })).sort(byId)))).toEqual(JSON.parse(JSON.stringify(listed.sort(byId))));
    expect(JSON.parse(JSON.stringify(await Promise.all(ids.map((id) => app.campaigns.delivery(c.id, id)))))).toEqual(JSON.parse(JSON.stringify(one)));
    expect(await app.readerData.export('reader1@example.org')).toEqual(reader);
    expect(await app.campaigns.deliveriesOf(ids[2] as number, { campaigns: 10 })).toEqual(shown);
    expect(reader.deliveries).toEqual([expect.objectContaining({ campaignId: c.id, state: 'sent', messageId: `<${c.id}.${ids[0]}@news.example.com>` })]);
  });

  it('schedules compaction when a campaign is cancelled, and the sweep finds ended campaigns not compacted yet', async () => {
    p = await startPipeline({ workers: false });
    await p.addSubscribers('daily', 5);
    const c = await p.createCampaign(['daily'], new Date(Date.now() + 3_600_000));
    await p.app.service.cancel(c.id);
    const job = await p.app.queues.campaign.getJob(compactLedgerJobId(c.id));
    expect(job?.name).toBe('compact-ledger');
    await job?.remove();
    expect(await scheduleUncompacted(p.app.campaigns, { schedule: async (id) => void (await p?.app.queues.campaign.add('compact-ledger', { campaignId: id }, { jobId: compactLedgerJobId(id) })) })).toBe(1);
    // Compacted (nothing was ever registered, so only the marker changes), it is not scheduled again.
    expect(await p.app.campaigns.ledger.compact(c.id)).toMatchObject({ state: 'compacted', records: 0 });
    expect(await scheduleUncompacted(p.app.campaigns, { schedule: async () => undefined })).toBe(0);
  });
});

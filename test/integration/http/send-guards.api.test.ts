/**
 * Issue 15's guardrails through the API: no past start, "now" said explicitly, drafts started
 * later, the duplicate guard, lists in use, the stored send limits.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localDateOf } from '../../../src/domain/time-zone.ts';
import { validEditionInput } from '../../support/editions.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

let h: HttpHarness;
let token: string;

beforeEach(async () => {
  h = await startHttp();
  token = await h.token('tests');
  await h.addSubscribers('daily', 3);
});
afterEach(async () => {
  await h.close();
});

type Body = { id: string; status: string; scheduledAt: string; code: string; error: string; problems?: { path: string; message: string }[] };
const post = async (url: string, payload?: Record<string, unknown>) => {
  const res = await h.api(token, { method: 'POST', url, ...(payload === undefined ? {} : { payload }) });
  return { status: res.statusCode, body: res.json() as Body };
};
/** Today's edition where the newsroom is (the example newsletter is in New York). */
const todays = () => ({ ...validEditionInput(), date: localDateOf(new Date(), 'America/New_York') });

describe('start times', () => {
  it('refuses a start time in the past, naming it and now; nothing is stored', async () => {
    await h.api(token, { url: '/api/lists' });
    const before = await snapshot(h.t.redis, h.t.prefix);
    const r = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: '2025-01-01T06:00:00-05:00' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('start_time_past');
    expect(r.body.problems?.[0]?.path).toBe('at');
    expect(r.body.problems?.[0]?.message).toMatch(/the start time 2025-01-01 06:00 America\/New_York \(2025-01-01 11:00 UTC\) is in the past \(now is \d{4}-/);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });

  it('wants "now" said explicitly: no `at` and no draft is a 400 naming `at`', async () => {
    const r = await post('/api/campaigns', { edition: todays(), lists: ['daily'] });
    expect(r.status).toBe(400);
    expect(r.body.problems).toEqual([expect.objectContaining({ path: 'at', message: expect.stringMatching(/say when: "now", a time, or "draft": true/) })]);
    expect(await h.app.campaigns.list()).toEqual([]);
    const now = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: 'now' });
    expect(now.status).toBe(201);
    expect(now.body.status).toBe('scheduled');
  });

  it('reads a local time in the newsletter\'s zone', async () => {
    const r = await post('/api/campaigns', { edition: validEditionInput(), lists: ['daily'], at: '2031-02-13T06:00', confirmDate: true });
    expect(r.status).toBe(201);
    expect(r.body.scheduledAt).toBe('2031-02-13T11:00:00.000Z');
  });

  it('refuses to reschedule into the past', async () => {
    const { body } = await post('/api/campaigns', { edition: validEditionInput(), lists: ['daily'], at: '2031-02-13T06:00', confirmDate: true });
    const r = await post(`/api/campaigns/${body.id}/reschedule`, { at: '2021-02-13T06:00' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'start_time_past', problems: [{ path: 'at' }] });
    expect((await h.app.campaigns.get(body.id)).scheduledAt).toBe('2031-02-13T11:00:00.000Z');
  });

  it('asks for confirmDate when the edition is not the send day\'s', async () => {
    const r = await post('/api/campaigns', { edition: validEditionInput(), lists: ['daily'], at: 'now' });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('edition_not_today');
    expect(r.body.error).toMatch(/the edition is dated 2025-02-13 but today is \d{4}-\d\d-\d\d in America\/New_York/);
    expect(await h.app.campaigns.list()).toEqual([]);
  });
});

describe('drafts', () => {
  it('a draft does not start; it takes a test copy; start schedules it once', async () => {
    const created = await post('/api/campaigns', { edition: todays(), lists: ['daily'], draft: true });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('draft');
    expect(await h.app.queues.campaign.getJob(created.body.id)).toBeUndefined();
    expect((await post(`/api/campaigns/${created.body.id}/test`, { to: 'editor@example.com' })).status).toBe(200);

    const started = await post(`/api/campaigns/${created.body.id}/start`, { at: '2031-02-13T06:00', confirmDate: true });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: 'scheduled', scheduledAt: '2031-02-13T11:00:00.000Z' });
    expect(await (await h.app.queues.campaign.getJob(created.body.id))?.isDelayed()).toBe(true);
    const again = await post(`/api/campaigns/${created.body.id}/start`, {});
    expect(again).toMatchObject({ status: 409, body: { code: 'campaign_state' } });
  });
});

describe('the duplicate guard', () => {
  it('refuses the same edition to the same list with when and to whom, unless "again"', async () => {
    const first = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: '2031-02-13T06:00', confirmDate: true });
    expect(first.status).toBe(201);
    const second = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: 'now' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('duplicate_send');
    expect(second.body.error).toContain(`is scheduled for 2031-02-13T11:00:00.000Z to daily by campaign ${first.body.id}`);
    // A draft is fine (it sends nothing); starting it meets the same guard.
    const draft = await post('/api/campaigns', { edition: todays(), lists: ['daily'], draft: true });
    expect(draft.status).toBe(201);
    expect((await post(`/api/campaigns/${draft.body.id}/start`, { at: 'now' })).body.code).toBe('duplicate_send');
    expect((await post(`/api/campaigns/${draft.body.id}/start`, { at: 'now', again: true })).body.status).toBe('scheduled');
  });
});

describe('lists in use', () => {
  it('refuses to delete a list a scheduled campaign uses, naming it; ?force=true cancels it first', async () => {
    const { body: c } = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: '2031-02-13T06:00', confirmDate: true });
    const refused = await h.api(token, { method: 'DELETE', url: '/api/lists/daily' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'list_in_use', error: expect.stringContaining(`campaign ${c.id} (scheduled for 2031-02-13T11:00:00.000Z)`) });
    expect(await h.app.stores.lists.get('daily')).not.toBeNull();
    const forced = await h.api(token, { method: 'DELETE', url: '/api/lists/daily?force=true' });
    expect(forced.json()).toEqual({ deleted: 'daily', members: 3, cancelled: [c.id] });
    expect((await h.app.campaigns.get(c.id)).status).toBe('cancelled');
  });
});

describe('send limits', () => {
  it('are stored once for every worker: GET and PUT /api/limits', async () => {
    expect((await h.api(token, { url: '/api/limits' })).json()).toEqual({ stored: false, perSecond: null, perHour: null });
    const put = await h.api(token, { method: 'PUT', url: '/api/limits', payload: { perSecond: 40, perHour: 100_000 } });
    expect(put.json()).toEqual({ stored: true, perSecond: 40, perHour: 100_000 });
    await h.api(token, { method: 'PUT', url: '/api/limits', payload: { perSecond: 50 } });
    expect((await h.api(token, { url: '/api/limits' })).json()).toEqual({ stored: true, perSecond: 50, perHour: 100_000 });
    const bad = await h.api(token, { method: 'PUT', url: '/api/limits', payload: { perSecond: -1 } });
    expect(bad.statusCode).toBe(400);
    expect(await h.app.stores.sendLimits.get()).toEqual({ perSecond: 50, perHour: 100_000 });
    // The send rate is the operators': an editor's token reads it but does not change it.
    const editor = await h.token('editor', 'editor');
    expect((await h.api(editor, { url: '/api/limits' })).statusCode).toBe(200);
    expect((await h.api(editor, { method: 'PUT', url: '/api/limits', payload: { perSecond: 1000 } })).statusCode).toBe(403);
    expect(await h.app.stores.sendLimits.get()).toEqual({ perSecond: 50, perHour: 100_000 });
  });
});

describe('/metrics when nobody is sending', () => {
  /** The value of one series in a Prometheus text page. */
  const sample = (text: string, series: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };

  it('reports no live worker and the campaign stranded, until a worker beats', async () => {
    const { body: c } = await post('/api/campaigns', { edition: todays(), lists: ['daily'], at: 'now' });
    const before = (await h.api(token, { url: '/metrics' })).body;
    expect(sample(before, 'newsdesk_workers_alive')).toBe(0);
    expect(sample(before, 'newsdesk_worker_last_seen_seconds')).toBe(0);
    expect(sample(before, `newsdesk_campaign_stranded{campaign="${c.id}"}`)).toBe(1);

    await h.app.stores.workerHeartbeats.beat('host:1');
    // A scrape reuses what it read within the last second: ask until the beat shows.
    let after = before;
    const deadline = Date.now() + 10_000;
    while (sample(after, 'newsdesk_workers_alive') !== 1 && Date.now() < deadline) after = (await h.api(token, { url: '/metrics' })).body;
    expect(sample(after, 'newsdesk_workers_alive')).toBe(1);
    expect(sample(after, 'newsdesk_worker_last_seen_seconds')).toBeGreaterThan(0);
    expect(sample(after, `newsdesk_campaign_stranded{campaign="${c.id}"}`)).toBeUndefined();
    const status = (await h.api(token, { url: `/api/campaigns/${c.id}` })).json() as Record<string, unknown>;
    expect(status.noWorkerSince).toBeUndefined();
  });
});

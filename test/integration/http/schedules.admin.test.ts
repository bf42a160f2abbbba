/**
 * The dashboard's schedules page and the missed-slot banner, over the real server and Redis.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { dashboard, type HttpHarness, startHttp } from '../../support/http.ts';

const PASSWORD = 'correct horse battery staple';
let h: HttpHarness;
beforeEach(async () => {
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => h.close());

it('lists schedules with their next slots, pauses and resumes with a CSRF form, and shows a banner while a slot was missed', async () => {
  await h.app.schedules.set({ newsletter: 'daily', cron: '0 6 * * 1-5', tz: 'Asia/Kolkata', lists: ['daily'], by: 'cli:test' });
  const d = dashboard(h.server);
  await d.signIn(PASSWORD);
  const page = await d.get('/admin/schedules');
  expect(page.statusCode).toBe(200);
  const [view] = await h.app.schedules.list();
  for (const slot of view?.nextSlots ?? []) {
    expect(page.body).toContain(`<time datetime="${slot.utc}">${slot.local.slice(0, 10)} 06:00</time>`);
    expect(page.body).toContain(`${slot.utc.slice(0, 10)} 00:30 UTC`);
  }
  expect(page.body).not.toContain('data-banner="schedule-missed"');

  // Without the form's token nothing changes.
  expect((await d.post('/admin/schedules/daily/pause', {}, { csrf: null })).statusCode).toBe(403);
  expect((await h.app.scheduleStore.get('daily'))?.paused).toBe(false);
  const paused = await d.post('/admin/schedules/daily/pause', {}, { from: '/admin/schedules' });
  expect(paused.statusCode).toBe(200);
  expect(paused.body).toContain('Schedule of daily paused.');
  expect((await h.app.scheduleStore.get('daily'))?.paused).toBe(true);
  expect(await h.app.queues.schedule.getJobSchedulers()).toEqual([]);
  await d.post('/admin/schedules/daily/resume', {}, { from: '/admin/schedules' });
  expect((await h.app.scheduleStore.get('daily'))?.paused).toBe(false);
  expect((await h.app.stores.audit.list()).filter((e) => e.action.startsWith('schedule.')).map((e) => `${e.actor} ${e.action}`)).toEqual([
    'dashboard:admin schedule.pause',
    'dashboard:admin schedule.resume',
  ]);

  // A slot with no approved edition: the banner is on every page until a later slot sends.
  await h.app.runSlot({ newsletter: 'daily', slotAt: new Date('2026-03-09T00:30:00Z'), jobId: 'repeat:daily:1' }, new Date('2026-03-09T00:30:01Z'));
  for (const url of ['/admin/campaigns', '/admin/lists', '/admin/schedules']) {
    const body = (await d.get(url)).body;
    expect(body).toContain('data-banner="schedule-missed"');
    expect(body).toMatch(/<li data-newsletter="daily" data-reason="no_edition">daily 2026-03-09: no approved edition at the slot \(2026-03-09 06:00 Asia\/Kolkata/);
  }
  await h.app.scheduleStore.clearMissed('daily');
  expect((await d.get('/admin/campaigns')).body).not.toContain('data-banner="schedule-missed"');
});

it('sets a schedule with the form (the zone defaults to the newsletter\'s), refuses bad input beside its field changing nothing, and removes it', async () => {
  await h.app.stores.lists.create({ id: 'weekend', name: 'Weekend', newsletter: 'daily' });
  const d = dashboard(h.server);
  await d.signIn(PASSWORD);
  const blank = (await d.get('/admin/schedules')).body;
  expect(blank).toContain('<form method="post" action="/admin/schedules"');
  // The zone starts as the newsletter's timeZone (newsletters/daily.yaml); every list is a checkbox.
  expect(blank).toMatch(/<input type="text" id="schedule-tz" name="tz" value="America\/New_York"/);
  // Each newsletter carries its zone, for the page's script to put in an untouched zone field.
  expect(blank).toContain('<option value="daily" data-tz="America/New_York" selected>daily</option>');
  expect(blank).toContain('<input type="checkbox" name="lists" value="daily">');
  expect(blank).toContain('<input type="checkbox" name="lists" value="weekend">');

  const good = { newsletter: 'daily', cron: '0 6 * * 1-5', tz: 'Asia/Kolkata', lists: ['daily', 'weekend'], localTime: '07:30', lateWindow: '90m' };
  // Without the form's token nothing changes.
  expect((await d.post('/admin/schedules', good, { csrf: null })).statusCode).toBe(403);
  expect(await h.app.scheduleStore.get('daily')).toBeNull();

  const refusals: Array<[Record<string, string | string[]>, string, RegExp]> = [
    [{ cron: '0 0 30 2 *' }, 'cron', /&quot;0 0 30 2 \*&quot; never fires/],
    [{ cron: '0 0 6 * * *' }, 'cron', /seconds field/],
    [{ tz: 'Mars/Olympus' }, 'tz', /unknown time zone &quot;Mars\/Olympus&quot;/],
    [{ lists: ['daily', 'nope'] }, 'lists', /no list &quot;nope&quot;/],
    [{ lists: [] }, 'lists', /at least one list/],
    [{ localTime: '7am' }, 'localTime', /&quot;7am&quot; is not a time of day/],
    [{ lateWindow: 'soon' }, 'lateWindow', /&quot;soon&quot; is not a duration/],
    [{ newsletter: 'weekly' }, 'newsletter', /unknown newsletter &quot;weekly&quot;/],
  ];
  for (const [change, field, message] of refusals) {
    const res = await d.post('/admin/schedules', { ...good, ...change }, { from: '/admin/schedules' });
    expect(res.statusCode, field).toBe(400);
    const msgs = new RegExp(`<ul class="field-msgs" id="schedule-${field}-msgs"[^>]*><li class="error">([^<]*)</li></ul>`).exec(res.body);
    expect(msgs?.[1], field).toMatch(message);
    // Only that field is marked, and what was typed is still there.
    expect(res.body.match(/<li class="error">/g)).toHaveLength(1);
    expect(res.body).toContain(`value="${change.cron ?? good.cron}"`);
    expect(await h.app.scheduleStore.get('daily'), field).toBeNull();
  }
  expect(await h.app.queues.schedule.getJobSchedulers()).toEqual([]);

  // The zone left empty is the newsletter's.
  const set = await d.post('/admin/schedules', { ...good, tz: '' }, { from: '/admin/schedules' });
  expect(set.statusCode).toBe(200);
  const stored = await h.app.scheduleStore.get('daily');
  expect(stored).toMatchObject({ pattern: '0 6 * * 1-5', tz: 'America/New_York', lists: ['daily', 'weekend'], localTime: '07:30', lateWindowMs: 90 * 60_000, paused: false, updatedBy: 'dashboard:admin' });
  const [view] = await h.app.schedules.list();
  const next = view?.nextSlots[0];
  expect(next).toBeDefined();
  expect(set.body).toContain(`Schedule of daily set. Next slot: ${next?.local.slice(0, 16).replace('T', ' ')} America/New_York`);
  expect(set.body).toContain(`<time datetime="${next?.utc}">`);
  expect((await h.app.queues.schedule.getJobSchedulers()).map((j) => [j.key, j.pattern, j.tz])).toEqual([['daily', '0 6 * * 1-5', 'America/New_York']]);
  // "Change" opens the form filled with the schedule.
  const change = (await d.get('/admin/schedules?newsletter=daily')).body;
  expect(change).toContain('value="0 6 * * 1-5"');
  expect(change).toContain('<input type="checkbox" name="lists" value="weekend" checked>');

  const removed = await d.post('/admin/schedules/daily/remove', {}, { from: '/admin/schedules' });
  expect(removed.body).toContain('Schedule of daily removed.');
  expect(await h.app.scheduleStore.get('daily')).toBeNull();
  expect(await h.app.queues.schedule.getJobSchedulers()).toEqual([]);
  expect((await h.app.stores.audit.list()).filter((e) => e.action.startsWith('schedule.')).map((e) => [e.actor, e.action, e.target, e.detail])).toEqual([
    ['dashboard:admin', 'schedule.set', 'daily', { cron: '0 6 * * 1-5', tz: 'America/New_York', lists: 'daily,weekend', localTime: '07:30', lateWindow: '90m' }],
    ['dashboard:admin', 'schedule.remove', 'daily', undefined],
  ]);
});

it('a read-only sign-in sees no form and cannot set or remove a schedule', async () => {
  await h.app.schedules.set({ newsletter: 'daily', cron: '0 6 * * *', tz: 'UTC', lists: ['daily'], by: 'cli:test' });
  const d = dashboard(h.server);
  await d.signIn(await h.token('viewer', 'read'));
  const page = (await d.get('/admin/schedules')).body;
  expect(page).not.toContain('action="/admin/schedules"');
  expect(page).not.toContain('/remove');
  const csrf = /name="_csrf" value="([^"]+)"/.exec((await d.get('/admin/campaigns')).body)?.[1] ?? null;
  expect((await d.post('/admin/schedules', { newsletter: 'daily', cron: '0 7 * * *', tz: 'UTC', lists: 'daily' }, { csrf })).statusCode).toBe(403);
  expect((await d.post('/admin/schedules/daily/remove', {}, { csrf })).statusCode).toBe(403);
  expect(await h.app.scheduleStore.get('daily')).toMatchObject({ pattern: '0 6 * * *' });
});

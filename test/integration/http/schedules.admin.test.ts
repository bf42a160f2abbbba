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

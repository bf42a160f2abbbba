/**
 * `/api/schedules` over the real server and Redis: scopes, every refusal naming its field with
 * nothing changed (no settings, no BullMQ job scheduler), pause/resume/remove, audit entries.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpHarness, startHttp } from '../../support/http.ts';

let h: HttpHarness;
beforeEach(async () => {
  h = await startHttp();
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => h.close());

const good = { cron: '0 6 * * 1-5', tz: 'America/New_York', lists: ['daily'] };

async function nothingStored() {
  expect(await h.app.scheduleStore.all()).toEqual([]);
  expect(await h.app.queues.schedule.getJobSchedulers()).toEqual([]);
}

describe('/api/schedules', () => {
  it('an editor sets a schedule; it lists the next five slots in local time and UTC; pause, resume and delete; each audited', async () => {
    const editor = await h.token('ada', 'editor');
    const put = await h.api(editor, { method: 'PUT', url: '/api/schedules/daily', payload: { ...good, lateWindow: '90m', localTime: '06:00' } });
    expect(put.statusCode).toBe(200);
    const view = put.json();
    expect(view).toMatchObject({ newsletter: 'daily', cron: '0 6 * * 1-5', tz: 'America/New_York', lists: ['daily'], lateWindow: '90m', lateWindowMs: 5_400_000, localTime: '06:00', paused: false, updatedBy: 'api:ada' });
    expect(view.nextSlots).toHaveLength(5);
    for (const slot of view.nextSlots as Array<{ local: string; utc: string }>) {
      expect(slot.local).toMatch(/T06:00:00-0[45]:00$/);
      expect(new Date(slot.local).toISOString()).toBe(slot.utc);
    }
    expect((await h.app.queues.schedule.getJobSchedulers()).map((s) => s.key)).toEqual(['daily']);

    const list = await h.api(await h.token('screen', 'read'), { url: '/api/schedules' });
    expect(list.json().schedules).toEqual([view]);

    const paused = await h.api(editor, { method: 'POST', url: '/api/schedules/daily/pause' });
    expect(paused.json()).toMatchObject({ paused: true, nextSlots: [] });
    expect(await h.app.queues.schedule.getJobSchedulers()).toEqual([]);
    const resumed = await h.api(editor, { method: 'POST', url: '/api/schedules/daily/resume' });
    expect(resumed.json()).toMatchObject({ paused: false });
    expect(resumed.json().nextSlots).toHaveLength(5);
    expect((await h.api(editor, { method: 'DELETE', url: '/api/schedules/daily' })).json()).toEqual({ newsletter: 'daily', removed: true });
    await nothingStored();
    expect((await h.api(editor, { url: '/api/schedules/daily' })).statusCode).toBe(404);

    const audit = (await h.app.stores.audit.list()).filter((e) => e.action.startsWith('schedule.'));
    expect(audit.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['api:ada', 'schedule.set', 'daily'],
      ['api:ada', 'schedule.pause', 'daily'],
      ['api:ada', 'schedule.resume', 'daily'],
      ['api:ada', 'schedule.remove', 'daily'],
    ]);
  });

  it('a read token may look but not change', async () => {
    const reader = await h.token('screen', 'read');
    expect((await h.api(reader, { method: 'PUT', url: '/api/schedules/daily', payload: good })).statusCode).toBe(403);
    await nothingStored();
  });

  it('refuses bad settings with a 400 naming the field, and changes nothing', async () => {
    const editor = await h.token('ada', 'editor');
    const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
      ['daily', { ...good, cron: '0 0 30 2 *' }, /^cron: "0 0 30 2 \*" never fires/],
      ['daily', { ...good, cron: '*/10 * * * * *' }, /^cron: .*seconds field/],
      ['daily', { ...good, tz: 'Mars/Olympus_Mons' }, /^tz: unknown time zone "Mars\/Olympus_Mons"/],
      ['daily', { ...good, lists: ['daily', 'nope'] }, /^lists: no list "nope"/],
      ['daily', { ...good, localTime: '25:00' }, /^localTime: "25:00" is not a time of day/],
      ['daily', { ...good, lateWindow: 'soon' }, /^lateWindow: "soon" is not a duration/],
      ['weekly', good, /unknown newsletter "weekly"/],
    ];
    for (const [newsletter, body, message] of refusals) {
      const res = await h.api(editor, { method: 'PUT', url: `/api/schedules/${newsletter}`, payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toMatch(message);
      await nothingStored();
    }
    // A replaced schedule stays as it was when the replacement is refused.
    await h.api(editor, { method: 'PUT', url: '/api/schedules/daily', payload: good });
    const before = await h.app.scheduleStore.all();
    expect((await h.api(editor, { method: 'PUT', url: '/api/schedules/daily', payload: { ...good, cron: '0 0 31 4 *' } })).statusCode).toBe(400);
    expect(await h.app.scheduleStore.all()).toEqual(before);
    expect((await h.app.queues.schedule.getJobSchedulers()).map((s) => s.pattern)).toEqual(['0 6 * * 1-5']);
  });
});

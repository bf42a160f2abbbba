/**
 * The API side of issue 15's input fixes: a subscriber's name and a list's newsletter can be
 * changed, and a campaign body gets every problem in one 400.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_EDITION_FILE } from '../../support/editions.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { row, snapshot } from '../../support/store-fixtures.ts';

let h: HttpHarness;
let token: string;
beforeEach(async () => {
  h = await startHttp();
  token = await h.token();
});
afterEach(async () => {
  await h.close();
});

describe('PATCH /api/subscribers/:id', () => {
  it('changes the name (null removes it) and answers with the record', async () => {
    await h.app.stores.lists.create({ id: 'metro' });
    const [joined] = await h.app.stores.subscribers.joinList('metro', [row('jane@example.com', 'Doe, Jane')], { via: 'admin' });
    const id = joined && 'id' in joined ? joined.id : 0;
    const res = await h.api(token, { method: 'PATCH', url: `/api/subscribers/${id}`, payload: { name: 'Jane Doe' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ subscriber: { id, name: 'Jane Doe', status: 'active' }, lists: ['metro'] });
    const cleared = await h.api(token, { method: 'PATCH', url: `/api/subscribers/${id}`, payload: { name: null } });
    expect(cleared.json().subscriber).not.toHaveProperty('name');
    expect((await h.api(token, { method: 'PATCH', url: '/api/subscribers/999', payload: { name: 'X' } })).statusCode).toBe(404);
    expect((await h.api(token, { method: 'PATCH', url: `/api/subscribers/${id}`, payload: { name: 'a\u0000b' } })).json()).toMatchObject({ problems: [{ path: 'name' }] });
  });
});

describe('PATCH /api/lists/:id { newsletter }', () => {
  it('sets the newsletter after creation, unties it with null, refuses an unknown one', async () => {
    await h.app.stores.lists.create({ id: 'signups' });
    expect((await h.api(token, { method: 'PATCH', url: '/api/lists/signups', payload: { newsletter: 'daily' } })).json()).toMatchObject({ id: 'signups', newsletter: 'daily' });
    const before = await snapshot(h.t.redis, h.t.prefix);
    const unknown = await h.api(token, { method: 'PATCH', url: '/api/lists/signups', payload: { newsletter: 'weekly' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'newsletter_not_found', error: expect.stringMatching(/^unknown newsletter "weekly"/) });
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
    expect((await h.api(token, { method: 'PATCH', url: '/api/lists/signups', payload: { newsletter: null } })).json()).not.toHaveProperty('newsletter');
  });

  it('refuses an unknown newsletter when a list is created, too', async () => {
    const res = await h.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'weekly', newsletter: 'weekly' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'newsletter_not_found' });
    expect(await h.app.stores.lists.get('weekly')).toBeNull();
  });
});

describe('POST /api/campaigns: every problem at once', () => {
  it('names a list that does not exist and a bad edition field in one 400, storing nothing', async () => {
    await h.app.stores.lists.create({ id: 'daily' });
    const edition = readFileSync(EXAMPLE_EDITION_FILE, 'utf8').replace(/^moreForYou:/m, 'moreforyou:');
    const res = await h.api(token, { method: 'POST', url: '/api/campaigns', payload: { edition, lists: ['daily', 'dialy'], draft: true } });
    expect(res.statusCode).toBe(400);
    const paths = (res.json() as { problems: { path: string }[] }).problems.map((p) => p.path);
    expect(paths).toEqual(['lists[1]', 'moreforyou']);
    expect(await h.app.campaigns.list(10)).toEqual([]);
  });

  it('names a missing list and a lint error together', async () => {
    const edition = readFileSync(EXAMPLE_EDITION_FILE, 'utf8').replace(/^(\s+)label: .*$/m, '');
    const res = await h.api(token, { method: 'POST', url: '/api/campaigns', payload: { edition, lists: ['nope'], draft: true } });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { problems: { path: string }[] }).problems.map((p) => p.path)).toEqual(['lists[0]', 'edition.sponsor.label']);
  });
});

/**
 * Stored editions over the API (README.md, "Stored editions"): PUT/GET
 * `/api/editions/<newsletter>/<date>`, the list, approval, scopes, and `POST /api/campaigns`
 * with `{ edition: "<id>" }`; over real Redis through `inject`.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_EDITION_FILE, validEditionInput } from '../../support/editions.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

let h: HttpHarness;
let editor: string;
const exampleYaml = readFileSync(EXAMPLE_EDITION_FILE, 'utf8');
const URL = '/api/editions/daily/2025-02-13';
const yaml = { 'content-type': 'application/yaml' };

beforeEach(async () => {
  h = await startHttp();
  editor = await h.token('desk', 'editor');
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => {
  await h.close();
});

describe('PUT and GET /api/editions/<newsletter>/<date>', () => {
  it('stores revisions (201, then 200; the same text adds none) and reads any of them back with who saved it', async () => {
    const first = await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ id: 'daily-2025-02-13', state: 'draft', revision: 1, savedBy: 'api:desk', changed: true, lint: { ok: true } });
    const same = await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toMatchObject({ revision: 1, changed: false });
    // A JSON object body is stored as JSON text.
    const second = await h.api(editor, { method: 'PUT', url: URL, payload: validEditionInput() });
    expect(second.json()).toMatchObject({ revision: 2, changed: true });

    const latest = await h.api(editor, { url: URL });
    expect(latest.statusCode).toBe(200);
    expect(JSON.parse(latest.json().source)).toEqual(validEditionInput());
    expect(latest.json().revisions).toEqual([expect.objectContaining({ revision: 1, savedBy: 'api:desk' }), expect.objectContaining({ revision: 2, savedBy: 'api:desk' })]);
    expect((await h.api(editor, { url: `${URL}?revision=1` })).json()).toMatchObject({ revision: 1, latestRevision: 2, source: exampleYaml });
    expect((await h.api(editor, { url: `${URL}?revision=3` })).statusCode).toBe(404);

    const list = await h.api(editor, { url: '/api/editions?newsletter=daily' });
    expect(list.json()).toEqual([expect.objectContaining({ id: 'daily-2025-02-13', revision: 2, state: 'draft' })]);
    expect(list.json()[0]).not.toHaveProperty('source');
    expect((await h.api(editor, { url: '/api/editions?newsletter=other' })).json()).toEqual([]);
    expect((await h.app.stores.audit.list()).map((e) => `${e.action} ${e.actor}`)).toEqual(['edition.save api:desk', 'edition.save api:desk']);
  });

  it('refuses a body for another newsletter or date than the URL, a malformed body and an unknown edition, changing nothing', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    const before = await snapshot(h.t.redis, h.t.prefix);
    const mismatch = await h.api(editor, { method: 'PUT', url: '/api/editions/daily/2025-02-14', headers: yaml, payload: exampleYaml });
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json()).toMatchObject({ code: 'edition_mismatch', problems: [{ path: 'date', message: 'is "2025-02-13" but the URL names "2025-02-14"' }] });
    const other = await h.api(editor, { method: 'PUT', url: '/api/editions/weekend/2025-02-13', headers: yaml, payload: exampleYaml });
    expect(other.json()).toMatchObject({ code: 'edition_mismatch', problems: [{ path: 'newsletter' }] });
    const malformed = await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml.replace(/^subject: .*$/m, 'subject: Cold: snow') });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'edition_invalid', problems: [expect.objectContaining({ line: 5 })] });
    const badDate = await h.api(editor, { method: 'PUT', url: '/api/editions/daily/13-02-2025', headers: yaml, payload: exampleYaml });
    expect(badDate.statusCode).toBe(400);
    const unknown = await h.api(editor, { url: '/api/editions/daily/2025-02-12' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ code: 'not_found', error: 'edition not found: daily-2025-02-12 (did you mean daily-2025-02-13?)' });
    expect((await h.api(editor, { method: 'POST', url: '/api/editions/daily/2025-02-12/approve' })).statusCode).toBe(404);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });

  it('lets editor and admin tokens save, read and approve; a read token sees none of it', async () => {
    const read = await h.token('viewer', 'read');
    const metrics = await h.token('prom', 'metrics');
    const admin = await h.token('boss', 'admin');
    for (const t of [read, metrics]) {
      expect((await h.api(t, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml })).statusCode).toBe(403);
      expect((await h.api(t, { url: URL })).statusCode).toBe(403);
      expect((await h.api(t, { url: '/api/editions' })).statusCode).toBe(403);
      expect((await h.api(t, { method: 'POST', url: `${URL}/approve` })).statusCode).toBe(403);
    }
    expect(await h.app.editions.list()).toEqual({ editions: [], total: 0 });
    expect((await h.api(admin, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml })).statusCode).toBe(201);
    expect((await h.api(editor, { url: URL })).statusCode).toBe(200);
    expect((await h.api(editor, { method: 'POST', url: `${URL}/approve` })).json()).toMatchObject({ state: 'approved', approvedBy: 'api:desk' });
  });
});

describe('POST /api/editions/<newsletter>/<date>/approve', () => {
  it('names the lint errors it refuses, approves a clean edition, and a change makes it a draft again', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml.replace(/^ {2}label: .*\n/m, '') });
    const refused = await h.api(editor, { method: 'POST', url: `${URL}/approve` });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'edition_lint_failed', problems: [{ path: 'sponsor.label' }] });
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    expect((await h.api(editor, { method: 'POST', url: `${URL}/approve` })).json()).toMatchObject({ state: 'approved', revision: 2 });
    const edited = await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: `${exampleYaml}# a comment\n` });
    expect(edited.json()).toMatchObject({ state: 'draft', revision: 3 });
  });
});

describe('GET /api/editions', () => {
  it('gives a page (limit, offset) and the count of all in x-total-count; a bad limit is a 400', async () => {
    for (const date of ['2025-02-12', '2025-02-13', '2025-02-14']) {
      await h.api(editor, { method: 'PUT', url: `/api/editions/daily/${date}`, headers: yaml, payload: exampleYaml.replace(/^date: .*$/m, `date: ${date}`) });
    }
    const all = await h.api(editor, { url: '/api/editions' });
    expect(all.json().map((e: { id: string }) => e.id)).toEqual(['daily-2025-02-14', 'daily-2025-02-13', 'daily-2025-02-12']);
    expect(all.headers['x-total-count']).toBe('3');
    const page = await h.api(editor, { url: '/api/editions?newsletter=daily&limit=2&offset=1' });
    expect(page.json().map((e: { id: string }) => e.id)).toEqual(['daily-2025-02-13', 'daily-2025-02-12']);
    expect(page.headers['x-total-count']).toBe('3');
    const bad = await h.api(editor, { url: '/api/editions?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ problems: [{ path: 'query.limit' }] });
  });
});

describe('DELETE /api/editions/<newsletter>/<date>', () => {
  it('deletes an unsent edition for an editor token; a draft campaign of it is a 409 until ?force=true; a read token may not', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    const { campaign } = await h.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'draft', by: 'api:desk' });
    const read = await h.token('viewer', 'read');
    expect((await h.api(read, { method: 'DELETE', url: URL })).statusCode).toBe(403);
    // After each token's first use: a token records when it was last used (at most once a minute).
    const before = await snapshot(h.app.redis, h.t.prefix);
    const inUse = await h.api(editor, { method: 'DELETE', url: URL });
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json()).toMatchObject({ code: 'edition_in_use', error: expect.stringContaining(campaign.id) });
    expect((await h.api(editor, { method: 'DELETE', url: `${URL}?force=maybe` })).statusCode).toBe(400);
    expect(await snapshot(h.app.redis, h.t.prefix)).toEqual(before);

    const deleted = await h.api(editor, { method: 'DELETE', url: `${URL}?force=true` });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toEqual({ deleted: 'daily-2025-02-13', state: 'draft', revisions: 1, cancelled: [campaign.id] });
    expect((await h.api(editor, { url: URL })).statusCode).toBe(404);
    expect((await h.api(editor, { method: 'DELETE', url: URL })).statusCode).toBe(404);
    expect((await h.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'edition.delete', actor: 'api:desk' });
  });

  it('keeps a sent edition (409 edition_state)', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    await h.api(editor, { method: 'POST', url: `${URL}/approve` });
    await h.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily'], at: 'now', by: 'api:desk', yes: true });
    const r = await h.api(editor, { method: 'DELETE', url: URL });
    expect(r.statusCode).toBe(409);
    expect(r.json()).toMatchObject({ code: 'edition_state', error: expect.stringContaining('it stays') });
    expect(await h.app.editions.get('daily-2025-02-13')).toMatchObject({ state: 'sent' });
  });
});

describe('POST /api/campaigns with a stored edition', () => {
  it('refuses a draft edition (409), sends an approved one, freezing its revision and marking it sent', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    const body = { edition: 'daily-2025-02-13', lists: ['daily'], at: 'now', confirmDate: true };
    const before = await snapshot(h.t.redis, h.t.prefix);
    const refused = await h.api(editor, { method: 'POST', url: '/api/campaigns', payload: body });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'edition_state', error: expect.stringContaining('is a draft (revision 1): approve it first') });
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);

    // A draft campaign of it is fine (for a test send).
    const draft = await h.api(editor, { method: 'POST', url: '/api/campaigns', payload: { edition: 'daily-2025-02-13', lists: ['daily'], draft: true } });
    expect(draft.statusCode, draft.body).toBe(201);
    expect(draft.json()).toMatchObject({ status: 'draft', editionId: 'daily-2025-02-13', editionRevision: 1, lint: { ok: true } });

    expect((await h.api(editor, { method: 'POST', url: `${URL}/approve` })).json().state).toBe('approved');
    const created = await h.api(editor, { method: 'POST', url: '/api/campaigns', payload: body });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ status: 'scheduled', editionId: 'daily-2025-02-13', editionRevision: 1, lists: ['daily'] });
    const edition = await h.api(editor, { url: URL });
    expect(edition.json()).toMatchObject({ state: 'sent', sentRevision: 1, campaignIds: [created.json().id] });
    expect((await h.app.stores.audit.list()).at(-1)).toMatchObject({ action: 'campaign.create', actor: 'api:desk', target: created.json().id, detail: { edition: 'daily-2025-02-13', revision: 1 } });

    // Sent: a PUT of a change is a 409 unless ?force=true, and the forced revision stays sent.
    const changed = `${exampleYaml}# corrected\n`;
    expect((await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: changed })).statusCode).toBe(409);
    const forced = await h.api(editor, { method: 'PUT', url: `${URL}?force=true`, headers: yaml, payload: changed });
    expect(forced.json()).toMatchObject({ state: 'sent', revision: 2, warning: expect.stringContaining('stays sent') });
  });

  it('names an unknown stored edition with the other problems of the body in one 400', async () => {
    await h.api(editor, { method: 'PUT', url: URL, headers: yaml, payload: exampleYaml });
    const res = await h.api(editor, { method: 'POST', url: '/api/campaigns', payload: { edition: 'daily-2025-02-14', lists: ['nope'], at: 'now' } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'request_invalid',
      problems: [
        { path: 'lists[0]', message: 'no such list' },
        { path: 'edition', message: 'edition not found: daily-2025-02-14 (did you mean daily-2025-02-13?)' },
      ],
    });
    expect(await h.app.campaigns.list()).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('documents the stored-edition routes', async () => {
    const spec = (await h.server.inject({ url: '/api/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths['/api/editions/{newsletter}/{date}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect(spec.paths['/api/editions/{newsletter}/{date}/approve']).toHaveProperty('post');
    expect(spec.paths['/api/editions']).toHaveProperty('get');
  });
});

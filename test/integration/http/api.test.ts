/** The editors' API through `inject`, over real Redis, stores, campaigns and a loopback SMTP server. */
import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_EDITION_FILE, validEditionInput } from '../../support/editions.ts';
import { type HttpHarness, multipartForm, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

let h: HttpHarness;
let token: string;
const exampleYaml = readFileSync(EXAMPLE_EDITION_FILE, 'utf8');

beforeEach(async () => {
  h = await startHttp();
  token = await h.token('tests');
});
afterEach(async () => {
  await h.close();
});

type Problems = { error: string; code: string; problems: { path: string; message: string; line?: number }[] };
const paths = (body: unknown) => (body as Problems).problems.map((p) => p.path).sort();

describe('authentication', () => {
  it('answers 401 without a token, with a wrong one and with a revoked one, and does nothing', async () => {
    const before = await snapshot(h.t.redis, h.t.prefix);
    const attempts = [
      {},
      { authorization: 'Bearer nd_00000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` },
    ];
    for (const headers of attempts) {
      const res = await h.server.inject({ method: 'POST', url: '/api/lists', headers, payload: { id: 'sneaky' } });
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="newsdesk"');
      expect((res.json() as { code: string }).code).toBe('unauthorized');
    }
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);

    expect((await h.api(token, { url: '/api/lists' })).statusCode).toBe(200);
    await h.app.stores.apiTokens.revoke('tests');
    expect((await h.api(token, { url: '/api/lists' })).statusCode).toBe(401);
  });

  it('keeps /metrics behind a token too, and /healthz open', async () => {
    expect((await h.server.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await h.server.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok', redis: 'up' });
  });
});

describe('lists', () => {
  it('creates, reads, renames and deletes', async () => {
    const created = await h.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'daily', name: 'Daily', newsletter: 'daily', doubleOptIn: true } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ id: 'daily', name: 'Daily', doubleOptIn: true });
    expect((await h.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'daily' } })).statusCode).toBe(409);
    expect((await h.api(token, { url: '/api/lists/daily' })).json()).toMatchObject({ id: 'daily', members: 0 });
    expect((await h.api(token, { method: 'PATCH', url: '/api/lists/daily', payload: { name: 'The Daily' } })).json()).toMatchObject({ name: 'The Daily', public: false });
    expect((await h.api(token, { method: 'PATCH', url: '/api/lists/daily', payload: { public: true } })).json()).toMatchObject({ name: 'The Daily', public: true });
    expect((await h.api(token, { url: '/api/lists' })).json()).toEqual([expect.objectContaining({ id: 'daily', name: 'The Daily', members: 0 })]);
    expect((await h.api(token, { method: 'DELETE', url: '/api/lists/daily' })).json()).toEqual({ deleted: 'daily', members: 0 });
    expect((await h.api(token, { url: '/api/lists/daily' })).statusCode).toBe(404);
  });

  it('imports a CSV sent as text/csv or as a multipart file, with the CLI summary; a malformed file writes nothing', async () => {
    await h.app.stores.lists.create({ id: 'daily' });
    const csv = 'email,name,city\nann@example.com,Ann,Paris\nbad-address,X,\nann@example.com,Ann,Paris\nbob@example.com,Bob\n';
    const first = await h.api(token, { method: 'POST', url: '/api/lists/daily/import', payload: csv, headers: { 'content-type': 'text/csv' } });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      rows: 4,
      added: 1,
      updated: 0,
      alreadyMember: 0,
      invalid: 2,
      suppressed: 0,
      duplicates: 1,
      errors: [
        { line: 3, reason: 'email: not a valid email address: "bad-address"' },
        { line: 5, reason: 'has 2 fields, the header has 3' },
      ],
      errorsOmitted: 0,
    });

    const upload = multipartForm({}, { field: 'file', name: 'more.csv', type: 'text/csv', content: 'email,name\ncy@example.com,Cy\nann@example.com,Annie\n' });
    const second = await h.api(token, { method: 'POST', url: '/api/lists/daily/import?update=true', ...upload });
    expect(second.json()).toMatchObject({ rows: 2, added: 1, alreadyMember: 1, updated: 1 });
    expect((await h.app.stores.subscribers.findByEmail('ann@example.com'))?.name).toBe('Annie');

    const before = await snapshot(h.t.redis, h.t.prefix);
    const broken = await h.api(token, { method: 'POST', url: '/api/lists/daily/import', payload: 'mail,name\nx@example.com,X\n', headers: { 'content-type': 'text/csv' } });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'csv_malformed', problems: [{ path: 'file', line: 1, message: expect.stringContaining('no "email" column') }] });
    const none = await h.api(token, { method: 'POST', url: '/api/lists/daily/import', payload: { rows: [] } });
    expect(none.statusCode).toBe(400);
    expect(paths(none.json())).toEqual(['file']);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);

    const exported = await h.api(token, { url: '/api/lists/daily/export' });
    expect(exported.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(exported.body.split('\n')[0]).toBe('email,name,status,created_at,confirmed_at,city');
    expect(exported.body).toContain('cy@example.com,Cy,active');
  });
});

describe('subscribers', () => {
  it('adds to a list, finds, takes off a list, unsubscribes; refuses a suppressed address with the reason', async () => {
    await h.app.stores.lists.create({ id: 'daily' });
    const add = () => h.api(token, { method: 'POST', url: '/api/lists/daily/subscribers', payload: { email: 'Jane@Example.com', name: 'Jane', attributes: { city: 'Oslo' } } });
    const created = await add();
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: number }).id;
    expect((await add()).statusCode).toBe(200);
    const found = await h.api(token, { url: '/api/subscribers?email=jane@example.com' });
    expect(found.json()).toMatchObject({ subscriber: { id, emailDisplay: 'Jane@Example.com', attributes: { city: 'Oslo' } }, lists: ['daily'], suppression: null });
    expect((await h.api(token, { url: `/api/subscribers/${id}` })).json()).toMatchObject({ subscriber: { id } });

    const off = await h.api(token, { method: 'DELETE', url: `/api/lists/daily/subscribers/${id}` });
    expect(off.json()).toMatchObject({ kind: 'left-list', listId: 'daily', wasMember: true });
    const gone = await h.api(token, { method: 'POST', url: `/api/subscribers/${id}/unsubscribe`, payload: {} });
    expect(gone.json()).toMatchObject({ kind: 'changed', subscriber: { status: 'unsubscribed' } });

    const refused = await add();
    expect(refused.statusCode).toBe(409);
    expect((refused.json() as { error: string }).error).toMatch(/was not added to daily: the address is suppressed \(unsubscribe on/);
    expect((await h.api(token, { url: '/api/subscribers?email=nobody@example.com' })).statusCode).toBe(404);
  });

  it('answers an unsubscribe or a removal only once a send to the address already under way is over', async () => {
    const [ann, bob] = await h.addSubscribers('daily', 2);
    const sends = h.app.stores.sendsInProgress;
    for (const [id, request] of [
      [ann, { method: 'POST', url: `/api/subscribers/${ann}/unsubscribe`, payload: {} }],
      [bob, { method: 'DELETE', url: `/api/lists/daily/subscribers/${bob}` }],
    ] as const) {
      // A worker passed its check for this subscriber and is in the SMTP transaction.
      await sends.begin(id as number, 'daily-2025-02-13-abc123', 60_000);
      const events: string[] = [];
      const over = new Promise<void>((resolve) =>
        setTimeout(() => {
          events.push('send over');
          void sends.end(id as number, 'daily-2025-02-13-abc123').then(resolve);
        }, 150),
      );
      const res = await h.api(token, request);
      events.push('answered');
      await over;
      expect(res.statusCode).toBe(200);
      expect(events).toEqual(['send over', 'answered']);
    }
  });
});

describe('editions', () => {
  it('validates YAML text with the lint report, and names every bad field (with its line for text)', async () => {
    const ok = await h.api(token, { method: 'POST', url: '/api/editions/validate', payload: exampleYaml, headers: { 'content-type': 'application/yaml' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ valid: true, sendable: true, newsletter: 'daily', date: '2025-02-13', lint: { ok: true, errors: [] } });

    const broken = exampleYaml.replace(/^date: 2025-02-13$/m, 'date: someday').replace(/^( {6}alt: )Vladimir.*$/m, '$1""');
    const bad = await h.api(token, { method: 'POST', url: '/api/editions/validate', payload: broken, headers: { 'content-type': 'text/yaml' } });
    expect(bad.statusCode).toBe(400);
    const problems = (bad.json() as Problems).problems;
    expect(problems.map((p) => p.path)).toEqual(['date', 'watching[0].image.alt']);
    expect(problems[0]?.line).toBe(4);

    const json = validEditionInput();
    (json.watching as Record<string, unknown>[])[0]!.link = 'javascript:alert(1)';
    const badJson = await h.api(token, { method: 'POST', url: '/api/editions/validate', payload: json });
    expect(paths(badJson.json())).toEqual(['watching[0].link']);
  });

  it('previews the email for a sample reader, as JSON or as the HTML page', async () => {
    const res = await h.api(token, { method: 'POST', url: '/api/editions/preview', payload: exampleYaml, headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { subject: string; html: string; text: string; lint: { ok: boolean } };
    expect(body.subject).toBe('Putin and Trump talk peace terms, and Ukraine waits by the phone');
    expect(body.html).toContain('Good morning, Alex');
    expect(body.text).toContain('https://news.example.com/u/test-send');
    const page = await h.api(token, { method: 'POST', url: '/api/editions/preview?format=html', payload: validEditionInput() });
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('A quiet day');
  });
});

describe('campaigns', () => {
  beforeEach(async () => {
    await h.addSubscribers('daily', 3);
  });

  it('creates a scheduled campaign, reports it, reschedules, refuses a pause before it sends, cancels', async () => {
    const at = new Date(Date.now() + 3600_000);
    const created = await h.api(token, { method: 'POST', url: '/api/campaigns', payload: { edition: exampleYaml, lists: ['daily'], at: at.toISOString() } });
    expect(created.statusCode).toBe(201);
    const campaign = created.json() as { id: string; status: string; scheduledAt: string; lint: { ok: boolean } };
    expect(campaign).toMatchObject({ status: 'scheduled', scheduledAt: at.toISOString(), lint: { ok: true } });
    expect(await h.app.queues.campaign.getJob(campaign.id)).toBeTruthy();

    const status = await h.api(token, { url: `/api/campaigns/${campaign.id}` });
    expect(status.json()).toMatchObject({ id: campaign.id, status: 'scheduled', progress: 0, failures: [], deliveryRecordsUntil: null, deliveryRecordsRemoved: false });
    expect((await h.api(token, { url: '/api/campaigns' })).json()).toEqual([expect.objectContaining({ id: campaign.id })]);

    const later = '2030-01-01T06:00:00-05:00';
    expect((await h.api(token, { method: 'POST', url: `/api/campaigns/${campaign.id}/reschedule`, payload: { at: later } })).json()).toMatchObject({
      scheduledAt: '2030-01-01T11:00:00.000Z',
    });
    const pause = await h.api(token, { method: 'POST', url: `/api/campaigns/${campaign.id}/pause` });
    expect(pause.statusCode).toBe(409);
    expect(pause.json()).toMatchObject({ code: 'campaign_state', error: `cannot pause campaign ${campaign.id}: it is scheduled` });
    expect((await h.api(token, { method: 'POST', url: `/api/campaigns/${campaign.id}/cancel` })).json()).toMatchObject({ status: 'cancelled' });
    expect((await h.api(token, { url: `/api/campaigns/${campaign.id}/deliveries` })).json()).toEqual([]);
  });

  it('sends a test copy through the transport, subject marked [TEST]', async () => {
    const created = (await h.api(token, { method: 'POST', url: '/api/campaigns', payload: { edition: validEditionInput(), lists: ['daily'], at: '2030-01-01T06:00:00Z' } })).json() as { id: string };
    const res = await h.api(token, { method: 'POST', url: `/api/campaigns/${created.id}/test`, payload: { to: 'editor@example.com' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'sent' });
    const [message] = await h.smtp.waitForMessages(1);
    expect(message?.to).toEqual(['editor@example.com']);
    expect((await simpleParser(message?.raw as Buffer)).subject).toBe('[TEST] A quiet day');
  });

  it('refuses an edition with lint errors, naming the field; nothing is stored', async () => {
    const edition = validEditionInput();
    delete (edition.sponsor as Record<string, unknown>).label;
    await h.api(token, { url: '/api/lists' }); // the token's use is recorded before the snapshot
    const before = await snapshot(h.t.redis, h.t.prefix);
    const res = await h.api(token, { method: 'POST', url: '/api/campaigns', payload: { edition, lists: ['daily'] } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'edition_lint_failed', problems: [{ path: 'edition.sponsor.label' }] });
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });
});

describe('every 400 names its field', () => {
  it.each([
    ['POST', '/api/lists', { id: 'Not A Slug', doubleOptIn: 'yes', colour: 'red' }, ['colour', 'doubleOptIn', 'id']],
    ['POST', '/api/lists', undefined, ['(body)']],
    ['PATCH', '/api/lists/daily', { name: '' }, ['name']],
    ['PATCH', '/api/lists/daily', { public: 'yes' }, ['public']],
    ['PATCH', '/api/lists/daily', {}, ['(body)']],
    ['GET', '/api/lists/UPPER', undefined, ['params.id']],
    ['POST', '/api/lists/daily/import?update=maybe', 'email\n', ['query.update']],
    ['POST', '/api/lists/daily/subscribers', { email: 'nope', attributes: { ok: { nested: true } } }, ['attributes.ok', 'email']],
    ['GET', '/api/subscribers?email=nope', undefined, ['query.email']],
    ['GET', '/api/subscribers/abc', undefined, ['params.id']],
    ['POST', '/api/subscribers/1/unsubscribe', { list: 'Bad List' }, ['list']],
    ['POST', '/api/editions/validate', { newsletter: 'daily', date: '2025-13-45' }, ['date', 'subject', 'watching']],
    ['POST', '/api/campaigns', { edition: 'x: 1', lists: [], at: '2025-02-13 06:00' }, ['at', 'lists']],
    ['POST', '/api/campaigns', { lists: ['daily'], when: 'now' }, ['edition', 'when']],
    ['POST', '/api/campaigns/daily-2025-02-13-abcdef/reschedule', { at: 'tomorrow' }, ['at']],
    ['POST', '/api/campaigns/daily-2025-02-13-abcdef/test', { to: 'not an address' }, ['to']],
    ['GET', '/api/campaigns?limit=0', undefined, ['query.limit']],
    ['GET', '/api/campaigns/daily-2025-02-13-abcdef/deliveries?state=lost', undefined, ['query.state']],
  ] as const)('%s %s', async (method, url, payload, expected) => {
    await h.app.stores.lists.create({ id: 'daily' }).catch(() => {});
    // The token's first use is recorded (last used at); this one is on the record before the snapshot.
    await h.api(token, { url: '/api/lists' });
    const before = await snapshot(h.t.redis, h.t.prefix);
    const headers = typeof payload === 'string' ? { 'content-type': 'text/csv' } : undefined;
    const res = await h.api(token, { method, url, ...(payload !== undefined ? { payload } : {}), ...(headers ? { headers } : {}) });
    expect(res.statusCode).toBe(400);
    const body = res.json() as Problems;
    expect(body.error).toMatch(/problems? in the/);
    expect(paths(body)).toEqual([...expected].sort());
    for (const p of body.problems) expect(p.message.length).toBeGreaterThan(0);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });
});

describe('OpenAPI', () => {
  it('documents every API route from its zod schemas at /api/docs', async () => {
    const doc = (await h.server.inject({ url: '/api/docs/json' })).json() as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/lists', '/api/lists/{id}/import', '/api/campaigns', '/api/campaigns/{id}/pause', '/api/editions/preview', '/api/audit']));
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/'))).toBe(true);
    expect(JSON.stringify(doc.paths['/api/lists']?.post?.requestBody)).toContain('"doubleOptIn"');
    const ui = await h.server.inject({ url: '/api/docs/' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
  });
});

/**
 * Who may do what over HTTP: API token scopes, dashboard roles and sessions, sign-in throttling,
 * and Bull Board's changes (admin session plus a same-site Origin). Each refusal also shows that
 * nothing changed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/http/server.ts';
import { dashboard, form, type HttpHarness, startHttp } from '../../support/http.ts';

const PASSWORD = 'correct horse battery staple';
const ORIGIN = 'https://news.example.com';
const CSV = 'email,name\nnew.reader@example.org,New Reader\n';

let h: HttpHarness;
beforeEach(async () => {
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily', newsletter: 'daily' });
});
afterEach(async () => h.close());

const importCsv = (token: string) =>
  h.api(token, { method: 'POST', url: '/api/lists/daily/import', payload: CSV, headers: { 'content-type': 'text/csv' } });

describe('API token scopes', () => {
  it('a metrics token reads /metrics and nothing else: 403 on /api/lists, and it cannot import a CSV', async () => {
    const token = await h.token('prometheus', 'metrics');
    expect((await h.api(token, { url: '/metrics' })).statusCode).toBe(200);
    const lists = await h.api(token, { url: '/api/lists' });
    expect(lists.statusCode).toBe(403);
    expect(lists.json()).toMatchObject({ code: 'forbidden', error: expect.stringContaining('(metrics)') });
    expect((await importCsv(token)).statusCode).toBe(403);
    expect(await h.app.stores.lists.countMembers('daily')).toBe(0);
  });

  it('a read token may GET but not POST, PATCH or DELETE', async () => {
    const token = await h.token('dashboard screen', 'read');
    expect((await h.api(token, { url: '/api/lists' })).statusCode).toBe(200);
    expect((await h.api(token, { url: '/api/campaigns' })).statusCode).toBe(200);
    expect((await h.api(token, { url: '/metrics' })).statusCode).toBe(200);
    expect((await h.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'weekly', name: 'Weekly' } })).statusCode).toBe(403);
    expect((await h.api(token, { method: 'PATCH', url: '/api/lists/daily', payload: { name: 'Renamed' } })).statusCode).toBe(403);
    expect((await h.api(token, { method: 'DELETE', url: '/api/lists/daily' })).statusCode).toBe(403);
    expect((await importCsv(token)).statusCode).toBe(403);
    expect((await h.app.stores.lists.get('daily'))?.name).toBe('Daily');
    expect(await h.app.stores.lists.get('weekly')).toBeNull();
  });

  it('an editor token changes content but may not read the audit log; an admin token may', async () => {
    const editor = await h.token('ada', 'editor');
    expect((await h.api(editor, { method: 'POST', url: '/api/lists', payload: { id: 'weekly', name: 'Weekly' } })).statusCode).toBe(201);
    expect((await importCsv(editor)).statusCode).toBe(200);
    expect((await h.api(editor, { url: '/api/audit' })).statusCode).toBe(403);
    const admin = await h.token('root', 'admin');
    const audit = await h.api(admin, { url: '/api/audit' });
    expect(audit.statusCode).toBe(200);
    expect(audit.json()).toEqual([
      expect.objectContaining({ actor: 'api:ada', action: 'list.create', target: 'weekly' }),
      expect.objectContaining({ actor: 'api:ada', action: 'list.import', target: 'daily' }),
    ]);
    expect((await h.api(admin, { url: '/api/audit?since=1h' })).json()).toHaveLength(2);
    const bad = await h.api(admin, { url: '/api/audit?since=soon' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().problems).toEqual([expect.objectContaining({ path: 'query.since', message: expect.stringMatching(/duration such as/) })]);
  });

  it('an expired token is a 401', async () => {
    const { token } = await h.app.stores.apiTokens.create('brief', { scope: 'admin', expiresAt: new Date(Date.now() + 60_000) });
    expect((await h.api(token, { url: '/api/lists' })).statusCode).toBe(200);
    const record = await h.app.stores.apiTokens.verify(token);
    await h.app.redis.hset(h.app.stores.keys.apiTokens, record!.id, JSON.stringify({ ...record, expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const res = await h.api(token, { url: '/api/lists' });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatch(/expired/);
  });
});

describe('dashboard roles', () => {
  it('a metrics token cannot sign in', async () => {
    const d = dashboard(h.server);
    const res = await d.signIn(await h.token('prometheus', 'metrics'));
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('for /metrics only');
    expect((await d.get('/admin/campaigns')).statusCode).toBe(303);
  });

  it('a read session looks but cannot cancel a campaign; it sees no audit page', async () => {
    await h.addSubscribers('daily', 1);
    const campaign = await h.createCampaign(['daily'], new Date(Date.now() + 3600_000));
    const d = dashboard(h.server);
    await d.signIn(await h.token('viewer', 'read'));
    const page = await d.get(`/admin/campaigns/${campaign.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`action="/admin/campaigns/${campaign.id}/cancel"`);
    expect(page.body).not.toContain('Reschedule');
    const res = await d.post(`/admin/campaigns/${campaign.id}/cancel`, {}, { from: `/admin/campaigns/${campaign.id}` });
    expect(res.statusCode).toBe(403);
    expect((await h.app.campaigns.get(campaign.id)).status).toBe('scheduled');
    expect((await d.get('/admin/audit')).statusCode).toBe(403);
  });
});

describe('dashboard sessions', () => {
  it('end when NEWSDESK_ADMIN_PASSWORD changes', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    expect((await d.get('/admin/campaigns')).statusCode).toBe(200);
    const changed = buildServer({ ...h.app, config: { ...h.app.config, http: { ...h.app.config.http, adminPassword: 'a brand new password' } } }, { logger: false });
    try {
      const res = await changed.inject({ url: '/admin/campaigns', headers: { cookie: d.jar.header() } });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toMatch(/^\/admin\/login/);
    } finally {
      await changed.close();
    }
    // And for good: going back to the old server does not bring it back.
    expect((await d.get('/admin/campaigns')).statusCode).toBe(303);
  });

  it('a new sign-in ends the session this browser had, and the account\'s session elsewhere', async () => {
    const d = dashboard(h.server);
    await d.signIn(await h.token('ada', 'editor'));
    const old = d.jar.header();
    // Signed in, /admin/login redirects; the form is posted with the page's CSRF token.
    expect((await d.post('/admin/login', { secret: PASSWORD })).statusCode).toBe(303);
    expect((await h.server.inject({ url: '/admin/campaigns', headers: { cookie: old } })).statusCode).toBe(303);
    expect((await d.get('/admin/campaigns')).statusCode).toBe(200);

    const elsewhere = dashboard(h.server);
    await elsewhere.signIn(PASSWORD);
    expect((await elsewhere.get('/admin/campaigns')).statusCode).toBe(200);
    expect((await d.get('/admin/campaigns')).statusCode).toBe(303);
  });
});

describe('sign-in throttling', () => {
  const attempt = async (secret: string, remoteAddress: string) => {
    const d = dashboard(h.server);
    const page = await d.request({ url: '/admin/login', remoteAddress });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return d.request({ method: 'POST', url: '/admin/login', remoteAddress, ...form({ secret, _csrf: csrf }) });
  };

  it('per account: wrong passwords from many addresses lock the password, even the right one, not the tokens', async () => {
    for (let i = 1; i <= 20; i++) expect((await attempt('wrong password!', `198.51.100.${i}`)).statusCode).toBe(401);
    const right = await attempt(PASSWORD, '203.0.113.7');
    expect(right.statusCode).toBe(429);
    expect(right.body).toContain('Too many failed sign-ins for this account');
    expect((await attempt(await h.token('ada', 'editor'), '203.0.113.7')).statusCode).toBe(303);
  });

  it('per network: IPv6 addresses of one /64 share one budget', async () => {
    for (let i = 1; i <= 10; i++) expect((await attempt('wrong password!', `2001:db8:1:2::${i.toString(16)}`)).statusCode).toBe(401);
    expect((await attempt(PASSWORD, '2001:db8:1:2:ffff:ffff:ffff:ffff')).statusCode).toBe(429);
    expect((await attempt(PASSWORD, '2001:db8:1:3::1')).statusCode).toBe(303);
  });
});

describe('Bull Board', () => {
  const pauseSend = (d: ReturnType<typeof dashboard>, headers: Record<string, string> = {}) =>
    d.request({ method: 'PUT', url: '/admin/queues/api/queues/send/pause', headers });

  it('a PUT without a same-site Origin gets 403 and pauses nothing, even for an admin', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const bare = await pauseSend(d);
    expect(bare.statusCode).toBe(403);
    expect((await pauseSend(d, { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect(await h.app.queues.send.isPaused()).toBe(false);

    const ok = await pauseSend(d, { origin: ORIGIN });
    expect(ok.statusCode).toBe(200);
    expect(await h.app.queues.send.isPaused()).toBe(true);
    expect(await h.app.stores.audit.list()).toEqual([expect.objectContaining({ actor: 'dashboard:admin', action: 'queues.pause', target: 'send' })]);
    await h.app.queues.send.resume();
  });

  it('editor and read sessions see it read-only: sent to the view, changes refused', async () => {
    for (const scope of ['editor', 'read'] as const) {
      const d = dashboard(h.server);
      await d.signIn(await h.token(`${scope} user`, scope));
      const full = await d.get('/admin/queues');
      expect(full.statusCode).toBe(303);
      expect(full.headers.location).toBe('/admin/queues-view');
      const view = await d.get('/admin/queues-view');
      expect(view.statusCode).toBe(200);
      expect(view.body).toContain('read-only');
      expect((await pauseSend(d, { origin: ORIGIN })).statusCode).toBe(403);
      expect((await d.request({ method: 'PUT', url: '/admin/queues-view/api/queues/send/pause', headers: { origin: ORIGIN } })).statusCode).toBe(403);
      expect(await h.app.queues.send.isPaused()).toBe(false);
    }
  });

  it('its pages carry the dashboard\'s CSP and frame-ancestors', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const page = await d.get('/admin/queues');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
  });
});

/** The dashboard through `inject`: sign-in, session cookie, CSRF, campaign pages, outbox, Bull Board. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXAMPLE_EDITION_FILE } from '../../support/editions.ts';
import { type HttpHarness, dashboard, multipartForm, startHttp, csrfIn } from '../../support/http.ts';

const PASSWORD = 'correct horse battery staple';
const exampleYaml = readFileSync(EXAMPLE_EDITION_FILE, 'utf8');

let h: HttpHarness;
let outbox: string;
beforeEach(async () => {
  outbox = await mkdtemp(join(tmpdir(), 'newsdesk-outbox-'));
  h = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD }, server: { outboxDir: outbox } });
});
afterEach(async () => {
  await h.close();
  await rm(outbox, { recursive: true, force: true });
});

describe('signing in', () => {
  it('sends strangers to the sign-in page and refuses their posts', async () => {
    const page = await h.server.inject({ url: '/admin/campaigns' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/admin/login?next=%2Fadmin%2Fcampaigns');
    expect((await h.server.inject({ url: '/admin/queues' })).statusCode).toBe(303);
    expect((await h.server.inject({ url: '/admin/outbox' })).statusCode).toBe(303);
    const post = await h.server.inject({ method: 'POST', url: '/admin/campaigns/x-1/cancel' });
    expect(post.statusCode).toBe(401);
  });

  it('with the password: an httpOnly, SameSite=Strict, Secure __Host- session cookie under https', async () => {
    const d = dashboard(h.server);
    const res = await d.signIn(PASSWORD);
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/campaigns');
    const cookies = res.cookies as { name: string; httpOnly?: boolean; sameSite?: string; path?: string; secure?: boolean; domain?: string }[];
    // __Host- cookies must be Secure, for path / and without a domain: no subdomain can set or shadow them.
    expect(cookies.find((c) => c.name === '__Host-newsdesk_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/', secure: true });
    expect(cookies.find((c) => c.name === '__Host-newsdesk_session')?.domain).toBeUndefined();
    expect(cookies.find((c) => c.name === 'newsdesk_session')).toBeUndefined();
    const campaigns = await d.get('/admin/campaigns');
    expect(campaigns.statusCode).toBe(200);
    expect(campaigns.body).toContain('<h1>Campaigns</h1>');
    expect(campaigns.headers['content-security-policy']).toContain("script-src 'self'");
    expect(campaigns.headers['x-frame-options']).toBe('DENY');

    const out = await d.post('/admin/logout', {});
    expect(out.statusCode).toBe(303);
    expect((await d.get('/admin/campaigns')).statusCode).toBe(303);
  });

  it('with an API token, until the token is revoked', async () => {
    const token = await h.token('ada');
    const d = dashboard(h.server);
    expect((await d.signIn(token)).statusCode).toBe(303);
    expect((await d.get('/admin/lists')).body).toContain('ada');
    await h.app.stores.apiTokens.revoke('ada');
    expect((await d.get('/admin/lists')).statusCode).toBe(303);
  });

  it('refuses a wrong secret, and a sign-in form without its CSRF token', async () => {
    const d = dashboard(h.server);
    const wrong = await d.signIn('not the password at all');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('That token or password is not right.');
    expect(d.jar.has('newsdesk_session')).toBe(false);

    const forged = await d.post('/admin/login', { secret: PASSWORD }, { csrf: null });
    expect(forged.statusCode).toBe(403);
    expect(d.jar.has('newsdesk_session')).toBe(false);
  });
});

describe('forms need their CSRF token', () => {
  it('rejects a form without a token, or with one from another session, and changes nothing', async () => {
    await h.addSubscribers('daily', 2);
    const campaign = await h.createCampaign(['daily'], new Date(Date.now() + 3600_000));
    const alice = dashboard(h.server);
    const bob = dashboard(h.server);
    await alice.signIn(PASSWORD);
    await bob.signIn(await h.token('bob')); // another account: one session per account

    const none = await alice.post(`/admin/campaigns/${campaign.id}/cancel`, {}, { csrf: null });
    expect(none.statusCode).toBe(403);
    expect(none.body).toContain('This form has expired');
    const bobs = csrfIn((await bob.get(`/admin/campaigns/${campaign.id}`)).body);
    expect((await alice.post(`/admin/campaigns/${campaign.id}/cancel`, {}, { csrf: bobs })).statusCode).toBe(403);
    expect((await h.app.campaigns.get(campaign.id)).status).toBe('scheduled');

    const ok = await alice.post(`/admin/campaigns/${campaign.id}/cancel`, {}, { from: `/admin/campaigns/${campaign.id}` });
    expect(ok.statusCode).toBe(303);
    expect((await h.app.campaigns.get(campaign.id)).status).toBe('cancelled');
  });
});

describe('new campaign', () => {
  it('previews an uploaded edition side by side at 600 and 375 px in frames that run no script', async () => {
    await h.addSubscribers('daily', 2);
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const csrf = csrfIn((await d.get('/admin/campaigns/new')).body);
    const upload = multipartForm({ _csrf: csrf, edition: '' }, { field: 'editionFile', name: '2025-02-13.yaml', type: 'application/yaml', content: exampleYaml });
    const res = await d.request({ method: 'POST', url: '/admin/campaigns/preview', ...upload });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Lint: no problems');
    const frames = [...res.body.matchAll(/<iframe class="(w600|w375)" sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"/g)];
    expect(frames.map((f) => f[1])).toEqual(['w600', 'w375']);
    for (const f of frames) {
      expect(f[2]).not.toContain('allow-scripts');
      expect(f[2]).not.toContain('allow-same-origin');
      expect(f[3]).toContain('&lt;base target=&quot;_blank&quot;&gt;');
      expect(f[3]).toContain('Good morning, Alex');
      expect(f[3]).not.toMatch(/<[a-z]/);
    }
    expect(res.body).toMatch(/<input type="checkbox" name="lists" value="daily" checked>/);
  });

  it('preselects a list only when it is the one list of the edition\'s newsletter', async () => {
    await h.addSubscribers('daily', 1);
    await h.app.stores.lists.create({ id: 'weekend', name: 'Weekend', newsletter: 'daily' });
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const res = await d.post('/admin/campaigns/preview', { edition: exampleYaml }, { from: '/admin/campaigns/new' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/<input type="checkbox" name="lists" value="daily">/);
    expect(res.body).toMatch(/<input type="checkbox" name="lists" value="weekend">/);
  });

  it('shows every problem of a broken edition with its line, keeping the text', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const broken = exampleYaml.replace(/^date: 2025-02-13$/m, 'date: someday');
    const res = await d.post('/admin/campaigns/preview', { edition: broken }, { from: '/admin/campaigns/new' });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('<li>line 4: date:');
    expect(res.body).toContain('date: someday');
  });

  it('schedules at the editor\'s local time with its offset, and names a missing time or list', async () => {
    await h.addSubscribers('daily', 2);
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const missing = await d.post('/admin/campaigns', { edition: exampleYaml, when: 'at', at: '' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<li>lists: pick at least one list</li>');
    expect(missing.body).toContain('<li>at: pick a send time</li>');
    expect(await h.app.campaigns.list()).toEqual([]);

    const res = await d.post('/admin/campaigns', { edition: exampleYaml, lists: 'daily', when: 'at', at: '2031-02-13T06:00:00-05:00' });
    expect(res.statusCode).toBe(303);
    const [campaign] = await h.app.campaigns.list();
    expect(res.headers.location).toBe(`/admin/campaigns/${campaign?.id}`);
    expect(campaign).toMatchObject({ status: 'scheduled', scheduledAt: '2031-02-13T11:00:00.000Z', lists: ['daily'] });
    const page = await d.get(res.headers.location as string);
    expect(page.body).toContain(`data-campaign="${campaign?.id}"`);
    expect(page.body).toContain('Reschedule');
  });

  it('sends a test copy of the previewed edition', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const res = await d.post('/admin/campaigns/test', { edition: exampleYaml, to: 'editor@example.com' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Test copy sent to editor@example.com: 250');
    const [message] = await h.smtp.waitForMessages(1);
    expect(message?.to).toEqual(['editor@example.com']);
    expect(message?.raw.toString('latin1')).toMatch(/^Subject: \[TEST\] Putin and Trump/m);
  });
});

describe('campaign pages', () => {
  it('show live counts as JSON, and the failures with their SMTP replies', async () => {
    await h.close();
    h = await startHttp({
      env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD, SEND_ATTEMPTS: '1' },
      workers: true,
      server: { outboxDir: outbox },
      smtp: { reply: (e) => (e.stage === 'rcpt' && e.to[0] === 'reader2@example.org' ? { code: 550, message: '5.7.1 mailbox disabled for policy reasons' } : undefined) },
    });
    await h.addSubscribers('daily', 3);
    const campaign = await h.createCampaign(['daily']);
    await h.waitForStatus(campaign.id, 'sent');
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const progress = await d.get(`/admin/campaigns/progress.json?ids=${campaign.id},nonexistent-1`);
    expect(progress.json()).toEqual([
      expect.objectContaining({ id: campaign.id, status: 'sent', done: 3, progress: 1, counts: expect.objectContaining({ sent: 2, failed: 1 }) }),
    ]);
    const page = await d.get(`/admin/campaigns/${campaign.id}`);
    expect(page.body).toContain('reader2@example.org');
    expect(page.body).toContain('550 5.7.1 mailbox disabled for policy reasons');
    expect(page.body).not.toContain('action="/admin/campaigns/' + campaign.id + '/pause"');
    const list = await d.get('/admin/campaigns');
    expect(list.body).toMatch(new RegExp(`<tr data-campaign="${campaign.id}" data-status="sent">`));
    expect(list.body).toMatch(/<progress max="3" value="3" data-field="bar">/);
    const lists = await d.get('/admin/lists');
    expect(lists.body).toMatch(/<td class="num">3<\/td>/);
  });
});

describe('outbox and queues', () => {
  it('lists captured messages and shows one parsed, its HTML in a sandboxed frame', async () => {
    await h.addSubscribers('daily', 1);
    const campaign = await h.createCampaign(['daily']);
    const content = await h.app.campaigns.content(campaign.id);
    const message = h.app.preparer.prepare(campaign, content).render({ subscriberId: 1, email: 'reader1@example.org', name: 'Reader One' });
    const name = '20250213T060000000Z-000001-abcdef.eml';
    await writeFile(join(outbox, name), message.raw);
    await writeFile(join(outbox, 'notes.txt'), 'not a message');

    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const list = await d.get('/admin/outbox');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="/admin/outbox/${name}"`);
    expect(list.body).toContain('Putin and Trump talk peace terms');
    expect(list.body).not.toContain('notes.txt');

    const view = await d.get(`/admin/outbox/${name}`);
    expect(view.statusCode).toBe(200);
    expect(view.body).toMatch(/<iframe class="message-frame" sandbox="allow-popups allow-popups-to-escape-sandbox"/);
    expect(view.body).toMatch(/<a href="https:\/\/news\.example\.com\/u\/[^"]+" target="_blank" rel="noreferrer" data-unsubscribe>/);
    expect(view.body).toContain('List-Unsubscribe=One-Click');
    expect((await d.get('/admin/outbox/..%2F..%2Fetc%2Fpasswd')).statusCode).toBe(400);
    expect((await d.get('/admin/outbox/20250213T060000000Z-000009-abcdef.eml')).statusCode).toBe(404);
  });

  it('serves Bull Board behind the sign-in', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const board = await d.get('/admin/queues');
    expect(board.statusCode).toBe(200);
    expect(board.body).toContain('newsdesk queues');
    const api = await d.get('/admin/queues/api/queues');
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain('"name":"send"');
    expect((await h.server.inject({ url: '/admin/queues/api/queues' })).statusCode).toBe(401);
  });

  it('has no outbox page when mail goes to a real SMTP server', async () => {
    const production = await startHttp({ env: { NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
    try {
      const d = dashboard(production.server);
      await d.signIn(PASSWORD);
      expect((await d.get('/admin/outbox')).statusCode).toBe(404);
      expect((await d.get('/admin/campaigns')).body).not.toContain('href="/admin/outbox"');
    } finally {
      await production.close();
    }
  });
});

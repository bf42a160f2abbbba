/**
 * The subscriber endpoints over the real stores, campaigns and a loopback SMTP server:
 * unsubscribe (page and RFC 8058 one-click), view in browser, sign-up with double opt-in.
 */
import { Writable } from 'node:stream';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Campaign } from '../../../src/domain/campaign.schema.ts';
import { signLinkToken } from '../../../src/domain/link-token.ts';
import { createLinkSigner, type LinkSigner } from '../../../src/domain/links.ts';
import { buildServer } from '../../../src/http/server.ts';
import { SUBSCRIBE_ANSWER } from '../../../src/http/subscriber/pages.ts';
import { CONFIRMATION_RESEND_MS } from '../../../src/store/subscriber.store.ts';
import { type HttpHarness, form, multipartForm, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

let h: HttpHarness;
let links: LinkSigner;
let campaign: Campaign;
let readers: number[];

beforeEach(async () => {
  // The proof of work has its own tests (sign-up-abuse.test.ts); these are about the flow behind it.
  h = await startHttp({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' }, server: { subscribeRatePerMinute: 1000 } });
  links = createLinkSigner({ publicUrl: h.app.config.publicUrl, secrets: h.app.config.secrets });
  readers = await h.addSubscribers('daily', 3);
  // Reader 1 is also on a list the campaign does not go to.
  await h.app.stores.lists.create({ id: 'weekend', name: 'Weekend edition', newsletter: 'daily' });
  await h.app.stores.subscribers.joinList('weekend', [{ email: 'reader1@example.org', attributes: {} }], { via: 'admin' });
  // Scheduled for tomorrow, no workers: the campaign exists, nothing is sent.
  campaign = await h.createCampaign(['daily'], new Date(Date.now() + 86_400_000));
});
afterEach(async () => {
  await h.close();
});

const scope = () => ({ kind: 'campaign', id: campaign.id }) as const;
const tokenFor = (subscriberId: number, purpose: 'unsubscribe' | 'view' | 'confirm' = 'unsubscribe') =>
  signLinkToken({ subscriberId, purpose, scope: scope() }, h.app.config.secrets[0] as string);
const reader1 = () => readers[0] as number;

describe('GET /u/:token', () => {
  it('names the newsletter and the list, offers both buttons, and changes nothing', async () => {
    const before = await snapshot(h.t.redis, h.t.prefix);
    const token = tokenFor(reader1());
    const res = await h.server.inject({ url: `/u/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Unsubscribe from Newsdesk Daily?');
    expect(res.body).toContain('reader1@example.org will stop getting daily.');
    expect(res.body).toMatch(/<button name="scope" value="lists" type="submit">Unsubscribe<\/button>/);
    expect(res.body).toMatch(/<button class="secondary" name="scope" value="all" type="submit">Unsubscribe from everything<\/button>/);
    expect(res.body).toContain(`<form method="post" action="/u/${token}">`);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
    expect(await h.app.stores.lists.isMember('daily', reader1())).toBe(true);
  });
});

describe('POST /u/:token (RFC 8058 one-click)', () => {
  const encodings = {
    'application/x-www-form-urlencoded': () => form({ 'List-Unsubscribe': 'One-Click' }),
    'multipart/form-data': () => multipartForm({ 'List-Unsubscribe': 'One-Click' }),
  };

  for (const [name, body] of Object.entries(encodings)) {
    it(`takes ${name}: 200, no redirect, off the campaign's lists before the answer, harmless to repeat`, async () => {
      const url = `/u/${tokenFor(reader1())}`;
      const res = await h.server.inject({ method: 'POST', url, ...body() });
      expect(res.statusCode).toBe(200);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.body).toContain("You're unsubscribed");
      expect(res.body).toContain('reader1@example.org will no longer get daily.');

      // What the next send batch asks, answered as soon as the response is out.
      expect(await h.app.recipients.check(reader1(), campaign.lists)).toEqual({ ok: false, reason: 'left-list' });
      expect(await h.app.stores.lists.isMember('weekend', reader1())).toBe(true);
      expect((await h.app.stores.subscribers.get(reader1()))?.status).toBe('active');
      expect(await h.app.recipients.check(readers[1] as number, campaign.lists)).toMatchObject({ ok: true });

      const before = await snapshot(h.t.redis, h.t.prefix);
      const again = await h.server.inject({ method: 'POST', url, ...body() });
      expect(again.statusCode).toBe(200);
      expect(again.body).toContain('reader1@example.org was already off daily; nothing changed.');
      expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
    });
  }

  it('unsubscribes whatever the body: empty, text/plain, or a value it does not know', async () => {
    const ids = await h.addSubscribers('daily', 4, 100);
    for (const [i, extra] of [
      {},
      { payload: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'text/plain' } },
      { payload: 'x', headers: { 'content-type': 'application/octet-stream' } },
      form({ scope: 'sideways' }),
    ].entries()) {
      const id = ids[i] as number;
      expect(await h.app.stores.lists.isMember('daily', id)).toBe(true);
      const res = await h.server.inject({ method: 'POST', url: `/u/${tokenFor(id)}`, ...extra });
      expect(res.statusCode, JSON.stringify(extra)).toBe(200);
      expect(await h.app.stores.lists.isMember('daily', id), JSON.stringify(extra)).toBe(false);
      expect((await h.app.stores.subscribers.get(id))?.status).toBe('active');
    }
  });

  it("leaves every list of the campaign the subscriber is on, and only those", async () => {
    await h.app.stores.lists.create({ id: 'evening', name: 'Evening', newsletter: 'daily' });
    await h.app.stores.subscribers.joinList('evening', [{ email: 'reader1@example.org', attributes: {} }], { via: 'admin' });
    const both = await h.createCampaign(['daily', 'evening'], new Date(Date.now() + 86_400_000));
    const token = signLinkToken({ subscriberId: reader1(), purpose: 'unsubscribe', scope: { kind: 'campaign', id: both.id } }, h.app.config.secrets[0] as string);
    const res = await h.server.inject({ method: 'POST', url: `/u/${token}`, ...form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(res.statusCode).toBe(200);
    const memberships = await h.app.stores.lists.membershipsOf(reader1());
    expect(memberships.member).toEqual(['weekend']);
    expect(memberships.left.map((l) => l.list).sort()).toEqual(['daily', 'evening']);
  });

  it('"from everything" unsubscribes globally and suppresses the address', async () => {
    const res = await h.server.inject({ method: 'POST', url: `/u/${tokenFor(reader1())}`, ...form({ scope: 'all' }) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You're unsubscribed from everything");
    expect((await h.app.stores.subscribers.get(reader1()))?.status).toBe('unsubscribed');
    expect(await h.app.stores.suppression.isSuppressed('reader1@example.org')).toBe(true);
    expect((await h.app.stores.lists.membershipsOf(reader1())).member).toEqual([]);

    const again = await h.server.inject({ method: 'POST', url: `/u/${tokenFor(reader1())}`, ...form({ scope: 'all' }) });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('was already unsubscribed');
  });

  it('answers only once a send to the subscriber that passed its check just before is over', async () => {
    const id = reader1();
    // A worker has just found reader 1 eligible and is on its way to the SMTP server.
    expect(await h.app.recipients.check(id, campaign.lists, { campaignId: campaign.id, holdMs: 60_000 })).toMatchObject({ ok: true });
    const order: string[] = [];
    const answer = h.server.inject({ method: 'POST', url: `/u/${tokenFor(id)}`, ...form({ 'List-Unsubscribe': 'One-Click' }) }).then((res) => {
      order.push('answered');
      return res;
    });
    // The unsubscribe is written at once (the next check skips reader 1); the answer waits.
    while (await h.app.stores.lists.isMember('daily', id)) await new Promise((r) => setTimeout(r, 5));
    expect(await h.app.recipients.check(id, campaign.lists)).toEqual({ ok: false, reason: 'left-list' });
    await new Promise((r) => setTimeout(r, 100));
    order.push('send over');
    await h.app.recipients.sendOver(id, campaign.id);
    const res = await answer;
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You're unsubscribed");
    expect(order).toEqual(['send over', 'answered']);
  });

  it('unsubscribes from everything when the link\'s campaign no longer exists', async () => {
    await h.app.campaigns.delete(campaign.id);
    const res = await h.server.inject({ method: 'POST', url: `/u/${tokenFor(reader1())}`, ...form({ 'List-Unsubscribe': 'One-Click' }) });
    expect(res.statusCode).toBe(200);
    expect((await h.app.stores.subscribers.get(reader1()))?.status).toBe('unsubscribed');
  });
});

describe('tokens that are not genuine', () => {
  it('answers forged, altered and wrong-purpose tokens with the same bare 404, and changes nothing', async () => {
    const good = tokenFor(reader1());
    const mac = good.slice(-22);
    const flipped = mac[5] === 'A' ? 'B' : 'A';
    const cases = {
      altered: good.slice(0, -17) + flipped + good.slice(-16),
      'other subscriber': good.replace(`.${reader1().toString(36)}.`, `.${(readers[1] as number).toString(36)}.`),
      forged: signLinkToken({ subscriberId: reader1(), purpose: 'unsubscribe', scope: scope() }, 'a-secret-that-is-not-ours-but-long-enough'),
      'view token': tokenFor(reader1(), 'view'),
      'confirm token': tokenFor(reader1(), 'confirm'),
      garbage: 'hello',
      'unknown subscriber': tokenFor(999_999),
    };
    const notFound = await h.server.inject({ url: '/u/hello' });
    expect(notFound.statusCode).toBe(404);
    const before = await snapshot(h.t.redis, h.t.prefix);
    for (const [name, token] of Object.entries(cases)) {
      expect(token, name).not.toBe(good);
      for (const method of ['GET', 'POST'] as const) {
        const res = await h.server.inject({ method, url: `/u/${token}`, ...(method === 'POST' ? form({ 'List-Unsubscribe': 'One-Click' }) : {}) });
        expect(res.statusCode, `${method} ${name}`).toBe(404);
        expect(res.body, `${method} ${name}`).toBe(notFound.body);
      }
    }
    // An unsubscribe token does not open the view page either.
    expect((await h.server.inject({ url: `/v/${good}` })).statusCode).toBe(404);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });
});

describe('GET /v/:token', () => {
  const viewToken = (issuedAt?: number) =>
    signLinkToken({ subscriberId: reader1(), purpose: 'view', scope: scope(), ...(issuedAt !== undefined ? { issuedAt } : {}) }, h.app.config.secrets[0] as string);

  it("renders the reader's own copy, never indexed, naming no address, its links the same view link", async () => {
    const token = viewToken();
    const res = await h.server.inject({ url: `/v/${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
    expect(res.body).toMatch(/<head[^>]*><meta name="robots" content="noindex, nofollow">/);
    expect(res.body).toContain('Reader');
    expect(res.body).toContain("After a long Putin–Trump call");
    expect(res.body).toContain('because your address is subscribed');
    expect(res.body).not.toContain('reader1@example.org');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    // No unsubscribe token on the page (it would unsubscribe from everything), and no fresh view link.
    expect(res.body).not.toMatch(/news\.example\.com\/u\//);
    const viewLinks = [...res.body.matchAll(/href="https:\/\/news\.example\.com\/v\/([^"]+)"/g)].map((m) => m[1] as string);
    expect(new Set(viewLinks)).toEqual(new Set([token, `${token}/unsubscribe`]));
  });

  it('an expired view link gets 404 (VIEW_LINK_MAX_AGE_DAYS, default 30)', async () => {
    const day = 24 * 60 * 60 * 1000;
    expect(h.app.config.viewLinkMaxAgeDays).toBe(30);
    expect((await h.server.inject({ url: `/v/${viewToken(Date.now() - 29 * day)}` })).statusCode).toBe(200);
    const expired = viewToken(Date.now() - 31 * day);
    expect((await h.server.inject({ url: `/v/${expired}` })).statusCode).toBe(404);
    expect((await h.server.inject({ url: `/v/${expired}/unsubscribe` })).statusCode).toBe(404);
    expect((await h.server.inject({ method: 'POST', url: `/v/${expired}/unsubscribe`, ...form({ scope: 'lists' }) })).statusCode).toBe(404);
    expect(await h.app.stores.lists.isMember('daily', reader1())).toBe(true);
  });

  it("its unsubscribe is the two-step page for the campaign's lists only, never from everything", async () => {
    const url = `/v/${viewToken()}/unsubscribe`;
    const before = await snapshot(h.t.redis, h.t.prefix);
    const page = await h.server.inject({ url });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This address will stop getting daily.');
    expect(page.body).toMatch(/<button name="scope" value="lists" type="submit">Unsubscribe<\/button>/);
    expect(page.body).not.toContain('value="all"');
    expect(page.body).not.toContain('reader1@example.org');
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);

    // Even a hand-made "all" does only the campaign's lists.
    const res = await h.server.inject({ method: 'POST', url, ...form({ scope: 'all' }) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('This address will no longer get daily.');
    expect(res.body).not.toContain('value="all"');
    expect(await h.app.stores.lists.isMember('daily', reader1())).toBe(false);
    expect(await h.app.stores.lists.isMember('weekend', reader1())).toBe(true);
    expect((await h.app.stores.subscribers.get(reader1()))?.status).toBe('active');
    expect(await h.app.stores.suppression.get('reader1@example.org')).toBeNull();
  });
});

describe('POST /subscribe and confirmation', () => {
  beforeEach(async () => {
    await h.app.stores.lists.create({ id: 'briefing', name: 'The Briefing', newsletter: 'daily', doubleOptIn: true, public: true });
  });

  it('creates an unconfirmed subscriber, mails a confirmation link; GET shows a button, POST confirms', async () => {
    const res = await h.server.inject({ method: 'POST', url: '/subscribe', ...form({ email: 'New.Reader@example.net', list: 'briefing', name: 'New Reader' }) });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(SUBSCRIBE_ANSWER);
    const subscriber = await h.app.stores.subscribers.findByEmail('new.reader@example.net');
    expect(subscriber).toMatchObject({ status: 'unconfirmed', name: 'New Reader' });
    expect(await h.app.stores.lists.isMember('briefing', subscriber?.id as number)).toBe(false);

    const [message] = await h.smtp.waitForMessages(1);
    expect(message?.to).toEqual(['New.Reader@example.net']);
    const mail = await simpleParser(message?.raw as Buffer);
    expect(mail.subject).toBe('Confirm your subscription to Newsdesk Daily');
    expect(mail.from?.text).toContain('daily@news.example.com');
    const url = /https:\/\/news\.example\.com\/confirm\/(\S+)/.exec(mail.text ?? '')?.[1] as string;
    expect(links.read(url, 'confirm')).toMatchObject({ subscriberId: subscriber?.id, scope: { kind: 'list', id: 'briefing' } });
    expect(mail.html).toContain(`/confirm/${url}`);

    const before = await snapshot(h.t.redis, h.t.prefix);
    const page = await h.server.inject({ url: `/confirm/${url}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Subscribe New.Reader@example.net to The Briefing?');
    expect(page.body).toContain(`<form method="post" action="/confirm/${url}">`);
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);

    const done = await h.server.inject({ method: 'POST', url: `/confirm/${url}` });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("You're subscribed");
    expect((await h.app.stores.subscribers.get(subscriber?.id as number))?.status).toBe('active');
    expect(await h.app.stores.lists.isMember('briefing', subscriber?.id as number)).toBe(true);
  });

  it('refuses a confirmation link the subscriber overtook by unsubscribing, and expired or forged ones', async () => {
    await h.server.inject({ method: 'POST', url: '/subscribe', ...form({ email: 'late@example.net', list: 'briefing' }) });
    const s = await h.app.stores.subscribers.findByEmail('late@example.net');
    const id = s?.id as number;
    const secret = h.app.config.secrets[0] as string;
    const issued = Date.now() - 60_000;
    const fresh = signLinkToken({ subscriberId: id, purpose: 'confirm', scope: { kind: 'list', id: 'briefing' }, issuedAt: issued }, secret);
    await h.app.stores.subscribers.unsubscribe(id, { reason: 'changed their mind' });
    const stale = await h.server.inject({ method: 'POST', url: `/confirm/${fresh}` });
    expect(stale.statusCode).toBe(200);
    expect(stale.body).toContain('This link can no longer be used');
    expect((await h.app.stores.subscribers.get(id))?.status).toBe('unsubscribed');

    const old = signLinkToken({ subscriberId: id, purpose: 'confirm', scope: { kind: 'list', id: 'briefing' }, issuedAt: Date.now() - 8 * 86_400_000 }, secret);
    const unsubscribeToken = signLinkToken({ subscriberId: id, purpose: 'unsubscribe', scope: { kind: 'list', id: 'briefing' } }, secret);
    for (const token of [old, unsubscribeToken, `${fresh.slice(0, -1)}${fresh.endsWith('A') ? 'B' : 'A'}`]) {
      expect((await h.server.inject({ url: `/confirm/${token}` })).statusCode).toBe(404);
      expect((await h.server.inject({ method: 'POST', url: `/confirm/${token}` })).statusCode).toBe(404);
    }
  });

  it('sends one confirmation per address and list per quarter hour, however often the form is posted', async () => {
    await h.app.stores.lists.create({ id: 'weekend-briefing', name: 'Weekend', newsletter: 'daily', doubleOptIn: true, public: true });
    const post = (list: string) => h.server.inject({ method: 'POST', url: '/subscribe', ...form({ email: 'target@example.net', list }) });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await post('briefing')).body);
    expect(new Set(answers).size).toBe(1);
    answers.push((await post('weekend-briefing')).body);
    expect(new Set(answers).size).toBe(1);
    // Confirmations go out in the background: wait for two, then long enough for any others.
    await h.smtp.waitForMessages(2);
    await new Promise((r) => setTimeout(r, 500));
    // One for each list, not five for the first.
    expect(h.smtp.messages.map((m) => m.to)).toEqual([['target@example.net'], ['target@example.net']]);
    const id = (await h.app.stores.subscribers.findByEmail('target@example.net'))?.id as number;
    const pttl = await h.t.redis.pttl(h.t.keys.confirmationSent(id, 'briefing'));
    expect(pttl).toBeGreaterThan(CONFIRMATION_RESEND_MS - 60_000);
    expect(pttl).toBeLessThanOrEqual(CONFIRMATION_RESEND_MS);
    // Once the quarter hour is over, asking again sends a fresh link.
    await h.t.redis.del(h.t.keys.confirmationSent(id, 'briefing'));
    await post('briefing');
    await h.smtp.waitForMessages(3);
    expect(h.smtp.messages).toHaveLength(3);
  });

  it('answers byte for byte the same whether the address is new, pending, subscribed or unsubscribed', async () => {
    await h.app.stores.subscribers.joinList('briefing', [{ email: 'member@example.net', attributes: {} }], { via: 'admin' });
    await h.server.inject({ method: 'POST', url: '/subscribe', ...form({ email: 'pending@example.net', list: 'briefing' }) });
    await h.app.stores.subscribers.unsubscribe((await h.app.stores.subscribers.findByEmail('reader2@example.org'))?.id as number);
    const addresses = ['brand-new@example.net', 'pending@example.net', 'member@example.net', 'reader2@example.org'];
    for (const encode of [
      (email: string) => form({ email, list: 'briefing' }),
      (email: string) => ({ payload: JSON.stringify({ email, list: 'briefing' }), headers: { 'content-type': 'application/json' } }),
    ]) {
      const answers = [];
      for (const email of addresses) {
        const res = await h.server.inject({ method: 'POST', url: '/subscribe', ...encode(email), remoteAddress: '192.0.2.10' });
        answers.push({ status: res.statusCode, type: res.headers['content-type'], body: res.body, cookie: res.headers['set-cookie'] });
      }
      expect(answers[0]?.status).toBe(200);
      for (const a of answers.slice(1)) expect(a).toEqual(answers[0]);
    }
  });

  it('names every bad field in a 400, as JSON for JSON and as a page for forms', async () => {
    const json = await h.server.inject({ method: 'POST', url: '/subscribe', payload: { email: 'not-an-address', list: 'No Such List!' } });
    expect(json.statusCode).toBe(400);
    const body = json.json() as { error: string; problems: { path: string; message: string }[] };
    expect(body.problems.map((p) => p.path).sort()).toEqual(['email', 'list']);
    expect(body.problems.find((p) => p.path === 'email')?.message).toBe('not a valid email address');

    const missing = await h.server.inject({ method: 'POST', url: '/subscribe', payload: {} });
    expect((missing.json() as typeof body).problems).toEqual([
      { path: 'email', message: 'required' },
      { path: 'list', message: 'required' },
    ]);

    const page = await h.server.inject({ method: 'POST', url: '/subscribe', ...form({ email: 'ok@example.net', list: 'nope' }) });
    expect(page.statusCode).toBe(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<li>list: no list by this id takes sign-ups</li>');
    expect(await h.app.stores.subscribers.findByEmail('ok@example.net')).toBeNull();
  });

  it('takes no sign-ups for a private list, and answers exactly as for a list that does not exist', async () => {
    // 'daily' (single opt-in, private) has readers; a stranger must not be able to add anyone to it.
    const ask = (list: string) => h.server.inject({ method: 'POST', url: '/subscribe', payload: { email: 'victim@example.net', list } });
    // Everything but the sign-up rate limiter's counter for this client.
    const state = async () => [...(await snapshot(h.t.redis, h.t.prefix))].filter(([key]) => !key.includes(':ratelimit:'));
    const before = await state();
    const privateList = await ask('daily');
    const missing = await ask('no-such-list');
    expect(privateList.statusCode).toBe(400);
    expect(privateList.json()).toEqual(missing.json());
    expect(privateList.json()).toMatchObject({ problems: [{ path: 'list', message: 'no list by this id takes sign-ups' }] });
    expect(await state()).toEqual(before);
    expect(h.smtp.messages).toHaveLength(0);

    await h.app.stores.lists.update('daily', { public: true, allowSingleOptIn: true });
    expect((await ask('daily')).statusCode).toBe(200);
    expect((await h.app.stores.subscribers.findByEmail('victim@example.net'))?.status).toBe('active');
  });
});

describe('sign-up rate limit', () => {
  it('refuses the sign-up after the limit from one address, and not from another', async () => {
    await h.close();
    h = await startHttp({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' }, server: { subscribeRatePerMinute: 3 } });
    await h.app.stores.lists.create({ id: 'daily', name: 'Daily', public: true, allowSingleOptIn: true });
    const post = (n: number, ip: string) =>
      h.server.inject({ method: 'POST', url: '/subscribe', remoteAddress: ip, payload: { email: `r${n}@example.net`, list: 'daily' } });
    for (let i = 0; i < 3; i++) expect((await post(i, '198.51.100.7')).statusCode).toBe(200);
    const limited = await post(3, '198.51.100.7');
    expect(limited.statusCode).toBe(429);
    expect(await h.app.stores.subscribers.findByEmail('r3@example.net')).toBeNull();
    expect((await post(4, '198.51.100.8')).statusCode).toBe(200);
  });
});

describe('test-copy links', () => {
  it('answer with a harmless page and change nothing', async () => {
    const before = await snapshot(h.t.redis, h.t.prefix);
    for (const [method, url] of [['GET', '/u/test-send'], ['POST', '/u/test-send'], ['GET', '/v/test-send']] as const) {
      const res = await h.server.inject({ method, url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('This is a test copy');
    }
    expect(await snapshot(h.t.redis, h.t.prefix)).toEqual(before);
  });
});

describe('request logs', () => {
  it('record every request without the token of a subscriber link', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logged = buildServer(h.app, { logger: pino({ level: 'info' }, sink) });
    try {
      const token = tokenFor(reader1());
      await logged.inject({ url: `/u/${token}` });
      await logged.inject({ method: 'POST', url: `/u/${token}`, ...form({ 'List-Unsubscribe': 'One-Click' }) });
      await logged.inject({ url: `/v/${tokenFor(reader1(), 'view')}?utm=x` });
      const requests = lines.map((l) => JSON.parse(l) as { msg: string; url?: string; status?: number }).filter((l) => l.msg === 'request');
      expect(requests.map((r) => [r.url, r.status])).toEqual([
        ['/u/…', 200],
        ['/u/…', 200],
        ['/v/…?utm=x', 200],
      ]);
      const all = lines.join('');
      expect(all).not.toContain(token);
      expect(all).not.toContain(token.slice(-22));
    } finally {
      await logged.close();
    }
  });
});

/**
 * `GET /subscribe/<list>`: the hosted sign-up page of a public list (issue 15). A private list is
 * answered exactly like a missing one; the page escapes the list's name, and its only script is
 * the proof-of-work widget served by newsdesk itself (issue 12), allowed by the page's CSP.
 */
import { readFileSync } from 'node:fs';
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoPath } from '../../support/editions.ts';
import { PUBLIC_PAGE_HEADERS } from '../../../src/http/public-page.ts';
import { ALTCHA_PAGE_CSP } from '../../../src/http/subscriber/altcha-widget.ts';
import { type HttpHarness, form, startHttp } from '../../support/http.ts';

let h: HttpHarness;
beforeEach(async () => {
  // A small challenge keeps the solving short; the default asks for thousands of keys.
  h = await startHttp({ env: { SUBSCRIBE_PROOF_OF_WORK_MAX: '20' }, server: { subscribeRatePerMinute: 1000 } });
  await h.app.stores.lists.create({ id: 'metro', name: 'Metro <b>Morning</b> & more', public: true, doubleOptIn: true });
  await h.app.stores.lists.create({ id: 'staff', name: 'Staff only' });
});
afterEach(async () => {
  await h.close();
});

describe('GET /subscribe/<list>', () => {
  it('shows a public list its sign-up form, escaped, with the public pages\' headers', async () => {
    const res = await h.server.inject({ url: '/subscribe/metro' });
    expect(res.statusCode).toBe(200);
    for (const [name, value] of Object.entries({ ...PUBLIC_PAGE_HEADERS, 'content-security-policy': ALTCHA_PAGE_CSP })) expect(res.headers[name], name).toBe(value);
    expect(res.body).toContain('<h1>Subscribe to Metro &lt;b&gt;Morning&lt;/b&gt; &amp; more</h1>');
    expect(res.body).not.toContain('<b>Morning</b>');
    expect(res.body).toContain('<form method="post" action="/subscribe" class="sign-up">');
    expect(res.body).toContain('<input type="hidden" name="list" value="metro">');
    expect(res.body).toMatch(/<input id="sign-up-email" type="email" name="email" required/);
    // The one script: the widget, from this server, inside the form.
    expect([...res.body.matchAll(/<script\b[^>]*>/gi)].map(([tag]) => tag)).toEqual(['<script type="module" src="/altcha/altcha.js">']);
    expect(res.body).toMatch(/<form [^>]*>[\s\S]*<altcha-widget challenge="\/altcha\/challenge" name="altcha"[\s\S]*<\/form>/);
  });

  it('carries no script when the challenge is off', async () => {
    const plain = await startHttp({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' } });
    try {
      await plain.app.stores.lists.create({ id: 'metro', name: 'Metro', public: true, doubleOptIn: true });
      const res = await plain.server.inject({ url: '/subscribe/metro' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-security-policy']).toBe(PUBLIC_PAGE_HEADERS['content-security-policy']);
      expect(res.body).not.toMatch(/<script|altcha/i);
    } finally {
      await plain.close();
    }
  });

  it('answers a private list, a missing list and a malformed id with the same 404', async () => {
    const answers = await Promise.all(['/subscribe/staff', '/subscribe/nope', '/subscribe/NOT%20AN%20ID', `/subscribe/${'x'.repeat(150)}`].map((url) => h.server.inject({ url })));
    const shape = (r: (typeof answers)[number]) => ({ status: r.statusCode, body: r.body, type: r.headers['content-type'], csp: r.headers['content-security-policy'] });
    const [staff, ...others] = answers.map(shape);
    expect(staff?.status).toBe(404);
    expect(staff?.body).not.toContain('Staff');
    for (const other of others) expect(other).toEqual(staff);
  });

  it('signs up through its form: the fields it carries are what POST /subscribe takes', async () => {
    await signUpWith((await h.server.inject({ url: '/subscribe/metro' })).body, 'metro');
  });

  it("signs up through the README's embeddable form", async () => {
    const readme = readFileSync(repoPath('README.md'), 'utf8');
    const snippet = /```html\n(<form[\s\S]*?<\/form>)\n```/.exec(readme)?.[1] ?? '';
    expect(snippet).toMatch(/<form method="post" action="https:\/\/news\.example\.com\/subscribe">/);
    await h.app.stores.lists.create({ id: 'daily', public: true, doubleOptIn: true });
    await signUpWith(snippet, 'daily');
  });
});

/**
 * Posts the form in `page` as a browser would, with an address and a name filled in and the
 * widget's challenge solved (the widget fills the form's `altcha` field).
 */
async function signUpWith(page: string, list: string): Promise<void> {
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
  const fields = Object.fromEntries([...page.matchAll(/<(?:input|altcha-widget)\b[^>]*>/g)].map(([tag]) => [attr(tag, 'name'), attr(tag, 'value') ?? '']));
  expect(Object.keys(fields).sort()).toEqual(['altcha', 'email', 'list', 'name']);
  const challenge = (await h.server.inject({ url: '/altcha/challenge' })).json();
  const solution = await solveChallenge({ challenge, deriveKey });
  const altcha = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  const res = await h.server.inject({ method: 'POST', url: '/subscribe', ...form({ ...fields, email: 'new@example.net', name: 'New Reader', altcha }) });
  expect(res.statusCode).toBe(200);
  const subscriber = await h.app.stores.subscribers.findByEmail('new@example.net');
  expect(subscriber).toMatchObject({ name: 'New Reader' });
  // Single opt-in lists take them at once; with a confirmation step they wait for it.
  if (subscriber?.status === 'active') expect(await h.app.stores.lists.isMember(list, subscriber.id)).toBe(true);
  else expect(subscriber?.status).toBe('unconfirmed');
}

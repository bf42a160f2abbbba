/**
 * The public sign-up form against abuse: the per-client limit counts an IPv6 /64 as one client,
 * a list takes at most SUBSCRIBE_LIST_RATE_PER_HOUR sign-ups an hour from everyone together,
 * public lists confirm unless single opt-in was explicitly allowed, and every sign-up needs a
 * solved ALTCHA proof-of-work challenge, each good for one sign-up.
 */
import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { afterEach, describe, expect, it } from 'vitest';
import type { PipelineOptions } from '../../support/pipeline.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import type { ServerOptions } from '../../../src/http/server.ts';

let h: HttpHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(opts: PipelineOptions & { server?: ServerOptions } = {}): Promise<HttpHarness> {
  h = await startHttp(opts);
  await h.app.stores.lists.create({ id: 'briefing', name: 'The Briefing', newsletter: 'daily', doubleOptIn: true, public: true });
  return h;
}

const signUp = (server: HttpHarness, email: string, opts: { ip?: string; list?: string; altcha?: string } = {}) =>
  server.server.inject({
    method: 'POST',
    url: '/subscribe',
    remoteAddress: opts.ip ?? '198.51.100.1',
    payload: { email, list: opts.list ?? 'briefing', ...(opts.altcha !== undefined ? { altcha: opts.altcha } : {}) },
  });

describe('per-client limit', () => {
  it('counts an IPv6 /64 as one client: a second address in the same /64 hits the limit', async () => {
    const s = await start({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' }, server: { subscribeRatePerMinute: 1 } });
    expect((await signUp(s, 'one@example.net', { ip: '2001:db8:5:6::1' })).statusCode).toBe(200);
    const sameSlash64 = await signUp(s, 'two@example.net', { ip: '2001:db8:5:6:a:b:c:d' });
    expect(sameSlash64.statusCode).toBe(429);
    expect(await s.app.stores.subscribers.findByEmail('two@example.net')).toBeNull();
    expect((await signUp(s, 'three@example.net', { ip: '2001:db8:5:7::1' })).statusCode).toBe(200);
    // A dual-stack socket's IPv4-mapped form is the IPv4 client it is.
    expect((await signUp(s, 'four@example.net', { ip: '192.0.2.9' })).statusCode).toBe(200);
    expect((await signUp(s, 'five@example.net', { ip: '::ffff:192.0.2.9' })).statusCode).toBe(429);
  });
});

describe('per-list cap', () => {
  it('a list takes at most SUBSCRIBE_LIST_RATE_PER_HOUR sign-ups an hour, from any number of clients', async () => {
    const s = await start({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off', SUBSCRIBE_LIST_RATE_PER_HOUR: '2' }, server: { subscribeRatePerMinute: 100 } });
    await s.app.stores.lists.create({ id: 'other', name: 'Other', doubleOptIn: true, public: true });
    expect((await signUp(s, 'a@example.net', { ip: '198.51.100.1' })).statusCode).toBe(200);
    expect((await signUp(s, 'b@example.net', { ip: '198.51.100.2' })).statusCode).toBe(200);
    const capped = await signUp(s, 'c@example.net', { ip: '198.51.100.3' });
    expect(capped.statusCode).toBe(429);
    expect(capped.json()).toMatchObject({ code: 'rate_limited', error: expect.stringContaining('The Briefing takes no more sign-ups this hour') });
    expect(await s.app.stores.subscribers.findByEmail('c@example.net')).toBeNull();
    expect((await signUp(s, 'c@example.net', { ip: '198.51.100.3', list: 'other' })).statusCode).toBe(200);
  });
});

describe('double opt-in for public lists', () => {
  it('the API refuses a public single opt-in list unless allowSingleOptIn says so', async () => {
    const s = await start({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' } });
    const token = await s.token();
    const refused = await s.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'open', public: true } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().problems).toEqual([{ path: 'doubleOptIn', message: expect.stringContaining('a public list needs double opt-in') }]);
    expect(await s.app.stores.lists.get('open')).toBeNull();
    const allowed = await s.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'open', public: true, allowSingleOptIn: true } });
    expect(allowed.statusCode).toBe(201);
    expect((await s.api(token, { method: 'POST', url: '/api/lists', payload: { id: 'closed' } })).statusCode).toBe(201);
    expect((await s.api(token, { method: 'PATCH', url: '/api/lists/closed', payload: { public: true } })).statusCode).toBe(400);
  });

  it('a public single opt-in list from before the rule confirms sign-ups anyway', async () => {
    const s = await start({ env: { SUBSCRIBE_PROOF_OF_WORK: 'off' } });
    // As stored before lists had `allowSingleOptIn`.
    const legacy = { id: 'legacy', name: 'Legacy', doubleOptIn: false, public: true, createdAt: new Date().toISOString() };
    await s.app.redis.hset(s.app.stores.keys.lists, 'legacy', JSON.stringify(legacy));
    expect((await signUp(s, 'stranger@example.net', { list: 'legacy' })).statusCode).toBe(200);
    const stranger = await s.app.stores.subscribers.findByEmail('stranger@example.net');
    expect(stranger?.status).toBe('unconfirmed');
    expect(await s.app.stores.lists.isMember('legacy', stranger?.id ?? 0)).toBe(false);
  });
});

describe('proof of work (ALTCHA)', () => {
  /** Fetches a challenge and solves it as the widget would. */
  async function solved(s: HttpHarness): Promise<string> {
    const res = await s.server.inject({ url: '/altcha/challenge', remoteAddress: '198.51.100.1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const challenge = res.json();
    const solution = await solveChallenge({ challenge, deriveKey });
    expect(solution).not.toBeNull();
    return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
  }

  // A small counter keeps the test's solving short; the default asks for thousands of keys.
  const env = { SUBSCRIBE_PROOF_OF_WORK_MAX: '20' };

  it('is on by default: a sign-up without a solved challenge is refused and changes nothing', async () => {
    const s = await start({ env });
    expect(s.app.config.signUp.proofOfWork).toBe(true);
    const res = await signUp(s, 'bot@example.net');
    expect(res.statusCode).toBe(400);
    expect(res.json().problems).toEqual([{ path: 'altcha', message: expect.stringContaining('GET /altcha/challenge') }]);
    expect(await s.app.stores.subscribers.findByEmail('bot@example.net')).toBeNull();
  });

  it('a solved challenge buys one sign-up; used again it is refused', async () => {
    const s = await start({ env });
    const altcha = await solved(s);
    expect((await signUp(s, 'human@example.net', { altcha })).statusCode).toBe(200);
    expect((await s.app.stores.subscribers.findByEmail('human@example.net'))?.status).toBe('unconfirmed');
    const again = await signUp(s, 'second@example.net', { altcha });
    expect(again.statusCode).toBe(400);
    expect(again.json().problems).toEqual([{ path: 'altcha', message: expect.stringContaining('already used') }]);
    expect(await s.app.stores.subscribers.findByEmail('second@example.net')).toBeNull();
    // A form post carries it in the widget's hidden field.
    const form = await s.server.inject({
      method: 'POST',
      url: '/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: 'form@example.net', list: 'briefing', altcha: await solved(s) }).toString(),
    });
    expect(form.statusCode).toBe(200);
  });

  it('a wrong or altered solution is refused', async () => {
    const s = await start({ env });
    const { challenge, solution } = JSON.parse(Buffer.from(await solved(s), 'base64').toString()) as {
      challenge: { parameters: { cost: number } };
      solution: { counter: number; derivedKey: string };
    };
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
    const wrongKey = encode({ challenge, solution: { ...solution, derivedKey: '00'.repeat(32) } });
    const cheaper = encode({ challenge: { ...challenge, parameters: { ...challenge.parameters, cost: 1 } }, solution });
    for (const altcha of [wrongKey, cheaper]) {
      const res = await signUp(s, 'forger@example.net', { altcha });
      expect(res.statusCode).toBe(400);
      expect(res.json().problems).toEqual([{ path: 'altcha', message: 'the solution does not solve the challenge' }]);
    }
    expect(await s.app.stores.subscribers.findByEmail('forger@example.net')).toBeNull();
  });

  it('the widget script comes from this server', async () => {
    const s = await start({ env });
    const res = await s.server.inject({ url: '/altcha/altcha.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/javascript/);
    expect(res.body).toContain('altcha-widget');
  });
});

/**
 * Bad input, swept through HTTP: malformed bodies, URLs and uploads thrown at the editors' API
 * and the public endpoints of a real listening server (`buildServer(app).listen` on loopback,
 * requests with fetch). The CLI's entry points are swept in bad-input.test.ts.
 *
 * Each answer must be a 4xx (never a 500) that says what is wrong, naming the field where there
 * is one, and not one byte may change in Redis: every key under the prefix is DUMPed before and
 * after. The exceptions are counted on purpose: the sign-up rate limiter's counter (junk counts
 * against a client's budget) and the API token's last use (recorded before each snapshot).
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../src/domain/link-token.ts';
import { EXAMPLE_EDITION_FILE, validEditionInput } from '../support/editions.ts';
import { type HttpHarness, startHttp } from '../support/http.ts';
import { snapshot } from '../support/store-fixtures.ts';

let h: HttpHarness;
let base: string;
let token: string;
let campaignId: string;
let readers: number[];
const exampleYaml = readFileSync(EXAMPLE_EDITION_FILE, 'utf8');

beforeAll(async () => {
  h = await startHttp({ server: { subscribeRatePerMinute: 100_000 } });
  await h.server.listen({ port: 0, host: '127.0.0.1' });
  const address = h.server.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  token = await h.token('sweep');
  // Something to protect: a list with members and a scheduled campaign, so a partial write shows.
  readers = await h.addSubscribers('daily', 3);
  campaignId = (await h.createCampaign(['daily'], new Date(Date.now() + 86_400_000))).id;
});
afterAll(async () => {
  await h?.close();
});

interface Problem {
  path: string;
  message: string;
  line?: number;
}

interface Answer {
  status: number;
  text: string;
  /** The JSON error body, when the answer is JSON. */
  json?: { error: string; code: string; problems?: Problem[] };
}

interface Request {
  method?: string;
  body?: BodyInit;
  type?: string;
  /** Send the API token. Default: for paths under /api/. */
  auth?: boolean;
  /** Node's HTTP parser answers before any route: its own short JSON, without our `code`. */
  beforeRouting?: boolean;
}

/** Redis under the test's prefix, but for the rate limiter's counters. */
async function data(): Promise<Map<string, string>> {
  const all = await snapshot(h.t.redis, h.t.prefix);
  for (const key of all.keys()) if (key.includes(':ratelimit:')) all.delete(key);
  return all;
}

/** Sends the request and checks the house rules for bad input: a clear 4xx and no write. */
async function refused(path: string, req: Request = {}): Promise<Answer> {
  const auth = req.auth ?? path.startsWith('/api/');
  const headers: Record<string, string> = { ...(req.type ? { 'content-type': req.type } : {}), ...(auth ? { authorization: `Bearer ${token}` } : {}) };
  // The token's use is recorded (once a minute); do it before the snapshot.
  if (auth) await fetch(`${base}/api/lists`, { headers });
  const before = await data();
  const res = await fetch(base + path, { method: req.method ?? 'POST', headers, ...(req.body !== undefined ? { body: req.body } : {}) });
  const text = await res.text();
  const after = await data();
  const answer: Answer = { status: res.status, text };
  if (/^application\/json/.test(res.headers.get('content-type') ?? '')) answer.json = JSON.parse(text) as Answer['json'];

  expect(res.status, text.slice(0, 500)).toBeGreaterThanOrEqual(400);
  expect(res.status, text.slice(0, 500)).toBeLessThan(500);
  expect(text.length).toBeLessThan(20_000);
  if (answer.json) {
    expect(answer.json.error.length).toBeGreaterThan(5);
    if (!req.beforeRouting) expect(answer.json.code).toMatch(/^[a-z_]+$/);
  } else {
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  }
  expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
  expect(after).toEqual(before);
  return answer;
}

const paths = (a: Answer) => (a.json?.problems ?? []).map((p) => p.path).sort();
/** The text of a subscriber page, without its markup. */
const pageText = (a: Answer) => a.text.replace(/<style[\s\S]*?<\/style>/, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';
const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const nestedArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const form = (fields: Record<string, string>, files: Record<string, Buffer | string> = {}) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [k, v] of Object.entries(files)) f.append(k, new Blob([typeof v === 'string' ? v : new Uint8Array(v)]), `${k}.csv`);
  return f;
};

describe('editors\' API: bodies', () => {
  it.each([
    ['wrong types', { id: 5, name: [], doubleOptIn: 'yes' }, ['doubleOptIn', 'id', 'name']],
    ['missing fields', {}, ['id']],
    ['unknown fields', { id: 'weekly', colour: 'red', __admin: true }, ['__admin', 'colour']],
    ['a 1 MB name', { id: 'weekly', name: 'n'.repeat(1024 * 1024) }, ['name']],
    ['an array instead of an object', [{ id: 'weekly' }], ['(body)']],
    ['null', null, ['(body)']],
  ])('POST /api/lists, %s: 400 naming each field', async (_name, body, expected) => {
    const a = await refused('/api/lists', { body: JSON.stringify(body), type: JSON_TYPE });
    expect(a.status).toBe(400);
    expect(paths(a)).toEqual(expected);
    // One problem per field: a value of the wrong type is not also "too short".
    expect(new Set(paths(a)).size).toBe(paths(a).length);
  });

  it('a 10 MB string: 413, read no further than the limit', async () => {
    const a = await refused('/api/lists', { body: JSON.stringify({ id: 'weekly', name: TEN_MB }), type: JSON_TYPE });
    expect(a.status).toBe(413);
    expect(a.json?.error).toMatch(/too large/);
  });

  it('deeply nested JSON: names the field it lands in, no stack overflow', async () => {
    const object = await refused('/api/lists', { body: nestedObject(100_000), type: JSON_TYPE });
    expect(object.status).toBe(400);
    expect(paths(object)).toEqual(['a', 'id']);
    const array = await refused('/api/lists', { body: nestedArray(500_000), type: JSON_TYPE });
    expect(paths(array)).toEqual(['(body)']);
    const inEdition = await refused('/api/campaigns', {
      body: `{"lists":["daily"],"edition":{"newsletter":"daily","date":"2025-02-13","subject":"s","watching":${nestedArray(300_000)}}}`,
      type: JSON_TYPE,
    });
    expect(inEdition.status).toBe(400);
    expect(paths(inEdition)).toContain('watching[0]');
  });

  it('invalid JSON: 400 that says so', async () => {
    for (const body of ['{"id": ', '{id: "weekly"}', '\u0000\u0001', '{"id":"weekly"}}']) {
      const a = await refused('/api/lists', { body, type: JSON_TYPE });
      expect(a.status, body).toBe(400);
      expect(a.json?.error, body).toMatch(/not valid JSON/);
    }
  });

  it('wrong content types: 415, or 400 naming the body', async () => {
    for (const type of ['application/xml', 'application/octet-stream', FORM_TYPE]) {
      const a = await refused('/api/lists', { body: 'id=weekly', type });
      expect(a.status, type).toBe(415);
    }
    // Text the API reads (YAML editions) is not an object where one is needed.
    expect(paths(await refused('/api/lists', { body: 'id: weekly', type: 'application/yaml' }))).toEqual(['(body)']);
    // A form sent to a JSON endpoint is not "no body at all".
    const multipart = await refused('/api/lists', { body: form({ id: 'weekly' }) });
    expect(multipart.status).toBe(415);
    expect(multipart.json?.error).toMatch(/JSON/);
  });

  it('a body naming lists that do not exist: 400 naming each, nothing stored', async () => {
    const a = await refused('/api/campaigns', { body: JSON.stringify({ edition: exampleYaml, lists: ['daily', 'nope', 'gone'], at: 'now' }), type: JSON_TYPE });
    expect(a.status).toBe(400);
    expect(a.json?.problems).toEqual([
      { path: 'lists[1]', message: 'no such list' },
      { path: 'lists[2]', message: 'no such list' },
    ]);
    const many = await refused('/api/campaigns', { body: JSON.stringify({ edition: exampleYaml, lists: Array.from({ length: 100_000 }, (_, i) => `l${i}`) }), type: JSON_TYPE });
    expect(paths(many)).toEqual(['lists']);
    const unsubscribe = await refused(`/api/subscribers/${readers[0]}/unsubscribe`, { body: JSON.stringify({ list: 'nope' }), type: JSON_TYPE });
    expect(unsubscribe.json?.problems).toEqual([{ path: 'list', message: 'no such list' }]);
  });

  it('subscriber bodies: bad addresses, header injection, oversized and control-character names and attributes', async () => {
    const add = (body: unknown) => refused('/api/lists/daily/subscribers', { body: JSON.stringify(body), type: JSON_TYPE });
    expect(paths(await add({ email: 'a@example.com\r\nBcc: all@example.com' }))).toEqual(['email']);
    expect(paths(await add({ email: `${'a'.repeat(10_000)}@example.com` }))).toEqual(['email']);
    expect(paths(await add({ email: 'ann@example.com', name: 'Ann\r\nBcc: all@example.com' }))).toEqual(['name']);
    expect(paths(await add({ email: 'ann@example.com', name: 'Ann\u0000' }))).toEqual(['name']);
    expect(paths(await add({ email: 'ann@example.com', attributes: { city: 'c'.repeat(1_000_000) } }))).toEqual(['attributes.city']);
    expect(paths(await add({ email: 'ann@example.com', attributes: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, 'v'])) }))).toEqual(['attributes']);
    expect(paths(await add({ email: 'ann@example.com', attributes: { deep: JSON.parse(nestedObject(1_000)) } }))).toEqual(['attributes.deep']);
  });

  it('URLs: overlong or malformed ids, junk queries', async () => {
    const long = await refused(`/api/lists/${'a'.repeat(150)}`, { method: 'GET' });
    expect(long.status).toBe(400);
    expect(paths(long)).toEqual(['params.id']);
    const longer = await refused(`/api/lists/${'a'.repeat(5_000)}`, { method: 'GET' });
    expect(longer.status).toBe(414);
    expect(longer.json).toEqual({ error: 'a part of the URL is longer than 200 characters', code: 'url_too_long' });
    const malformed = await refused('/api/lists/%ZZ', { method: 'GET' });
    expect(malformed.status).toBe(400);
    expect(malformed.json?.code).toBe('bad_url');
    expect(paths(await refused('/api/campaigns?limit=1e400&x=1', { method: 'GET' }))).toEqual(['query.limit', 'query.x']);
    expect(paths(await refused('/api/subscribers/99999999999999999999', { method: 'GET' }))).toEqual(['params.id']);
  });
});

describe('editors\' API: editions', () => {
  it.each([
    ['a javascript: link', { link: 'javascript:alert(1)' }, 'watching[0].link'],
    ['a JaVaScRiPt: link in Markdown', { body: 'Read [this](JaVaScRiPt:alert(1)).' }, 'watching[0].body'],
    ['an entity-encoded javascript: link in Markdown', { body: 'Read [this](java&#115;cript:alert(1)).' }, 'watching[0].body'],
    ['a data: link', { link: 'data:text/html,<script>alert(1)</script>' }, 'watching[0].link'],
    ['a javascript: link with a tab in it', { link: 'java\tscript:alert(1)' }, 'watching[0].link'],
  ])('%s: 400 naming the field', async (_name, change, field) => {
    const edition = validEditionInput();
    Object.assign((edition.watching as Record<string, unknown>[])[0] as Record<string, unknown>, change);
    for (const path of ['/api/editions/validate', '/api/campaigns']) {
      const body = path === '/api/campaigns' ? { edition, lists: ['daily'], at: 'now' } : edition;
      const a = await refused(path, { body: JSON.stringify(body), type: JSON_TYPE });
      expect(a.status, path).toBe(400);
      expect(a.json?.problems, path).toEqual([expect.objectContaining({ path: field, message: expect.stringMatching(/only https, http and mailto/) })]);
    }
  });

  it('truncated YAML, as the body or inside a JSON body: names the line', async () => {
    const cut = exampleYaml.slice(0, exampleYaml.indexOf('caption:') + 20);
    const line = cut.split('\n').length;
    for (const [path, body, type] of [
      ['/api/editions/validate', cut, 'application/yaml'],
      ['/api/editions/preview', cut, 'text/plain'],
      ['/api/campaigns', JSON.stringify({ edition: cut, lists: ['daily'], at: 'now' }), JSON_TYPE],
    ] as const) {
      const a = await refused(path, { body, type });
      expect(a.status, path).toBe(400);
      expect(a.json?.problems, path).toEqual([{ path: '', message: expect.stringMatching(/^YAML: /), line: expect.any(Number) }]);
      expect(a.json?.problems?.[0]?.line, path).toBeLessThanOrEqual(line);
    }
  });

  it('YAML junk: deeply nested says so once, binary names a line, 2 MB of text is refused by size', async () => {
    const nested = await refused('/api/editions/validate', { body: `newsletter: daily\nwatching: ${nestedArray(100_000)}\n`, type: 'application/yaml' });
    expect(nested.json?.problems).toEqual([{ path: '', message: expect.stringMatching(/nested too deeply/), line: 2 }]);
    const binary = await refused('/api/editions/validate', { body: randomBytes(4096), type: 'application/yaml' });
    expect(binary.status).toBe(400);
    expect(binary.json?.problems?.[0]).toMatchObject({ line: expect.any(Number) });
    const big = await refused('/api/editions/validate', { body: `newsletter: daily\nsubject: "${'x'.repeat(1_900_000)}"\n`, type: 'application/yaml' });
    expect(big.json?.problems).toEqual([{ path: '', message: 'file is larger than 1024 KB' }]);
    expect((await refused('/api/editions/validate', { body: JSON.stringify({ subject: TEN_MB }), type: JSON_TYPE })).status).toBe(413);
  });

  it('bodies that are not editions at all', async () => {
    for (const body of ['[1, 2]', 'null', '42']) {
      const a = await refused('/api/editions/validate', { body, type: JSON_TYPE });
      expect(a.status, body).toBe(400);
      expect(paths(a), body).toEqual(['(body)']);
    }
    const a = await refused('/api/campaigns', { body: JSON.stringify({ edition: 5, lists: 'daily', at: { y: 1 } }), type: JSON_TYPE });
    expect(paths(a)).toEqual(['at', 'edition', 'lists']);
  });
});

describe('editors\' API: CSV uploads', () => {
  const importing = '/api/lists/daily/import';
  const csvOf = (a: Answer) => a.json?.problems?.[0];

  it('binary data, as text/csv or as a file: names a line', async () => {
    const binary = Buffer.concat([Buffer.from('email,name\n'), randomBytes(8192)]);
    for (const req of [{ body: binary, type: 'text/csv' }, { body: form({}, { file: binary }) }]) {
      const a = await refused(importing, req);
      expect(a.status).toBe(400);
      expect(csvOf(a)).toMatchObject({ path: 'file', line: expect.any(Number), message: expect.stringMatching(/binary|UTF-8/) });
    }
  });

  it('a row of 100,000 columns, and a 10 MB line: line 1 or 2, nothing imported', async () => {
    const wide = `email,${Array.from({ length: 100_000 }, (_, i) => `c${i}`).join(',')}\nann@example.com\n`;
    expect(csvOf(await refused(importing, { body: wide, type: 'text/csv' }))).toMatchObject({ path: 'file', line: 1 });
    expect(csvOf(await refused(importing, { body: `email,name\n${TEN_MB}`, type: 'text/csv' }))).toMatchObject({ path: 'file', line: 2 });
  });

  it('Latin-1 and empty files', async () => {
    const latin1 = Buffer.from('email,name\nrene@example.com,Ren\xe9\n', 'latin1');
    expect(csvOf(await refused(importing, { body: latin1, type: 'text/csv' }))).toMatchObject({ line: 2, message: expect.stringMatching(/UTF-8/) });
    expect(csvOf(await refused(importing, { body: '', type: 'text/csv' }))).toMatchObject({ line: 1, message: expect.stringMatching(/empty/) });
  });

  it('forms that are not one CSV file: two files, extra fields, no file, the wrong name', async () => {
    const csv = (n: string) => `email\n${n}@example.com\n`;
    expect((await refused(importing, { body: form({}, { file: csv('a'), other: csv('b') }) })).json?.problems).toEqual([
      { path: 'file', message: 'one CSV file per import: the form has more' },
    ]);
    expect(paths(await refused(importing, { body: form({ note: 'x' }, { file: csv('c') }) }))).toEqual(['note']);
    expect(paths(await refused(importing, { body: form({}, { upload: csv('d') }) }))).toEqual(['upload']);
    expect(paths(await refused(importing, { body: form({ file: 'email\ne@example.com\n' }) }))).toEqual(['file']);
    expect(paths(await refused(importing, { body: JSON.stringify({ rows: [] }), type: JSON_TYPE }))).toEqual(['file']);
  });
});

describe('public endpoints', () => {
  it('POST /subscribe with junk: 400 naming each field (JSON for JSON, a page for forms)', async () => {
    const json = await refused('/subscribe', { body: JSON.stringify({ email: ['x'], list: { a: 1 }, name: 5 }), type: JSON_TYPE });
    expect(json.status).toBe(400);
    expect(paths(json)).toEqual(['email', 'list', 'name']);
    const nested = await refused('/subscribe', { body: nestedObject(100_000), type: JSON_TYPE });
    expect(paths(nested)).toEqual(['email', 'list']);
    expect((await refused('/subscribe', { body: '{"email":', type: JSON_TYPE })).json?.error).toMatch(/not valid JSON/);
    const unknownList = await refused('/subscribe', { body: JSON.stringify({ email: 'new@example.net', list: 'nope' }), type: JSON_TYPE });
    // Without a solved challenge nothing is looked up: the answer is about the work, whatever the list.
    expect(unknownList.json?.problems).toEqual([{ path: 'altcha', message: expect.stringMatching(/^required: solve the challenge/) }]);
    const junkWork = await refused('/subscribe', { body: JSON.stringify({ email: 'new@example.net', list: 'daily', altcha: 'bm90IGpzb24=' }), type: JSON_TYPE });
    expect(junkWork.json?.problems).toEqual([{ path: 'altcha', message: expect.stringMatching(/^not a solved challenge/) }]);
    const name = await refused('/subscribe', { body: JSON.stringify({ email: 'new@example.net', list: 'daily', name: 'A\u0000B\r\nC' }), type: JSON_TYPE });
    expect(paths(name)).toEqual(['name']);

    const page = await refused('/subscribe', { body: 'email=%ZZ&list[]=1&list=daily', type: FORM_TYPE });
    expect(page.status).toBe(400);
    expect(pageText(page)).toContain('email: not a valid email address');
    const binary = await refused('/subscribe', { body: randomBytes(512), type: 'application/octet-stream' });
    expect(pageText(binary)).toMatch(/\(body\): expected object/);
    const longField = await refused('/subscribe', { body: form({ email: 'x'.repeat(100_000) }) });
    expect(pageText(longField)).toContain('email: longer than 254 characters');
  });

  it('POST /subscribe with oversized or odd forms: 413 saying why', async () => {
    const huge = await refused('/subscribe', { body: TEN_MB, type: FORM_TYPE });
    expect(huge.status).toBe(413);
    expect(pageText(huge)).toMatch(/too large/);
    const withFile = await refused('/subscribe', { body: form({ email: 'new@example.net', list: 'daily' }, { photo: 'x' }) });
    expect(withFile.status).toBe(413);
    expect(pageText(withFile)).toContain('the form has more files than this endpoint takes');
    const manyFields = await refused('/subscribe', { body: form(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'x']))) });
    expect(pageText(manyFields)).toContain('the form has more fields than this endpoint takes');
  });

  it('POST /u/<garbage>, malformed and very long tokens: the one dead-link page', async () => {
    const deadLink = await refused('/u/hello', { body: 'List-Unsubscribe=One-Click', type: FORM_TYPE });
    expect(deadLink.status).toBe(404);
    const secret = h.app.config.secrets[0] as string;
    const genuine = signLinkToken({ subscriberId: readers[0] as number, purpose: 'unsubscribe', scope: { kind: 'campaign', id: campaignId } }, secret);
    for (const [name, path] of [
      ['garbage', '/u/garbage'],
      ['binary', `/u/${encodeURIComponent(randomBytes(48).toString('latin1'))}`],
      ['150 characters', `/u/${'a'.repeat(150)}`],
      ['a genuine token with 150 characters after it', `/u/${genuine}${'A'.repeat(150)}`],
      ['10,000 characters', `/u/${'a'.repeat(10_000)}`],
      ['a malformed %-escape', '/u/%ZZ%00'],
      ['nested junk', `/u/${encodeURIComponent('{"a":'.repeat(1_000))}`],
    ] as const) {
      for (const body of ['List-Unsubscribe=One-Click', nestedObject(10_000)]) {
        const a = await refused(path, { body, type: body.startsWith('{') ? JSON_TYPE : FORM_TYPE });
        expect(a.status, name).toBe(404);
        expect(a.text, name).toBe(deadLink.text);
      }
    }
    expect(await h.app.stores.lists.isMember('daily', readers[0] as number)).toBe(true);
    // An overlong URL stops at Node's header limit: still a 4xx, still nothing written.
    const overlong = await refused(`/u/${'a'.repeat(100_000)}`, { body: 'List-Unsubscribe=One-Click', type: FORM_TYPE, beforeRouting: true });
    expect(overlong.status).toBe(431);
    expect(overlong.json?.error).toBe('Request Header Fields Too Large');
  });

  it('GET /v/ and /confirm/ with very long tokens: the dead-link page too', async () => {
    for (const path of [`/v/${'x'.repeat(150)}`, `/v/${'x'.repeat(5_000)}`, `/confirm/${'z'.repeat(5_000)}`]) {
      const a = await refused(path, { method: 'GET' });
      expect(a.status, path).toBe(404);
      expect(pageText(a), path).toContain('This link is not valid.');
    }
  });
});

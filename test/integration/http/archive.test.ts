/**
 * The public archive (README.md, "Public archive") over the real pipeline: editions stored,
 * approved and really sent through a loopback SMTP server, then read back from
 * `/archive/<newsletter>`, `/archive/<newsletter>/<date>` and the Atom feed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoPath, validEditionInput } from '../../support/editions.ts';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { FIRST_SENT_DATE, storeSentEditions } from '../../support/sent-editions.ts';

const SECRET = 'a-test-secret-that-is-long-enough-for-hmac';
let dir: string;
let h: HttpHarness;

const text = (changes: Record<string, unknown> = {}) => JSON.stringify({ ...validEditionInput(), ...changes }, null, 2);
const lead = (validEditionInput().watching as Array<{ image?: { src: string } }>).find((s) => s.image)?.image?.src as string;

beforeAll(async () => {
  // daily as shipped (archive on, aggregate clicks); `tracked`: per-reader clicks and opens, archive on; `quiet`: archive off.
  dir = await mkdtemp(join(tmpdir(), 'newsdesk-archive-'));
  const daily = await readFile(repoPath('newsletters/daily.yaml'), 'utf8');
  expect(daily).toMatch(/^archive:\n {2}enabled: true$/m);
  await writeFile(join(dir, 'daily.yaml'), daily);
  await writeFile(
    join(dir, 'tracked.yaml'),
    daily
      .replace(/^id: daily$/m, 'id: tracked')
      .replace(/^ {2}clicks: aggregate.*$/m, '  clicks: per-reader')
      .replace(/^ {2}opens: off.*$/m, '  opens: on'),
  );
  await writeFile(join(dir, 'quiet.yaml'), daily.replace(/^id: daily$/m, 'id: quiet').replace(/^archive:\n {2}enabled: true\n/m, ''));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  h = await startHttp({ workers: true, env: { NEWSLETTERS_DIR: dir, SUBSCRIBE_PROOF_OF_WORK: 'on' } });
  for (const newsletter of ['daily', 'tracked', 'quiet']) {
    await h.app.stores.lists.create({ id: `${newsletter}-readers`, name: `${newsletter} readers`, newsletter, public: true, doubleOptIn: true });
    await h.app.stores.lists.create({ id: `${newsletter}-staff`, name: `${newsletter} staff`, newsletter });
  }
  await h.addSubscribers('daily-readers', 2, 1);
  await h.addSubscribers('tracked-readers', 2, 11);
  await h.addSubscribers('quiet-readers', 1, 21);
});
afterEach(async () => {
  await h.close();
});

/** Saves, approves and sends an edition to its newsletter's readers; resolves once sent. */
async function send(newsletter: string, date: string, changes: Record<string, unknown> = {}) {
  const id = `${newsletter}-${date}`;
  await h.app.editions.save(text({ newsletter, date, ...changes }), 'cli:ana');
  await h.app.editions.approve(id, 'cli:bo');
  const { campaign } = await h.app.editions.createCampaign(id, { lists: [`${newsletter}-readers`], at: 'now', by: 'cli:ana', yes: true });
  await h.waitForStatus(campaign.id, 'sent');
  return campaign;
}

const get = (url: string) => h.server.inject({ url });
const editionLinks = (html: string) => [...html.matchAll(/href="\/archive\/[a-z-]+\/(\d{4}-\d{2}-\d{2})"|href="https:\/\/news\.example\.com\/archive\/[a-z-]+\/(\d{4}-\d{2}-\d{2})"/g)].map((m) => m[1] ?? m[2]);

describe('which editions the archive shows', () => {
  it('only sent editions, newest first: not drafts, not approved ones, not one whose campaign has not started', async () => {
    await send('daily', '2025-02-12', { subject: 'Tuesday: the twelfth' });
    await send('daily', '2025-02-13', { subject: 'Wednesday: the thirteenth' });
    await h.app.editions.save(text({ date: '2025-02-14', subject: 'Draft: the fourteenth' }), 'cli:ana');
    await h.app.editions.save(text({ date: '2025-02-15', subject: 'Approved: the fifteenth' }), 'cli:ana');
    await h.app.editions.approve('daily-2025-02-15', 'cli:bo');
    await h.app.editions.save(text({ date: '2025-02-16', subject: 'Scheduled: the sixteenth' }), 'cli:ana');
    await h.app.editions.approve('daily-2025-02-16', 'cli:bo');
    const later = new Date(Date.now() + 3_600_000);
    await h.app.editions.createCampaign('daily-2025-02-16', { lists: ['daily-readers'], at: later, by: 'cli:ana', yes: true });
    expect((await h.app.editions.get('daily-2025-02-16'))?.state).toBe('sent');

    const index = await get('/archive/daily');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(editionLinks(index.body)).toEqual(['2025-02-13', '2025-02-12']);
    expect(index.body).toContain('Wednesday: the thirteenth');
    expect(index.body).not.toMatch(/fourteenth|fifteenth|sixteenth/);
    for (const date of ['2025-02-14', '2025-02-15', '2025-02-16', '2025-02-11', 'yesterday']) {
      expect((await get(`/archive/daily/${date}`)).statusCode, date).toBe(404);
    }
    const feed = await get('/archive/daily/feed.xml');
    expect(feed.body).not.toMatch(/fourteenth|fifteenth|sixteenth/);
  });

  it('shows the content that was sent, not a later correction saved after it', async () => {
    await send('daily', '2025-02-13', { subject: 'As it went out' });
    const forced = await h.app.editions.save(text({ subject: 'Edited afterwards' }), 'cli:ana', { force: true });
    expect(forced.edition).toMatchObject({ state: 'sent', revision: 2 });
    const page = await get('/archive/daily/2025-02-13');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('As it went out');
    expect(page.body).not.toContain('Edited afterwards');
    expect((await get('/archive/daily')).body).toContain('As it went out');
    expect((await get('/archive/daily/feed.xml')).body).not.toContain('Edited afterwards');
  });

  it('a newsletter whose archive is off (the default) answers 404 everywhere; so does an unknown one', async () => {
    await send('quiet', '2025-02-13');
    for (const url of ['/archive/quiet', '/archive/quiet/2025-02-13', '/archive/quiet/feed.xml', '/archive/nope', '/archive/nope/feed.xml', '/archive/Bad_Id']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).toContain('Not found');
    }
  });
});

describe('an edition page', () => {
  it('carries no reader data, link token or tracking: nothing of what the readers’ own copies held', async () => {
    await send('tracked', '2025-02-13');
    const page = await get('/archive/tracked/2025-02-13');
    expect(page.statusCode).toBe(200);
    const html = page.body;

    // Every personal URL and address in the messages the readers got: none is on the page.
    const mails = await Promise.all(h.smtp.messages.map((m) => simpleParser(m.raw)));
    expect(mails).toHaveLength(2);
    const personal = new Set<string>();
    for (const mail of mails) {
      for (const m of String(mail.html).matchAll(/https:\/\/news\.example\.com\/(?:u|v|c|o|confirm)\/[^"\s<]+/g)) personal.add(m[0]);
      for (const m of mail.headerLines.filter((l) => l.key === 'list-unsubscribe').flatMap((l) => [...l.line.matchAll(/<(https:[^>]+)>/g)])) personal.add(m[1] as string);
    }
    expect([...personal].filter((u) => u.includes('/c/')).length).toBeGreaterThan(0);
    expect([...personal].filter((u) => u.includes('/u/')).length).toBeGreaterThan(0);
    for (const url of personal) expect(html).not.toContain(url.replace(/&/g, '&amp;'));
    for (const address of ['reader11@example.org', 'reader12@example.org', 'Reader 11', 'Reader 12', SECRET]) expect(html).not.toContain(address);
    // No signed path at all: unsubscribe, view, confirm, tracked link, open image.
    expect(html).not.toMatch(/\/(u|v|c|o|confirm)\/[A-Za-z0-9_.~-]{8,}/);
    expect(html).not.toMatch(/width="1" height="1"/);
    // The edition's own links go straight to their targets.
    const story = (validEditionInput().watching as Array<{ link: string }>)[0]?.link as string;
    expect(html).toContain(`href="${story}"`);
    // The greeting is the newsletter's fallback; the copy's own links lead back to the archive.
    expect(html).toContain('Good morning, there.');
    expect(html).toContain('href="https://news.example.com/archive/tracked/2025-02-13"');
  });

  it('has a canonical link, Open Graph tags with the lead image, and the sign-up form of public lists only', async () => {
    await send('daily', '2025-02-13', { subject: 'The bridge & the river <live>' });
    const page = await get('/archive/daily/2025-02-13');
    const html = page.body;
    expect(html).toContain('<link rel="canonical" href="https://news.example.com/archive/daily/2025-02-13">');
    expect(html).toContain('<meta property="og:title" content="The bridge &amp; the river &lt;live&gt;">');
    expect(html).toContain(`<meta property="og:image" content="${lead}">`);
    expect(html).toContain('<meta property="og:url" content="https://news.example.com/archive/daily/2025-02-13">');
    expect(html).toContain('<link rel="alternate" type="application/atom+xml" title="Newsdesk Daily" href="https://news.example.com/archive/daily/feed.xml">');
    expect(html).not.toMatch(/name="robots" content="noindex/);
    // The hosted sign-up form, with its proof-of-work widget, for daily-readers (public) and not daily-staff.
    expect(html).toContain('<form method="post" action="/subscribe" class="sign-up">');
    expect(html).toContain('<input type="hidden" name="list" value="daily-readers">');
    expect(html).not.toContain('daily-staff');
    expect(html).toContain('<altcha-widget challenge="/altcha/challenge"');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    // Exactly one head and one body, the additions inside them.
    expect(html.match(/<\/head>/g)).toHaveLength(1);
    expect(html.indexOf('og:title')).toBeLessThan(html.indexOf('</head>'));
    expect(html.indexOf('class="nd-archive"')).toBeLessThan(html.lastIndexOf('</body>'));
  });
});

describe('the Atom feed', () => {
  it('is made again once a new edition goes out, and is the same bytes until then', async () => {
    await send('daily', '2025-02-12', { subject: 'The first of two' });
    const before = await get('/archive/daily/feed.xml');
    expect(before.body).toContain('The first of two');
    expect((await get('/archive/daily/feed.xml')).body).toBe(before.body);
    await send('daily', '2025-02-13', { subject: 'The second of two' });
    const after = (await get('/archive/daily/feed.xml')).body;
    expect(after).toContain('The second of two');
    expect(after).toContain('The first of two');
    // A correction sent again (--again) replaces the edition's entry.
    await h.app.editions.save(text({ date: '2025-02-13', subject: 'The second, corrected' }), 'cli:ana', { force: true });
    const { campaign } = await h.app.editions.createCampaign('daily-2025-02-13', { lists: ['daily-readers'], at: 'now', by: 'cli:ana', yes: true, again: true });
    await h.waitForStatus(campaign.id, 'sent');
    const corrected = (await get('/archive/daily/feed.xml')).body;
    expect(corrected).toContain('The second, corrected');
    expect(corrected).not.toContain('The second of two');
  });

  it('is well-formed Atom with one entry per sent edition, ids, updated times, links and escaped content', async () => {
    const first = await send('daily', '2025-02-12', { subject: 'Fish & chips <tonight>' });
    await send('daily', '2025-02-13', { subject: 'Second edition' });
    const res = await get('/archive/daily/feed.xml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(XMLValidator.validate(res.body)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'entry' || name === 'link' }).parse(res.body) as {
      feed: { '@xmlns': string; id: string; updated: string; title: { '#text': string }; link: Array<{ '@rel': string; '@href': string }>; entry: Array<Record<string, unknown>> };
    };
    const { feed } = doc;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.id).toBe('https://news.example.com/archive/daily');
    expect(feed.title['#text']).toBe('Newsdesk Daily');
    expect(feed.link.map((l) => [l['@rel'], l['@href']])).toEqual([
      ['self', 'https://news.example.com/archive/daily/feed.xml'],
      ['alternate', 'https://news.example.com/archive/daily'],
    ]);
    expect(feed.entry.map((e) => e.id)).toEqual(['https://news.example.com/archive/daily/2025-02-13', 'https://news.example.com/archive/daily/2025-02-12']);
    const older = feed.entry[1] as { title: { '#text': string }; updated: string; published: string; content: { '@type': string; '#text': string }; link: Array<{ '@href': string }> };
    expect(older.title['#text']).toBe('Fish & chips <tonight>');
    expect(older.link[0]?.['@href']).toBe('https://news.example.com/archive/daily/2025-02-12');
    const started = (await h.app.campaigns.get(first.id)).startedAt as string;
    expect(older.published).toBe(started);
    expect(Date.parse(older.updated)).toBeGreaterThanOrEqual(Date.parse(started));
    expect(feed.updated >= older.updated).toBe(true);
    // The content is the copy's HTML, escaped in the XML and whole once unescaped.
    expect(older.content['@type']).toBe('html');
    expect(res.body).toContain('&lt;table');
    const content = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', processEntities: true, htmlEntities: false }).parse(res.body).feed.entry[1].content['#text'] as string;
    expect(content).toContain('<table');
    expect(content).not.toMatch(/\/(u|v|c|o)\/[A-Za-z0-9_.~-]{8,}/);
  });
});

describe('paging', () => {
  it('20 editions a page, newest first, with links to newer and older pages; past the last is a 404', async () => {
    const dates = Array.from({ length: 21 }, (_, i) => `2025-01-${String(i + 1).padStart(2, '0')}`);
    for (const date of dates) await send('daily', date, { subject: `Edition of ${date}` });
    const first = await get('/archive/daily');
    expect(editionLinks(first.body)).toEqual([...dates].reverse().slice(0, 20));
    expect(first.body).toContain('<link rel="next" href="https://news.example.com/archive/daily?page=2">');
    expect(first.body).not.toContain('rel="prev"');
    const second = await get('/archive/daily?page=2');
    expect(second.statusCode).toBe(200);
    expect(editionLinks(second.body)).toEqual(['2025-01-01']);
    expect(second.body).toContain('<link rel="prev" href="https://news.example.com/archive/daily">');
    expect(second.body).toContain('<link rel="canonical" href="https://news.example.com/archive/daily?page=2">');
    expect(second.body).not.toContain('rel="next"');
    for (const page of ['3', '0', 'two', '-1']) expect((await get(`/archive/daily?page=${page}`)).statusCode, page).toBe(404);
    const feed = new XMLParser().parse((await get('/archive/daily/feed.xml')).body) as { feed: { entry: unknown[] } };
    expect(feed.feed.entry).toHaveLength(20);
  }, 120_000);
});

describe('an archive of years', () => {
  it('lists every sent edition, the oldest on the last page, past the thousandth', async () => {
    await storeSentEditions(h.app, 1_005);
    const pages = Math.ceil(1_005 / 20);
    const last = await get(`/archive/daily?page=${pages}`);
    expect(last.statusCode).toBe(200);
    expect(editionLinks(last.body).at(-1)).toBe(FIRST_SENT_DATE);
    expect(editionLinks(last.body)).toHaveLength(1_005 - (pages - 1) * 20);
    expect((await get(`/archive/daily?page=${pages + 1}`)).statusCode).toBe(404);
    expect((await get(`/archive/daily/${FIRST_SENT_DATE}`)).statusCode).toBe(200);
  });
});

/// <reference lib="dom" />
/**
 * The edition editor end to end in headless Chromium, against the real server, Redis, the image
 * store and the dev outbox: from an empty form to an edition with a lead story whose image is
 * uploaded (a PNG made here), two "More For You" items added and reordered, a sponsor; the live
 * preview followed as it changes, a lint message beside its field, autosave, a test copy to the
 * editors, approve, a campaign from the approved edition, and the schedule that will send it. Screenshots of the preview at 600
 * and 375 px and in dark mode, and of the whole editor, are kept in `test-artifacts/` (the
 * README's "The editor's day" shows them, copied to docs/img/).
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { Edition } from '../../src/domain/edition.schema.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { buildServer } from '../../src/http/server.ts';
import { launchChromium } from '../support/browser.ts';
import { repoPath } from '../support/editions.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { freePort } from '../support/redis-server.ts';

const PASSWORD = 'a dashboard password for the editor test';
const ARTIFACTS = repoPath('test-artifacts');

/** A real PNG, `width` × `height`, a colour gradient (RGB, 8 bits, no filter). */
function pngOf(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set([Math.round((255 * x) / width), Math.round((255 * y) / height), 160], row + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** The edition's date: tomorrow, so nothing about it is in the past. */
const DATE = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

let t: TestRedis;
let app: App;
let server: ReturnType<typeof buildServer>;
let browser: Browser;
let outbox: string;
let media: string;
let base: string;

beforeAll(async () => {
  t = await openTestRedis();
  outbox = await mkdtemp(join(tmpdir(), 'newsdesk-e2e-outbox-'));
  media = await mkdtemp(join(tmpdir(), 'newsdesk-e2e-media-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...t.env,
    PUBLIC_URL: base,
    NEWSDESK_SECRET: 'an-e2e-secret-that-is-long-enough-for-hmac',
    NEWSDESK_ADMIN_PASSWORD: PASSWORD,
    OUTBOX_DIR: outbox,
    MEDIA_DIR: media,
    LOG_LEVEL: 'silent',
  });
  app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.stores.lists.create({ id: 'daily', name: 'Newsdesk Daily readers', newsletter: 'daily' });
  await app.stores.subscribers.joinList('daily', [SubscriberInput.parse({ email: 'reader1@example.org', name: 'Reader 1' })], { via: 'import' });
  server = buildServer(app, { logger: false, outboxDir: outbox });
  await server.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
  await t?.cleanup();
  for (const dir of [outbox, media]) if (dir) await rm(dir, { recursive: true, force: true });
});

/** The light preview's document, as the page last set it. */
const previewDoc = (page: Page) => page.locator('iframe[data-frame=light]').getAttribute('srcdoc');

/** Waits until the live preview's document contains `text` (the page updates it as the editor types). */
async function previewShows(page: Page, text: string) {
  await page.waitForFunction((t) => (document.querySelector('iframe[data-frame=light]')?.getAttribute('srcdoc') ?? '').includes(t), text, { timeout: 20_000 });
}

describe('the edition editor in a real browser', () => {
  it('takes an empty form to an approved edition with an uploaded image, two More For You items and a live preview', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1400 }, timezoneId: 'America/New_York' });
    // Nothing leaves the machine: only this server answers.
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    await page.goto(`${base}/admin/login`);
    await page.fill('#secret', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/admin/campaigns`), page.click('button[type=submit]')]);
    await page.click('nav >> text=Editions');
    await Promise.all([page.waitForURL(`${base}/admin/editions/new`), page.click('a:has-text("New edition")')]);

    // An empty form: the only newsletter filled in, one blank story, no More For You items yet.
    expect(await page.inputValue('#f-newsletter')).toBe('daily');
    expect(await page.inputValue('#f-subject')).toBe('');
    expect(await page.locator('[data-list=moreForYou] [data-items] > [data-item]').count()).toBe(0);
    expect(await previewDoc(page)).toBe('');

    await page.fill('#f-date', DATE);
    await page.fill('#f-subject', 'Bridges, budgets and a bakery');
    await page.fill('#f-preheader', 'Also: the number of the day.');
    await page.fill('#f-watching-0-headline', 'The river bridge closes for repairs');
    await page.fill('#f-watching-0-body', 'The city will close the *river bridge* for six weeks.\n\nDetours start on Monday.');
    await page.fill('#f-watching-0-link', 'https://news.example.com/bridge');
    // The first preview appears as soon as the edition composes.
    await previewShows(page, 'The river bridge closes for repairs');
    expect(await page.textContent('[data-clip-text]')).toMatch(/^\d+\.\d KB of Gmail's 100 KB \(\d+ %\)$/);

    // Upload the lead story's image: a real PNG goes to the image store, its URL into the field.
    await page.setInputFiles('#f-watching-0-image-src-file', { name: 'bridge.png', mimeType: 'image/png', buffer: pngOf(800, 450) });
    await page.waitForFunction(() => /\/media\/[0-9a-f]{64}\.(jpg|png)$/.test((document.getElementById('f-watching-0-image-src') as HTMLInputElement).value), undefined, { timeout: 20_000 });
    const imageUrl = await page.inputValue('#f-watching-0-image-src');
    expect(imageUrl.startsWith(`${base}/media/`)).toBe(true);
    expect(await page.textContent('[data-upload-status="f-watching-0-image-src"]')).toBe('Uploaded (800 × 450 px).');
    expect(readdirSync(media).length).toBeGreaterThan(0);
    // An image without alt text: the error appears beside the alt field, and the preview waits.
    await page.waitForSelector('[data-msgs-for="watching[0].image.alt"] li.error');
    expect(await page.getAttribute('#f-watching-0-image-alt', 'aria-invalid')).toBe('true');
    await page.fill('#f-watching-0-image-alt', 'A steel bridge over a brown river');
    await page.fill('#f-watching-0-image-caption', 'The river bridge, built in 1931.');
    await page.fill('#f-watching-0-image-credit', 'Newsdesk');
    await previewShows(page, imageUrl);
    expect(await page.locator('[data-msgs-for="watching[0].image.alt"] li').count()).toBe(0);

    // Two More For You items: a story and a number of the day, then the number moved first.
    await page.click('button:has-text("Add an item")');
    await page.fill('#f-moreForYou-0-headline', 'The bakery on Elm Street reopens');
    await page.fill('#f-moreForYou-0-teaser', 'After the fire, *fresh bread* again.');
    await page.fill('#f-moreForYou-0-link', 'https://news.example.com/bakery');
    await page.click('button:has-text("Add an item")');
    await page.fill('#f-moreForYou-1-figure', '1,931');
    await page.fill('#f-moreForYou-1-teaser', 'The year the river bridge opened.');
    await previewShows(page, 'The year the river bridge opened.');
    await page.click('[data-path="moreForYou[1]"] button[data-move="-1"]');
    expect(await page.inputValue('#f-moreForYou-0-figure')).toBe('1,931');
    expect(await page.inputValue('#f-moreForYou-1-headline')).toBe('The bakery on Elm Street reopens');
    expect(await page.getAttribute('#f-moreForYou-1-headline', 'name')).toBe('moreForYou[1].headline');
    await page.waitForFunction(
      () => {
        const doc = document.querySelector('iframe[data-frame=light]')?.getAttribute('srcdoc') ?? '';
        return doc.indexOf('1,931') > 0 && doc.indexOf('1,931') < doc.indexOf('The bakery on Elm Street');
      },
      undefined,
      { timeout: 20_000 },
    );

    // The sponsor block: without a label the lint says so beside the label field.
    await page.fill('#f-sponsor-body', 'Fresh bread, every morning, from **Elm Street Bakery**.');
    await page.waitForSelector('[data-msgs-for="sponsor.label"] li.error');
    expect(await page.textContent('[data-msgs-for="sponsor.label"]')).toContain('sponsor has no label');
    await page.fill('#f-sponsor-label', 'Presented by Elm Street Bakery');
    await page.fill('#f-sponsor-link', 'https://bakery.example.com/');
    await previewShows(page, 'Presented by Elm Street Bakery');
    await page.waitForFunction(() => !document.querySelector('[data-msgs-for="sponsor.label"] li'));

    // Autosave: the edition is a stored draft, the address bar its page.
    const id = `daily-${DATE}`;
    await page.waitForURL(`${base}/admin/editions/${id}`, { timeout: 20_000 });
    await page.waitForFunction(() => /^(Saved|Up to date): revision \d+ \(draft\)/.test(document.querySelector('[data-autosave-status]')?.textContent ?? ''), undefined, { timeout: 20_000 });
    expect(await page.getAttribute('[data-stored-link] a', 'href')).toBe(`/admin/editions/${id}`);
    await expect.poll(async () => parse((await app.editions.get(id))?.source ?? '{}').sponsor?.link, { timeout: 20_000 }).toBe('https://bakery.example.com/');
    const stored = await app.editions.get(id);
    expect(stored).toMatchObject({ state: 'draft', savedBy: 'dashboard:admin' });
    const edition = Edition.parse(parse(stored?.source ?? ''));
    expect(edition.moreForYou.map((m) => m.figure ?? m.headline)).toEqual(['1,931', 'The bakery on Elm Street reopens']);
    expect(edition.watching[0]?.image).toEqual({ src: imageUrl, alt: 'A steel bridge over a brown river', caption: 'The river bridge, built in 1931.', credit: 'Newsdesk' });

    // The preview at both widths, in dark mode, and the text part; screenshots for the README.
    const frame = page.locator('iframe[data-frame=light]');
    expect(await frame.getAttribute('sandbox')).not.toContain('allow-scripts');
    await page.frameLocator('iframe[data-frame=light]').locator(`img[src="${imageUrl}"]`).waitFor();
    await expect.poll(() => page.frameLocator('iframe[data-frame=light]').locator(`img[src="${imageUrl}"]`).evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    expect(Math.round((await frame.boundingBox())?.width ?? 0)).toBe(602);
    await frame.screenshot({ path: join(ARTIFACTS, 'editor-preview-600.png') });
    await page.check('input[name=view][value=w375]');
    expect(Math.round((await frame.boundingBox())?.width ?? 0)).toBe(377);
    await frame.screenshot({ path: join(ARTIFACTS, 'editor-preview-375.png') });
    await page.check('input[name=view][value=dark]');
    const dark = page.locator('iframe[data-frame=dark]');
    expect(await dark.isVisible()).toBe(true);
    expect(await frame.isVisible()).toBe(false);
    expect(await dark.getAttribute('srcdoc')).not.toMatch(/prefers-color-scheme:\s*dark/);
    await dark.screenshot({ path: join(ARTIFACTS, 'editor-preview-dark.png') });
    await page.check('input[name=view][value=text]');
    expect(await page.textContent('[data-frame=text]')).toContain('The river bridge closes for repairs');
    await page.check('input[name=view][value=w600]');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(ARTIFACTS, 'editor.png') });
    for (const f of ['editor-preview-600.png', 'editor-preview-375.png', 'editor-preview-dark.png', 'editor.png']) expect(existsSync(join(ARTIFACTS, f)), f).toBe(true);

    // The YAML view round-trips with the form.
    await Promise.all([page.waitForURL(`${base}/admin/editions/yaml`), page.click('button:has-text("YAML view")')]);
    const yaml = await page.inputValue('#yaml');
    expect(Edition.parse(parse(yaml))).toEqual(edition);
    await Promise.all([page.waitForURL(`${base}/admin/editions/form`), page.click('button:has-text("Back to the form")')]);
    expect(await page.inputValue('#f-moreForYou-0-figure')).toBe('1,931');
    expect(await page.inputValue('#f-watching-0-image-src')).toBe(imageUrl);

    // A test copy to the newsletter's editors (newsletters/daily.yaml), into the dev outbox.
    await Promise.all([page.waitForURL(`${base}/admin/editions/test`), page.click('button:has-text("Send test to the editors")')]);
    expect(await page.textContent('.flash')).toBe('Test copy sent to editor@news.example.com.');
    await expect.poll(() => readdirSync(outbox).filter((f) => f.endsWith('.eml')).length).toBe(1);
    const eml = readFileSync(join(outbox, readdirSync(outbox).find((f) => f.endsWith('.eml')) as string), 'utf8');
    expect(eml).toMatch(/^Subject: \[TEST\] Bridges, budgets and a bakery/m);

    // Approve it from its page.
    await page.goto(`${base}/admin/editions/${id}`);
    expect(await page.textContent('[data-field=state]')).toBe('draft');
    await Promise.all([page.waitForURL(`${base}/admin/editions/${id}`), page.click('button:has-text("Approve")')]);
    expect(await page.textContent('[data-field=state]')).toBe('approved');
    expect(await app.editions.get(id)).toMatchObject({ state: 'approved', approvedBy: 'dashboard:admin' });

    // The list shows it approved, with the way to a campaign.
    await page.click('nav >> text=Editions');
    expect(await page.getAttribute(`tr[data-edition="${id}"]`, 'data-state')).toBe('approved');
    await Promise.all([page.waitForURL(`${base}/admin/editions/${id}/campaign`), page.click(`tr[data-edition="${id}"] a:has-text("Create campaign")`)]);
    expect(await page.isChecked('input[name=lists][value=daily]')).toBe(true);
    await page.check('input[name=when][value=draft]');
    await Promise.all([page.waitForURL(/\/admin\/campaigns\/daily-\d{4}-\d{2}-\d{2}-[0-9a-f]{6}$/), page.click('button:has-text("Create campaign")')]);
    const campaignId = new URL(page.url()).pathname.split('/').pop() as string;
    expect(await app.campaigns.get(campaignId)).toMatchObject({ status: 'draft', editionId: id });

    // Schedule: a daily 06:00 slot for the newsletter, set with the Schedules page's form (the
    // zone starts as the newsletter's). The slot on the edition's date sends this approved edition.
    await Promise.all([page.waitForURL(`${base}/admin/schedules`), page.click('nav >> text=Schedules')]);
    expect(await page.locator('tr[data-newsletter=daily]').count()).toBe(0);
    await page.selectOption('#schedule-newsletter', 'daily');
    expect(await page.inputValue('#schedule-tz')).toBe('America/New_York');
    await page.fill('#schedule-cron', '0 6 * * *');
    await page.check('#set-schedule input[name=lists][value=daily]');
    await Promise.all([page.waitForSelector('.flash-ok'), page.click('button:has-text("Set schedule")')]);
    expect(await page.textContent('.flash-ok')).toMatch(/^Schedule of daily set\. Next slot: \d{4}-\d{2}-\d{2} 06:00 America\/New_York/);
    expect(await app.scheduleStore.get('daily')).toMatchObject({ pattern: '0 6 * * *', tz: 'America/New_York', lists: ['daily'], updatedBy: 'dashboard:admin' });
    const slots = await page.locator('tr[data-newsletter=daily] .slots time').allTextContents();
    expect(slots.some((s) => s.startsWith(`${DATE} 06:00`)), slots.join(', ')).toBe(true);
    expect((await app.editions.approvedFor('daily', DATE))?.id).toBe(id);

    // A change after approval makes it a draft again, to be approved again.
    await page.goto(`${base}/admin/editions/${id}`);
    expect(await page.textContent('[data-field=state]')).toBe('approved');
    await page.fill('#f-subject', 'Bridges, budgets and a bakery (corrected)');
    await page.waitForFunction(() => document.querySelector('[data-field=state]')?.textContent === 'draft', undefined, { timeout: 20_000 });
    expect(await page.textContent('[data-edition-actions]')).toContain('is a draft again');
    expect(await app.editions.approvedFor('daily', DATE)).toBeNull();

    // Leaving the page before the autosave's pause is over still saves the change.
    await page.fill('#f-preheader', 'Also: the number of the day, and a correction.');
    await Promise.all([page.waitForURL(`${base}/admin/editions`), page.click('nav >> text=Editions')]);
    await expect.poll(async () => parse((await app.editions.get(id))?.source ?? '{}').preheader, { timeout: 20_000 }).toBe('Also: the number of the day, and a correction.');

    expect(pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});

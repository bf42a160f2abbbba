/// <reference lib="dom" />
/**
 * The dashboard end to end in headless Chromium, against the real server, workers, Redis and the
 * dev outbox: sign in, paste the example edition, preview it, schedule it for now, watch the
 * progress bar reach 100 %, open a captured message, follow its unsubscribe link and confirm.
 * Screenshots of the preview at both widths are kept in `test-artifacts/`.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { buildServer } from '../../src/http/server.ts';
import { launchChromium } from '../support/browser.ts';
import { EXAMPLE_EDITION_FILE, repoPath } from '../support/editions.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { freePort } from '../support/redis-server.ts';

const PASSWORD = 'a dashboard password for the browser test';
const ARTIFACTS = repoPath('test-artifacts');
const READERS = 40;

let t: TestRedis;
let app: App;
let server: ReturnType<typeof buildServer>;
let browser: Browser;
let outbox: string;
let base: string;

beforeAll(async () => {
  t = await openTestRedis();
  outbox = await mkdtemp(join(tmpdir(), 'newsdesk-e2e-outbox-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  // No SMTP_URL: dev mode, messages land in the outbox the dashboard shows.
  const config = loadConfig({
    ...t.env,
    PUBLIC_URL: base,
    NEWSDESK_SECRET: 'an-e2e-secret-that-is-long-enough-for-hmac',
    NEWSDESK_ADMIN_PASSWORD: PASSWORD,
    OUTBOX_DIR: outbox,
    SEND_BATCH_SIZE: '10',
    LOG_LEVEL: 'silent',
  });
  app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.stores.lists.create({ id: 'daily', name: 'Newsdesk Daily readers', newsletter: 'daily' });
  const rows = Array.from({ length: READERS }, (_, i) => SubscriberInput.parse({ email: `reader${i + 1}@example.org`, name: `Reader ${i + 1}` }));
  await app.stores.subscribers.joinList('daily', rows, { via: 'import' });
  await app.startWorkers({ concurrency: 2 });
  server = buildServer(app, { logger: false });
  await server.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
  await t?.cleanup();
  if (outbox) await rm(outbox, { recursive: true, force: true });
});

describe('the dashboard in a real browser', () => {
  it('takes an edition from paste to sent, and a reader from the outbox to unsubscribed', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, timezoneId: 'America/New_York' });
    // Nothing leaves the machine: the edition's images (and anything else) off this server are refused.
    await context.route('**/*', (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    // Sign in.
    await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('#secret', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/admin/campaigns`), page.click('button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('Campaigns');

    // Paste the example edition and preview it.
    await page.click('text=New campaign');
    await page.fill('#edition', readFileSync(EXAMPLE_EDITION_FILE, 'utf8'));
    await Promise.all([page.waitForURL(`${base}/admin/campaigns/preview`), page.click('button:has-text("Preview")')]);
    expect(await page.textContent('h1')).toBe('Putin and Trump talk peace terms, and Ukraine waits by the phone');
    expect(await page.textContent('.card')).toContain('Lint: no problems');
    for (const width of [600, 375]) {
      const frame = page.locator(`iframe.w${width}`);
      expect(await frame.getAttribute('sandbox')).not.toContain('allow-scripts');
      const box = await frame.boundingBox();
      expect(Math.round(box?.width ?? 0)).toBe(width + 2); // the frame's 1 px border on each side
      await expect
        .poll(() => page.frameLocator(`iframe.w${width}`).locator('body').textContent(), { timeout: 10_000 })
        .toContain("After a long Putin–Trump call");
      await frame.screenshot({ path: join(ARTIFACTS, `preview-${width}.png`) });
    }
    expect(existsSync(join(ARTIFACTS, 'preview-600.png')) && existsSync(join(ARTIFACTS, 'preview-375.png'))).toBe(true);
    expect(await page.textContent('[data-tz]')).toBe('America/New_York');

    // A send time is read in the editor's time zone and sent with its offset.
    await page.fill('input[name=local]', '2031-02-13T06:00');
    expect(await page.isChecked('input[name=when][value=at]')).toBe(true);
    expect(await page.inputValue('input[name=at]')).toBe('2031-02-13T06:00:00-05:00');
    await page.fill('input[name=local]', '2031-07-01T06:30');
    expect(await page.inputValue('input[name=at]')).toBe('2031-07-01T06:30:00-04:00');

    // Save it as a draft (nothing goes out), then start it from its page and watch it go.
    await page.check('input[name=when][value=draft]');
    expect(await page.inputValue('input[name=at]')).toBe('');
    expect(await page.isChecked('input[name=lists][value=daily]')).toBe(true);
    await Promise.all([page.waitForURL(/\/admin\/campaigns\/daily-2025-02-13-[0-9a-f]{6}$/), page.click('button:has-text("Create campaign")')]);
    const campaignId = new URL(page.url()).pathname.split('/').pop() as string;
    expect((await app.campaigns.get(campaignId)).status).toBe('draft');
    // The example edition is dated 2025-02-13, not today: starting it needs that confirmed.
    await page.check('input[name=confirmDate]');
    await Promise.all([page.waitForURL(`${base}/admin/campaigns/${campaignId}`), page.click('button:has-text("Start sending to daily")')]);
    await page.waitForFunction(() => document.querySelector('[data-field=pct]')?.textContent === '100%', undefined, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-field=status]')?.textContent === 'sent', undefined, { timeout: 30_000 });
    expect(await page.textContent('[data-count=sent]')).toBe(String(READERS));
    expect((await app.campaigns.get(campaignId)).counts).toMatchObject({ sent: READERS, failed: 0, total: READERS });

    // The campaigns page shows it finished too.
    await page.click('nav >> text=Campaigns');
    expect(await page.textContent(`tr[data-campaign="${campaignId}"] [data-field=pct]`)).toBe('100%');

    // Open one captured message and follow its unsubscribe link (it opens in a new tab).
    await page.click('nav >> text=Outbox');
    expect(await page.locator('tbody tr').count()).toBe(READERS);
    await Promise.all([page.waitForURL(/\/admin\/outbox\/.+\.eml$/), page.locator('tbody tr a').first().click()]);
    const [unsubscribePage] = await Promise.all([
      context.waitForEvent('page'),
      page.frameLocator('iframe.message-frame').locator('a', { hasText: 'Unsubscribe' }).click(),
    ]);
    await unsubscribePage.waitForLoadState();
    expect(new URL(unsubscribePage.url()).pathname).toMatch(/^\/u\//);
    expect(await unsubscribePage.textContent('h1')).toBe('Unsubscribe from Newsdesk Daily?');
    await Promise.all([unsubscribePage.waitForLoadState(), unsubscribePage.click('button[value=lists]')]);
    await unsubscribePage.waitForSelector('text=You\'re unsubscribed');
    const said = (await unsubscribePage.textContent('main p')) ?? '';
    const email = /^(\S+@example\.org) will no longer get/.exec(said)?.[1];
    expect(email, said).toBeDefined();

    // The subscriber is off the list: the next campaign would skip them.
    const subscriber = await app.stores.subscribers.findByEmail(email as string);
    expect(await app.stores.lists.isMember('daily', subscriber?.id as number)).toBe(false);
    expect(await app.recipients.check(subscriber?.id as number, ['daily'])).toEqual({ ok: false, reason: 'left-list' });
    expect(await app.stores.lists.countMembers('daily')).toBe(READERS - 1);
    expect(pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});

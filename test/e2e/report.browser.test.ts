/// <reference lib="dom" />
/**
 * The report pages in headless Chromium: a campaign sent through the real pipeline, clicks made
 * through the redirect, then the report with its charts (Chart.js served by the app itself), the
 * CSV, the sponsor report and the newsletter's trend. Screenshots go to `test-artifacts/`.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { launchChromium } from '../support/browser.ts';
import { repoPath } from '../support/editions.ts';
import { compiledExampleEdition, type Pipeline, startPipeline } from '../support/pipeline.ts';
import { freePort } from '../support/redis-server.ts';

const PASSWORD = 'a dashboard password for the report test';
const ARTIFACTS = repoPath('test-artifacts');
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';

let p: Pipeline;
let server: ReturnType<typeof buildServer>;
let browser: Browser;
let base: string;
let campaignId: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  p = await startPipeline({ env: { PUBLIC_URL: base, NEWSDESK_ADMIN_PASSWORD: PASSWORD, TRACKING_SCANNER_WINDOW_SECONDS: '0' } });
  await p.addSubscribers('daily', 12);
  const { compiled, newsletter, subject } = await compiledExampleEdition();
  const campaign = await p.app.service.create({ compiled, newsletter: { ...newsletter, tracking: { clicks: 'aggregate', opens: 'on' } }, subject, lists: ['daily'], again: true, confirmDate: true });
  campaignId = campaign.id;
  await p.waitForStatus(campaignId, 'sent');
  server = buildServer(p.app, { logger: false });
  await server.listen({ port, host: '127.0.0.1' });
  // Readers click: the first story most, the sponsor once, and a scanner HEADs everything.
  const html = String((await simpleParser(p.smtp.messages[0]?.raw as Buffer)).html);
  const links = [...new Set([...html.matchAll(/(\/c\/[A-Za-z0-9._-]+)"/g)].map((m) => m[1] as string))];
  for (const [i, link] of links.entries()) {
    for (let n = 0; n < Math.max(1, 6 - i); n++) await server.inject({ url: link, headers: { 'user-agent': BROWSER_UA } });
    await server.inject({ method: 'HEAD', url: link, headers: { 'user-agent': BROWSER_UA } });
  }
  browser = await launchChromium();
  await mkdir(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await p?.close();
});

/** True when the canvas has pixels of the human bars' colour (#c8102e): something was drawn. */
const drewHumanColour = (page: Page, selector: string) =>
  page.$eval(selector, (canvas) => {
    const c = canvas as HTMLCanvasElement;
    const pixels = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] === 0xc8 && pixels[i + 1] === 0x10 && pixels[i + 2] === 0x2e) return true;
    return false;
  });

describe('report pages in a real browser', () => {
  it('draws the report, offers the CSV, prints the sponsor report and charts the trend — all from the app itself', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const outside: string[] = [];
    // Nothing off this server is fetched: the charting library included.
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith(base)) return route.continue();
      outside.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));

    await page.goto(`${base}/admin/login?next=${encodeURIComponent(`/admin/campaigns/${campaignId}/report`)}`);
    await page.fill('#secret', PASSWORD);
    await Promise.all([page.waitForURL(`${base}/admin/campaigns/${campaignId}/report`), page.click('button[type=submit]')]);
    await page.waitForSelector('body[data-charts-drawn="3"]', { timeout: 15_000 });
    expect(await drewHumanColour(page, '#chart-links')).toBe(true);
    expect(await drewHumanColour(page, '#chart-clicks')).toBe(true);
    const stats = await page.textContent('.stats');
    expect(stats).toContain('human clicks');
    expect(await page.locator('table.top-links tbody tr').count()).toBeGreaterThan(5);
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });

    const csv = await page.request.get(`${base}/admin/campaigns/${campaignId}/report.csv`);
    expect(csv.headers()['content-type']).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('section,label,url,human,machine');
    expect(lines.length).toBeGreaterThan(6);

    await page.goto(`${base}/admin/campaigns/${campaignId}/sponsor`);
    expect(await page.textContent('h1')).toBe('Sponsor report');
    expect(await page.textContent('.stats')).toContain('impressions');
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.top').isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, 'sponsor-report.png'), fullPage: true });
    await page.emulateMedia({ media: 'screen' });

    await page.goto(`${base}/admin/newsletters/daily/trend`);
    await page.waitForSelector('body[data-charts-drawn="2"]', { timeout: 15_000 });
    expect(await drewHumanColour(page, '#chart-trend-rates')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'trend.png'), fullPage: true });

    expect(errors).toEqual([]);
    expect(outside.filter((u) => !u.startsWith('https://news.example.com') && !u.includes('images'))).toEqual([]);
    for (const f of ['report.png', 'sponsor-report.png', 'trend.png']) expect(existsSync(join(ARTIFACTS, f))).toBe(true);
    await context.close();
  }, 120_000);
});

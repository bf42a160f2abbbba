/// <reference lib="dom" />
/**
 * The ALTCHA widget in headless Chromium against the real server: a sign-up form with the widget
 * (served by newsdesk, under the page's strict Content-Security-Policy) solves the challenge, the
 * form posts, and the sign-up is taken; the same form without the widget's payload is refused.
 * Nothing is fetched from anywhere but this server.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import pino from 'pino';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { html } from '../../src/http/html.ts';
import { publicPage } from '../../src/http/public-page.ts';
import { buildServer } from '../../src/http/server.ts';
import { ALTCHA_PAGE_CSP, altchaWidget } from '../../src/http/subscriber/altcha-widget.ts';
import { launchChromium } from '../support/browser.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';
import { freePort } from '../support/redis-server.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../support/smtp-server.ts';


let t: TestRedis;
let smtp: TestSmtpServer;
let app: App;
let server: ReturnType<typeof buildServer>;
let browser: Browser;
let base: string;

beforeAll(async () => {
  t = await openTestRedis();
  smtp = await startTestSmtpServer();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...t.env,
    PUBLIC_URL: base,
    SMTP_URL: smtp.url,
    NEWSDESK_SECRET: 'an-e2e-secret-that-is-long-enough-for-hmac',
    // A small challenge: the widget's work is real, just short.
    SUBSCRIBE_PROOF_OF_WORK_MAX: '200',
    LOG_LEVEL: 'silent',
  });
  app = await createApp(config, { logger: pino({ level: 'silent' }) });
  await app.stores.lists.create({ id: 'briefing', name: 'The Briefing', newsletter: 'daily', doubleOptIn: true, public: true });
  server = buildServer(app, { logger: false });
  // A sign-up page as a publisher would make one: the form with the widget inside.
  server.get('/test/sign-up', async (_req, reply) =>
    reply
      .header('content-security-policy', ALTCHA_PAGE_CSP)
      .type('text/html; charset=utf-8')
      .send(
        publicPage(
          'Sign up',
          html`<h1>Sign up</h1><form method="post" action="/subscribe">
<input name="email" type="email" required><input type="hidden" name="list" value="briefing">
${altchaWidget()}<button type="submit">Subscribe</button></form>`,
        ),
      ),
  );
  await server.listen({ port, host: '127.0.0.1' });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await app?.close();
  await smtp?.close();
  await t?.cleanup();
});

describe('the sign-up challenge in a real browser', () => {
  it('the widget solves the challenge under a strict CSP and the sign-up is taken', async () => {
    const context = await browser.newContext();
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      if (route.request().url().startsWith(base) || route.request().url().startsWith('blob:')) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    /** CSP refusals and script errors. */
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    page.on('pageerror', (e) => violations.push(e.message));
    await page.goto(`${base}/test/sign-up`);
    // Focusing the form starts the widget (auto="onfocus"); solved, it fills its hidden field.
    await page.fill('input[name=email]', 'browser.reader@example.net');
    await page.waitForFunction(() => ((document.querySelector('input[name=altcha]') as HTMLInputElement | null)?.value ?? '') !== '', null, {
      timeout: 60_000,
    });
    await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
    expect(await page.textContent('h1')).toBe('Thank you');
    expect((await app.stores.subscribers.findByEmail('browser.reader@example.net'))?.status).toBe('unconfirmed');
    expect(elsewhere).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('without the solved challenge the same form is refused', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/test/sign-up`);
    await page.fill('input[name=email]', 'no.script@example.net');
    await Promise.all([page.waitForURL(`${base}/subscribe`), page.click('button[type=submit]')]);
    expect(await page.textContent('body')).toContain('altcha: required: solve the challenge');
    expect(await app.stores.subscribers.findByEmail('no.script@example.net')).toBeNull();
    await context.close();
  });
});

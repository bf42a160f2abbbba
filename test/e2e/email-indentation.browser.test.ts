/**
 * The composer drops the spaces that indent MJML's HTML (src/composer/html-indentation.ts). This
 * checks the claim that readers see no difference: the example edition as MJML wrote it and as
 * it is mailed, rendered by Chromium at a phone's and a desktop's width, in light and dark mode,
 * give the same pixels.
 *
 * Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, renderMjmlStrict } from '../../src/composer/compile.ts';
import { trimIndentation } from '../../src/composer/html-indentation.ts';
import { launchChromium } from '../support/browser.ts';
import { dailyNewsletter, exampleEdition } from '../support/editions.ts';

let browser: Browser;
let asWritten = '';

beforeAll(async () => {
  browser = await launchChromium();
  await compile(exampleEdition(), dailyNewsletter(), {
    renderMjml: async (mjml) => {
      asWritten = await renderMjmlStrict(mjml);
      return asWritten;
    },
  });
});
afterAll(async () => {
  await browser?.close();
});

async function screenshot(html: string, width: number, colorScheme: 'light' | 'dark'): Promise<Buffer> {
  const page = await browser.newPage({ viewport: { width, height: 800 }, colorScheme });
  try {
    // Offline: images fail the same way in both copies instead of racing the network.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return await page.screenshot({ fullPage: true });
  } finally {
    await page.close();
  }
}

describe('the email without its indentation', () => {
  it('is a sixth smaller or more', () => {
    const trimmed = trimIndentation(asWritten);
    expect(asWritten.length).toBeGreaterThan(30_000);
    expect(trimmed.length).toBeLessThan(asWritten.length * (5 / 6));
  });

  for (const [width, scheme] of [
    [375, 'light'],
    [375, 'dark'],
    [800, 'light'],
    [800, 'dark'],
  ] as const) {
    it(`renders the same pixels at ${width} px, ${scheme}`, async () => {
      const before = await screenshot(asWritten, width, scheme);
      const after = await screenshot(trimIndentation(asWritten), width, scheme);
      expect(after.equals(before)).toBe(true);
    });
  }
});

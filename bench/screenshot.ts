/// <reference lib="dom" />
/**
 * Look at an email the way readers will: renders an HTML file in headless Chromium at phone
 * (375 px) and desktop (600 px) widths, in light and dark mode, and saves full-page PNGs.
 *
 *   npx tsx bench/screenshot.ts out/2025-02-13.html [--out out/shots] [--live-images]
 *
 * Needs Debian's chromium (`apt-get install -y chromium`) and the playwright-core dev dependency.
 * The network is blocked; each image is drawn as a grey placeholder showing its alt text (the
 * logo as a wordmark), unless --live-images lets the page fetch the real ones.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

/**
 * Runs in the page: swaps each image for an SVG the size the layout gives it, labelled with its
 * alt text. Kept as source text because tsx's helpers (`__name`) do not exist inside the page.
 */
const DRAW_PLACEHOLDERS = `(() => {
  const esc = (s) => s.replace(/[&<>"]/g, (c) => '&#' + c.charCodeAt(0) + ';');
  for (const img of Array.from(document.images)) {
    const w = Math.round(img.getBoundingClientRect().width || Number(img.getAttribute('width')) || 300);
    const logo = !!img.closest('.nd-logo');
    const h = logo ? Math.round(w / 6) : Math.round((w * 9) / 16);
    const svg = logo
      ? '<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h + '"><text x="0" y="' + h * 0.8 +
        '" font-family="Georgia, serif" font-weight="700" font-size="' + h * 0.8 + '" fill="#16181d">' + esc(img.alt) + '</text></svg>'
      : '<svg xmlns="http://www.w3.org/2000/svg" width="' + w + '" height="' + h + '"><rect width="100%" height="100%" fill="#9aa0a6"/>' +
        '<text x="50%" y="50%" text-anchor="middle" font-family="sans-serif" font-size="14" fill="#ffffff">' + esc(img.alt.slice(0, 70)) + '</text></svg>';
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(svg);
  }
})()`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    'live-images': { type: 'boolean', default: false },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npx tsx bench/screenshot.ts <email.html> [--out <dir>] [--live-images]\n');
  process.exit(2);
}
const html = resolve(file);
const outDir = resolve(values.out ?? dirname(html));
const stem = basename(html, extname(html));
await mkdir(outDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: values.chromium,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const written: string[] = [];
try {
  for (const width of [600, 375]) {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width, height: 800 }, colorScheme: scheme, deviceScaleFactor: 1 });
      if (!values['live-images']) {
        await page.route(/^https?:/, (route) => route.abort());
      }
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      if (!values['live-images']) {
        await page.evaluate(DRAW_PLACEHOLDERS);
        await page.waitForFunction(() => Array.from(document.images).every((img) => img.complete));
      }
      const png = join(outDir, `${stem}-${width}${scheme === 'dark' ? '-dark' : ''}.png`);
      await page.screenshot({ path: png, fullPage: true });
      written.push(png);
      await page.close();
    }
  }
} finally {
  await browser.close();
}
for (const png of written) process.stdout.write(`${png}\n`);
process.stdout.write(`screenshot: ${written.length} images of ${file} in ${outDir}\n`);

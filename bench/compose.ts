/**
 * How much compiling costs once, and how fast personalizing is per recipient (docs/architecture.md,
 * invariant 1). A benchmark, not a test: it prints figures and asserts nothing.
 *
 *   npx tsx bench/compose.ts [--recipients 100000] [--tracking off|aggregate|per-reader] [--json]
 *
 * `--tracking` rewrites the compiled email's links as a campaign with that click-tracking mode
 * does (once); per reader, each copy also signs its reader mark, as the message preparer does.
 *
 * One process, one thread: the figures are for one core. Target: ≥ 100,000 personalized
 * messages per second.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compile } from '../src/composer/compile.ts';
import { parseEditionText } from '../src/composer/edition.loader.ts';
import { loadNewsletter, newsletterDirs } from '../src/composer/newsletter.loader.ts';
import { PACKAGE_DIR } from '../src/package-dir.ts';
import { personalize } from '../src/composer/personalize.ts';
import { createTemplateCache } from '../src/composer/templates.ts';
import { trackLinks } from '../src/composer/link-tracking.ts';
import { createClickSigner } from '../src/domain/click-links.ts';
import type { Recipient } from '../src/domain/compiled-email.ts';
import { ClickTracking } from '../src/domain/tracking.schema.ts';

const { values } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    edition: { type: 'string', default: join(PACKAGE_DIR, 'examples/editions/2025-02-13.yaml') },
    json: { type: 'boolean', default: false },
    tracking: { type: 'string', default: 'off' },
  },
});
const tracking = ClickTracking.parse(values.tracking);
const n = Number(values.recipients);
if (!Number.isInteger(n) || n < 1) throw new Error('--recipients must be a positive integer');
const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

const edition = parseEditionText(await readFile(values.edition, 'utf8'), values.edition);
const newsletter = await loadNewsletter(edition.newsletter, { dirs: newsletterDirs('newsletters', PACKAGE_DIR) });
const templates = createTemplateCache();

// The first compile pays for reading the templates and warming MJML; a campaign pays it once.
let t = performance.now();
const untracked = await compile(edition, newsletter, { templates });
const firstCompileMs = performance.now() - t;
const CAMPAIGN = 'daily-2025-02-13-bench0';
const clicks = createClickSigner({ publicUrl: 'https://news.example.com', secrets: ['bench-secret-'.repeat(4)] });
t = performance.now();
const { compiled } = trackLinks(untracked, { campaignId: CAMPAIGN, tracking: { clicks: tracking, opens: 'off' }, signer: clicks });
const trackMs = performance.now() - t;
const perReader = tracking === 'per-reader';
t = performance.now();
await compile(edition, newsletter, { templates });
const warmCompileMs = performance.now() - t;

// Recipients are made up front so the timing is personalize alone; names vary, some are missing.
const recipients: Recipient[] = Array.from({ length: n }, (_, i) => ({
  email: `reader${i}@example.com`,
  name: i % 5 === 0 ? undefined : `Reader${i} Surname`,
  unsubscribeUrl: `https://news.example.com/u/${i.toString(36).padStart(40, 'x')}`,
  viewUrl: `https://news.example.com/v/${i.toString(36).padStart(40, 'y')}`,
}));

/** Runs personalize over every recipient; `encode` also turns each HTML copy into UTF-8 bytes. */
function pass(encode: boolean): { ms: number; bytes: number } {
  let bytes = 0;
  const start = performance.now();
  for (let i = 0; i < recipients.length; i++) {
    const r = recipients[i] as Recipient;
    const copy = personalize(compiled, perReader ? { ...r, readerMark: clicks.readerMark(CAMPAIGN, i + 1) } : r);
    // Summing lengths keeps the work observable so it cannot be optimized away.
    bytes += encode ? Buffer.byteLength(copy.html) : copy.html.length + copy.text.length + copy.subject.length;
  }
  return { ms: performance.now() - start, bytes };
}

pass(false); // warm-up: let the JIT settle before measuring
const plain = pass(false);
const encoded = pass(true);
const perSecond = (ms: number) => Math.round(n / (ms / 1000));

const result = {
  recipients: n,
  htmlBytes: compiled.html.parts.reduce((sum, p) => sum + Buffer.byteLength(p), 0),
  slots: { subject: compiled.subject.slots.length, html: compiled.html.slots.length, text: compiled.text.slots.length },
  tracking,
  trackLinksMs: Number(trackMs.toFixed(2)),
  firstCompileMs: Math.round(firstCompileMs),
  warmCompileMs: Math.round(warmCompileMs),
  personalizePerSecond: perSecond(plain.ms),
  personalizeMicroseconds: Number(((plain.ms * 1000) / n).toFixed(2)),
  personalizeAndEncodePerSecond: perSecond(encoded.ms),
  node: process.version,
};

if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
say(`compile (first, with template load): ${result.firstCompileMs} ms; warm: ${result.warmCompileMs} ms`);
say(`tracking ${tracking}: links rewritten once in ${result.trackLinksMs} ms`);
say(`compiled HTML: ${(result.htmlBytes / 1024).toFixed(1)} KB in ${compiled.html.parts.length} parts, ${result.slots.html} slots`);
say(`personalize: ${result.personalizePerSecond.toLocaleString('en-US')} messages/s (${result.personalizeMicroseconds} µs each)`);
say(`personalize + UTF-8 encode of the HTML: ${result.personalizeAndEncodePerSecond.toLocaleString('en-US')} messages/s`);
say(
  `bench compose: ${n.toLocaleString('en-US')} recipients on one core, ${result.personalizePerSecond.toLocaleString('en-US')}/s ` +
    `(target 100,000/s: ${result.personalizePerSecond >= 100_000 ? 'met' : 'NOT met'})`,
);

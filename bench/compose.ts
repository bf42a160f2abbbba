/**
 * How much compiling costs once, and how fast personalizing is per recipient (docs/architecture.md,
 * invariant 1). A benchmark, not a test: it prints figures and asserts nothing.
 *
 *   npx tsx bench/compose.ts [--recipients 100000] [--json]
 *
 * One process, one thread: the figures are for one core. Target: ≥ 100,000 personalized
 * messages per second.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compile } from '../src/composer/compile.ts';
import { parseEditionText } from '../src/composer/edition.loader.ts';
import { loadNewsletter, newsletterDirs } from '../src/composer/newsletter.loader.ts';
import { PACKAGE_DIR } from '../src/composer/package-dir.ts';
import { personalize } from '../src/composer/personalize.ts';
import { createTemplateCache } from '../src/composer/templates.ts';
import type { Recipient } from '../src/domain/compiled-email.ts';

const { values } = parseArgs({
  options: {
    recipients: { type: 'string', default: '100000' },
    edition: { type: 'string', default: `${PACKAGE_DIR}examples/editions/2025-02-13.yaml` },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(values.recipients);
if (!Number.isInteger(n) || n < 1) throw new Error('--recipients must be a positive integer');
const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

const edition = parseEditionText(await readFile(values.edition, 'utf8'), values.edition);
const newsletter = await loadNewsletter(edition.newsletter, { dirs: newsletterDirs('newsletters', PACKAGE_DIR) });
const templates = createTemplateCache();

// The first compile pays for reading the templates and warming MJML; a campaign pays it once.
let t = performance.now();
const compiled = await compile(edition, newsletter, { templates });
const firstCompileMs = performance.now() - t;
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
  for (const r of recipients) {
    const copy = personalize(compiled, r);
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
  firstCompileMs: Math.round(firstCompileMs),
  warmCompileMs: Math.round(warmCompileMs),
  personalizePerSecond: perSecond(plain.ms),
  personalizeMicroseconds: Number(((plain.ms * 1000) / n).toFixed(2)),
  personalizeAndEncodePerSecond: perSecond(encoded.ms),
  node: process.version,
};

if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
say(`compile (first, with template load): ${result.firstCompileMs} ms; warm: ${result.warmCompileMs} ms`);
say(`compiled HTML: ${(result.htmlBytes / 1024).toFixed(1)} KB in ${compiled.html.parts.length} parts, ${result.slots.html} slots`);
say(`personalize: ${result.personalizePerSecond.toLocaleString('en-US')} messages/s (${result.personalizeMicroseconds} µs each)`);
say(`personalize + UTF-8 encode of the HTML: ${result.personalizeAndEncodePerSecond.toLocaleString('en-US')} messages/s`);
say(
  `bench compose: ${n.toLocaleString('en-US')} recipients on one core, ${result.personalizePerSecond.toLocaleString('en-US')}/s ` +
    `(target 100,000/s: ${result.personalizePerSecond >= 100_000 ? 'met' : 'NOT met'})`,
);

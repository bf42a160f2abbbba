import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../../src/composer/compile.ts';
import { parseEdition } from '../../../src/composer/edition.loader.ts';
import { trackLinks } from '../../../src/composer/link-tracking.ts';
import { personalize } from '../../../src/composer/personalize.ts';
import { createTemplateCache } from '../../../src/composer/templates.ts';
import { createClickSigner } from '../../../src/domain/click-links.ts';
import type { CompiledEmail, Recipient } from '../../../src/domain/compiled-email.ts';
import type { TrackingSettings } from '../../../src/domain/tracking.schema.ts';
import { dailyNewsletter, exampleEdition, validEditionInput } from '../../support/editions.ts';
import { hrefsOf } from '../../support/html.ts';

const templates = createTemplateCache();
const newsletter = dailyNewsletter();
const PUBLIC = 'https://news.example.com';
const signer = createClickSigner({ publicUrl: PUBLIC, secrets: ['k'.repeat(40)] });
const CAMPAIGN = 'daily-2025-02-13-abc123';

const reader = (id: number): Recipient => ({
  email: `r${id}@example.org`,
  name: 'Ada Lovelace',
  unsubscribeUrl: `${PUBLIC}/u/unsub-${id}`,
  viewUrl: `${PUBLIC}/v/view-${id}`,
});

const track = (compiled: CompiledEmail, tracking: Partial<TrackingSettings>) =>
  trackLinks(compiled, { campaignId: CAMPAIGN, tracking: { clicks: 'aggregate', opens: 'off', ...tracking }, signer });

/** Every tracked URL in a text, read back through the signer. */
const clickTokens = (s: string) => [...s.matchAll(/https:\/\/news\.example\.com\/c\/([A-Za-z0-9._-]+)/g)].map((m) => m[1] as string);

describe('link tracking: the golden edition', () => {
  let compiled: CompiledEmail;
  beforeAll(async () => {
    compiled = await compile(exampleEdition(), newsletter, { templates });
  });

  it('records every link of the edition in email order with its section and label', () => {
    const table = compiled.links?.table ?? [];
    const edition = exampleEdition();
    expect(table.map((l) => l.section)).toContain('sponsor');
    expect(table.map((l) => l.section)).toContain('number');
    expect(table.find((l) => l.section === 'sponsor')?.label).toBe(edition.sponsor?.label);
    expect(table.find((l) => l.section === 'number')?.label).toBe('10,000');
    for (const story of edition.watching) if (story.link) expect(table).toContainEqual(expect.objectContaining({ url: story.link, section: 'watching', label: story.headline }));
    // The sections come in the order of the email.
    const order = ['watching', 'moreForYou', 'number', 'sponsor'];
    const ranks = table.filter((l) => l.section !== 'footer').map((l) => order.indexOf(l.section));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('aggregate: rewrites every edition link in both parts once, keeps unsubscribe and view, adds no slot', () => {
    const { compiled: tracked, tracking } = track(compiled, {});
    expect(tracked.html.slots).toEqual(compiled.html.slots);
    expect(tracked.text.slots).toEqual(compiled.text.slots);
    const copy = personalize(tracked, reader(7));
    const hrefs = hrefsOf(copy.html);
    for (const href of hrefs) {
      const ok = href.startsWith(`${PUBLIC}/c/`) || href === `${PUBLIC}/u/unsub-7` || href === `${PUBLIC}/v/view-7` || href.startsWith('mailto:');
      expect(ok, href).toBe(true);
    }
    for (const part of [copy.html, copy.text]) {
      const tokens = clickTokens(part);
      expect(tokens.length).toBeGreaterThan(0);
      const links = new Set(tokens.map((t) => signer.readLink(t)?.link));
      // Every link of the table is reachable from each part, and no token names a reader.
      expect([...links].sort()).toEqual(tracking?.links.map((_, i) => i));
      for (const t of tokens) expect(signer.readLink(t)).toEqual({ campaignId: CAMPAIGN, link: expect.any(Number) });
      expect(part).toContain(`${PUBLIC}/u/unsub-7`);
    }
    // The original addresses no longer appear as link targets.
    for (const link of tracking?.links ?? []) expect(hrefs).not.toContain(link.url);
  });

  it('per-reader: one reader-mark slot after each tracked link, each copy naming its reader', () => {
    const { compiled: tracked } = track(compiled, { clicks: 'per-reader' });
    const marks = tracked.html.slots.filter((s) => s === 'readerMark').length;
    expect(marks).toBe(compiled.links?.html.length);
    const copy = personalize(tracked, { ...reader(42), readerMark: createClickSigner({ publicUrl: PUBLIC, secrets: ['k'.repeat(40)] }).readerMark(CAMPAIGN, 42) });
    for (const part of [copy.html, copy.text]) {
      const tokens = clickTokens(part);
      expect(tokens.length).toBeGreaterThan(0);
      for (const t of tokens) expect(signer.readLink(t)).toMatchObject({ campaignId: CAMPAIGN, subscriberId: 42 });
    }
  });

  it('off: the email is stored exactly as compiled', () => {
    const { compiled: same, tracking } = track(compiled, { clicks: 'off' });
    expect(same).toBe(compiled);
    expect(tracking).toBeUndefined();
  });

  it('opens: one 1×1 image before </body>, per reader when clicks are per reader', () => {
    const aggregate = personalize(track(compiled, { opens: 'on' }).compiled, reader(1)).html;
    const images = [...aggregate.matchAll(/<img src="https:\/\/news\.example\.com\/o\/([^"]+)" width="1" height="1"/g)];
    expect(images).toHaveLength(1);
    expect(signer.readOpen(images[0]?.[1] as string)).toEqual({ campaignId: CAMPAIGN });
    expect(aggregate.indexOf('/o/')).toBeLessThan(aggregate.lastIndexOf('</body>'));

    const perReader = personalize(track(compiled, { opens: 'on', clicks: 'per-reader' }).compiled, { ...reader(9), readerMark: signer.readerMark(CAMPAIGN, 9) }).html;
    const token = /\/o\/([^"]+)"/.exec(perReader)?.[1] as string;
    expect(signer.readOpen(token)).toEqual({ campaignId: CAMPAIGN, subscriberId: 9 });
  });
});

describe('link tracking: what is never rewritten', () => {
  it('leaves mailto links and items marked track: false alone', async () => {
    const input = validEditionInput();
    const watching = input.watching as Record<string, unknown>[];
    (watching[0] as Record<string, unknown>).body = 'Write to [the desk](mailto:desk@example.com) or read [this](https://example.com/body).';
    input.sponsor = { label: 'Presented by Acme', body: 'Acme [makes](https://acme.example.com/made) things.', link: 'https://acme.example.com', track: false };
    const edition = parseEdition(input, 'test');
    const compiled = await compile(edition, newsletter, { templates });
    const copy = personalize(track(compiled, {}).compiled, reader(3));
    const hrefs = hrefsOf(copy.html);
    expect(hrefs).toContain('mailto:desk@example.com');
    expect(hrefs).toContain('https://acme.example.com');
    expect(hrefs).toContain('https://acme.example.com/made');
    expect(hrefs).not.toContain('https://example.com/body');
    expect(copy.text).toContain('https://acme.example.com');
    expect(copy.text).not.toContain('https://example.com/lead');
    expect(compiled.links?.table.filter((l) => !l.track).map((l) => l.url).sort()).toEqual(['https://acme.example.com', 'https://acme.example.com/made']);
  });

  it('untracked compile output keeps each link where it was', async () => {
    const compiled = await compile(parseEdition(validEditionInput(), 'test'), newsletter, { templates });
    const copy = personalize(compiled, reader(1));
    expect(hrefsOf(copy.html)).toEqual(expect.arrayContaining(['https://example.com/lead', 'https://example.com/a', 'https://acme.example.com']));
    for (const [p, s, e, n] of compiled.links?.text ?? []) expect(compiled.text.parts[p]?.slice(s, e)).toBe(compiled.links?.table[n]?.url);
  });
});

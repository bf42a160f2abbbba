import { beforeAll, describe, expect, it } from 'vitest';
import { compile, type MjmlRenderer, renderMjmlStrict } from '../../src/composer/compile.ts';
import { parseEdition } from '../../src/composer/edition.loader.ts';
import { personalize } from '../../src/composer/personalize.ts';
import { createTemplateCache } from '../../src/composer/templates.ts';
import type { CompiledEmail, PersonalizedEmail, Recipient } from '../../src/domain/compiled-email.ts';
import type { Edition } from '../../src/domain/edition.schema.ts';
import { NewsdeskError } from '../../src/domain/errors.ts';
import { dailyNewsletter, exampleEdition, repoPath, validEditionInput } from '../support/editions.ts';
import { altsOf, hrefsOf, textOf } from '../support/html.ts';

// One cache for the file: templates are read and compiled once, as in a long-running process.
const templates = createTemplateCache();
const newsletter = dailyNewsletter();

const ada: Recipient = {
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  unsubscribeUrl: 'https://news.example.com/u/tok-ada',
  viewUrl: 'https://news.example.com/v/tok-ada',
};

describe('compile: the golden example', () => {
  let edition: Edition;
  let compiled: CompiledEmail;
  let copy: PersonalizedEmail;
  let html: string;
  let hrefs: string[];

  beforeAll(async () => {
    edition = exampleEdition();
    compiled = await compile(edition, newsletter, { templates });
    copy = personalize(compiled, ada);
    html = textOf(copy.html);
    hrefs = hrefsOf(copy.html);
  });

  it('uses every section of the briefing', () => {
    expect(edition.watching.length).toBeGreaterThan(0);
    expect(edition.watching[0]?.image?.caption).toBeTruthy();
    expect(edition.moreForYou.some((m) => m.figure === '10,000')).toBe(true);
    expect(edition.moreForYou.filter((m) => m.image).length).toBeGreaterThanOrEqual(2);
    expect(edition.sponsor?.label).toBeTruthy();
  });

  it('carries the newsletter, the date and the subject', () => {
    expect(compiled.newsletterId).toBe('daily');
    expect(compiled.editionDate).toBe('2025-02-13');
    expect(copy.subject).toBe(edition.subject);
    expect(compiled.preheader).toBe(edition.preheader);
    for (const part of [html, copy.text]) expect(part).toContain('Thursday, February 13, 2025');
  });

  it('contains every headline, caption, credit and the figure in the HTML and the text', () => {
    const texts = [
      ...edition.watching.flatMap((s) => [s.headline, s.image?.caption, s.image?.credit]),
      ...edition.moreForYou.flatMap((m) => [m.headline, m.figure, m.image?.caption, m.image?.credit]),
    ].filter((t): t is string => !!t);
    expect(texts.length).toBeGreaterThanOrEqual(12);
    for (const t of texts) {
      expect(html, t).toContain(t);
      expect(copy.text, t).toContain(t);
    }
  });

  it('contains every link in the HTML (as an href) and the text', () => {
    const links = [
      ...edition.watching.map((s) => s.link),
      ...edition.moreForYou.map((m) => m.link),
      edition.sponsor?.link,
      'https://www.nato.int/', // inside the lead story's Markdown
    ].filter((l): l is string => !!l);
    expect(links.length).toBeGreaterThanOrEqual(6);
    for (const l of links) {
      expect(hrefs, l).toContain(l);
      expect(copy.text, l).toContain(l);
    }
  });

  it('gives every photo its alt text', () => {
    const alts = altsOf(copy.html);
    for (const img of [...edition.watching, ...edition.moreForYou].map((x) => x.image).filter((i) => !!i)) {
      expect(alts).toContain(img?.alt);
    }
  });

  it('shows the sponsor with a visible "Sponsored" label and its own label, in both parts', () => {
    expect(html).toMatch(/\bSponsored\b/);
    expect(copy.text).toMatch(/^SPONSORED$/m);
    expect(html).toContain('Presented by Walmart');
    expect(copy.text).toContain('Presented by Walmart');
  });

  it('renders the Markdown body: emphasis and links in HTML, plain words in text', () => {
    expect(copy.html).toMatch(/<strong>\$48,000<\/strong>/);
    expect(copy.html).toMatch(/<a href="https:\/\/www\.nato\.int\/" target="_blank" rel="noopener noreferrer"[^>]*>NATO headquarters<\/a>/);
    expect(copy.text).toContain('NATO headquarters (https://www.nato.int/)');
    expect(copy.text).not.toContain('**');
  });

  it('has the footer: why you get this, a visible unsubscribe link, browser view, postal address', () => {
    expect(html).toContain('ada@example.com is subscribed to Newsdesk Daily');
    expect(copy.html).toMatch(/<a href="https:\/\/news\.example\.com\/u\/tok-ada"[^>]*>Unsubscribe<\/a>/);
    expect(hrefs).toContain('https://news.example.com/v/tok-ada');
    expect(html).toContain(newsletter.postalAddress);
    expect(copy.text).toContain('Unsubscribe: https://news.example.com/u/tok-ada');
    expect(copy.text).toContain(newsletter.postalAddress);
  });

  it('is dark-mode aware and pads the preheader', () => {
    expect(copy.html).toContain('<meta name="color-scheme" content="light dark"');
    expect(copy.html).toContain('<meta name="supported-color-schemes" content="light dark"');
    expect(copy.html).toContain('prefers-color-scheme: dark');
    const preview = /<div class="nd-preheader" style="[^"]*">([\s\S]*?)<\/div>/.exec(copy.html)?.[1] ?? '';
    expect(preview.startsWith("Also today: an EU–India tariff deal")).toBe(true);
    expect(preview.split('&#847;&zwnj;&nbsp;').length - 1).toBeGreaterThanOrEqual(80);
  });

  it('puts the preheader first in the body, hidden the way spam filters accept: no text coloured like its background', () => {
    // The inbox preview is the body's first text: nothing readable may come before the preheader.
    const body = copy.html.slice(copy.html.indexOf('<body'));
    const beforePreheader = body.slice(0, body.indexOf('<div class="nd-preheader"')).replace(/<[^>]*>/g, '').trim();
    expect(beforePreheader).toBe('');
    const style = /<div class="nd-preheader" style="([^"]*)">/.exec(copy.html)?.[1] ?? '';
    const declarations = new Map(style.split(';').filter(Boolean).map((d) => d.split(':').map((x) => x.trim()) as [string, string]));
    expect(declarations.get('display')).toBe('none');
    expect(declarations.get('mso-hide')).toBe('all');
    expect(declarations.get('max-height')).toBe('0');
    expect(declarations.get('overflow')).toBe('hidden');
    expect(declarations.get('opacity')).toBe('0');
    // Hidden text in the background's colour (MJML's mj-preview: color:#ffffff) is what
    // SpamAssassin's HTML_FONT_LOW_CONTRAST scores; no hidden element may carry a colour at all.
    const hiddenStyles = [...copy.html.matchAll(/style="([^"]*display:\s*none[^"]*)"/g)].map((m) => m[1] as string);
    expect(hiddenStyles.length).toBeGreaterThan(0);
    for (const hidden of hiddenStyles) expect(hidden).not.toMatch(/(^|;)\s*color\s*:/);
  });

  it('leaves no Handlebars, no sentinel and no unknown token in any part', () => {
    for (const part of [copy.subject, copy.html, copy.text]) {
      expect(part).not.toContain('{{');
      expect(part).not.toMatch(/ndslot/);
    }
  });
});

describe('compile: escaping (docs/architecture.md, invariant 6)', () => {
  const attack = (field: string) => `<script>pwn-${field}</script>`;
  const fields = [
    'subject',
    'preheader',
    'headline',
    'caption',
    'credit',
    'alt',
    'body',
    'moreHeadline',
    'teaser',
    'figure',
    'sponsorLabel',
    'sponsorBody',
  ] as const;
  let copy: PersonalizedEmail;

  beforeAll(async () => {
    const input = validEditionInput() as any;
    input.subject = attack('subject');
    input.preheader = attack('preheader');
    input.watching[0].headline = attack('headline');
    input.watching[0].image.caption = attack('caption');
    input.watching[0].image.credit = attack('credit');
    input.watching[0].image.alt = `${attack('alt')}" onerror="alert(1)`;
    input.watching[0].body = `${attack('body')}\n\n<img src=x onerror=alert(1)>`;
    input.moreForYou[0].headline = attack('moreHeadline');
    input.moreForYou[0].teaser = attack('teaser');
    input.moreForYou[1].figure = attack('figure');
    input.sponsor.label = attack('sponsorLabel');
    input.sponsor.body = attack('sponsorBody');
    const compiled = await compile(parseEdition(input), newsletter, { templates });
    copy = personalize(compiled, { ...ada, name: '<b>Ada</b>' });
  });

  it('never lets a script tag or an injected attribute through', () => {
    expect(copy.html).not.toMatch(/<script/i);
    expect(copy.html).not.toMatch(/<img src=x/i);
    expect(copy.html).not.toMatch(/"\s*onerror="/i);
    expect(copy.html).not.toContain('<b>Ada</b>');
  });

  it.each(fields)('shows %s as text in the HTML and verbatim in the text part', (field) => {
    if (field === 'subject') {
      expect(copy.html).toContain('<title>&lt;script&gt;pwn-subject&lt;/script&gt;</title>');
      expect(copy.subject).toBe(attack('subject'));
    } else if (field === 'alt') {
      // Escaped inside its attribute, so the quote cannot end it early.
      expect(altsOf(copy.html)).toContain(`${attack('alt')}" onerror="alert(1)`);
      expect(copy.text).toContain(`[Photo: ${attack('alt')}" onerror="alert(1)]`);
    } else {
      expect(textOf(copy.html)).toContain(attack(field));
      // The preview line lives only in the HTML; everything else is in the text part verbatim.
      if (field !== 'preheader') expect(copy.text).toContain(attack(field));
    }
  });
});

describe('compile: links that slip past validation still never render', () => {
  it('keeps a javascript: link in Markdown as text, not as a link', async () => {
    const edition = parseEdition(validEditionInput());
    // Bypass validation on purpose: the renderer is the second line of defence.
    const story = edition.watching[0] as Edition['watching'][number];
    story.body = 'Click [me](javascript:alert(1)) or [this](data:text/html,x) or [that](/rel).';
    const copy = personalize(await compile(edition, newsletter, { templates }), ada);
    expect(hrefsOf(copy.html).filter((h) => !/^(https?|mailto):/.test(h))).toEqual([]);
    expect(textOf(copy.html)).toContain('[me](javascript:alert(1))');
  });
});

describe('compile once, personalize many (docs/architecture.md, invariant 1)', () => {
  it('runs MJML once for a campaign of a thousand readers', async () => {
    let mjmlRuns = 0;
    const counting: MjmlRenderer = async (mjml) => {
      mjmlRuns++;
      return renderMjmlStrict(mjml);
    };
    const compiled = await compile(exampleEdition(), newsletter, { templates, renderMjml: counting });
    expect(mjmlRuns).toBe(1);
    const copies = Array.from({ length: 1000 }, (_, i) =>
      personalize(compiled, { email: `r${i}@example.com`, name: `Reader${i} Smith`, unsubscribeUrl: `https://x.example/u/${i}`, viewUrl: `https://x.example/v/${i}` }),
    );
    expect(mjmlRuns).toBe(1);
    expect(copies[999]?.html).toContain('Good morning, Reader999.');
    expect(copies[999]?.html).toContain('href="https://x.example/u/999"');
    expect(new Set(copies.map((c) => c.html)).size).toBe(1000);
  });

  it('gives each compile its own sentinels and stays correct when called repeatedly with one cache', async () => {
    const a = await compile(exampleEdition(), newsletter, { templates });
    const other = parseEdition({ ...validEditionInput(), subject: 'Another day' });
    const b = await compile(other, newsletter, { templates });
    const c = await compile(exampleEdition(), newsletter, { templates });
    expect(personalize(b, ada).subject).toBe('Another day');
    expect(personalize(a, ada).html).toBe(personalize(c, ada).html);
    expect(a.html.slots).toEqual(c.html.slots);
    expect(a.html.slots).toEqual(expect.arrayContaining(['firstName', 'email', 'unsubscribeUrl', 'viewUrl']));
  });

  it('stamps compiledAt from the clock it is given', async () => {
    const compiled = await compile(exampleEdition(), newsletter, { templates, now: () => new Date('2025-02-13T05:00:00Z') });
    expect(compiled.compiledAt).toBe('2025-02-13T05:00:00.000Z');
  });
});

describe('compile: template faults fail loudly', () => {
  it('rejects invalid MJML from a template with template_invalid', async () => {
    const broken = { ...newsletter, template: 'broken' };
    const err = await compile(exampleEdition(), broken, { templatesDir: repoPath('test/fixtures/templates') }).catch((e) => e);
    expect(err).toBeInstanceOf(NewsdeskError);
    expect(err.code).toBe('template_invalid');
    expect(err.message).toMatch(/mj-text cannot be used inside mj-section/);
  });

  it('names a missing template folder', async () => {
    const missing = { ...newsletter, template: 'no-such-template' };
    const err = await compile(exampleEdition(), missing, { templates }).catch((e) => e);
    expect(err.code).toBe('template_missing');
    expect(err.message).toContain('no-such-template');
  });
});

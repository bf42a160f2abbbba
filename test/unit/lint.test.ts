import { describe, expect, it } from 'vitest';
import { compile } from '../../src/composer/compile.ts';
import { parseEdition } from '../../src/composer/edition.loader.ts';
import { GMAIL_CLIP_BYTES, HTML_WARN_BYTES, LONG_RECIPIENT, lint, type LintReport } from '../../src/composer/lint.ts';
import { createTemplateCache } from '../../src/composer/templates.ts';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import type { Edition } from '../../src/domain/edition.schema.ts';
import { dailyNewsletter, exampleEdition, validEditionInput } from '../support/editions.ts';

const templates = createTemplateCache();
const newsletter = dailyNewsletter();

/** A valid edition with `mutate` applied, compiled for real, then linted. */
async function lintEdition(mutate: (e: any) => void = () => {}): Promise<LintReport> {
  const input = structuredClone(validEditionInput());
  mutate(input);
  const edition = parseEdition(input);
  return lint(await compile(edition, newsletter, { templates }), edition);
}

/** A hand-made compiled email whose HTML is exactly `html` plus the recipient's slots. */
function compiledWithHtml(parts: string[], slots: CompiledEmail['html']['slots'] = []): CompiledEmail {
  return {
    newsletterId: 'daily',
    editionDate: '2025-02-13',
    subject: { parts: ['Subject'], slots: [] },
    preheader: 'Preview',
    html: { parts, slots },
    text: { parts: ['text'], slots: [] },
    greetingFallback: 'there',
    compiledAt: '2025-02-13T00:00:00.000Z',
  };
}

const plainEdition = (): Edition => parseEdition({ ...validEditionInput(), sponsor: undefined });
const codes = (items: { code: string }[]) => items.map((i) => i.code);

describe('lint', () => {
  it('passes the golden example with no errors and no warnings', async () => {
    const edition = exampleEdition();
    const report = lint(await compile(edition, newsletter, { templates }), edition);
    expect(report).toMatchObject({ ok: true, errors: [], warnings: [] });
    expect(report.htmlBytes).toBeGreaterThan(20_000);
    expect(report.htmlBytes).toBeLessThan(HTML_WARN_BYTES);
  });

  describe('HTML size (Gmail clips above 102,400 bytes)', () => {
    const page = (bytes: number) => compiledWithHtml([`<p>${'x'.repeat(bytes - 7)}</p>`]);

    it('is an error one byte over the limit, fine at the limit', () => {
      const over = lint(page(GMAIL_CLIP_BYTES + 1), plainEdition());
      expect(over.ok).toBe(false);
      expect(codes(over.errors)).toEqual(['html_too_large']);
      expect(over.htmlBytes).toBe(GMAIL_CLIP_BYTES + 1);
      const at = lint(page(GMAIL_CLIP_BYTES), plainEdition());
      expect(codes(at.errors)).toEqual([]);
      expect(codes(at.warnings)).toEqual(['html_large']);
    });

    it('warns above 90 KB', () => {
      expect(codes(lint(page(HTML_WARN_BYTES + 1), plainEdition()).warnings)).toEqual(['html_large']);
      expect(codes(lint(page(HTML_WARN_BYTES), plainEdition()).warnings)).toEqual([]);
    });

    it('measures a copy personalized for a long recipient, in UTF-8 bytes', () => {
      const base = 'é'.repeat(1000); // two bytes each
      const r = lint(compiledWithHtml([base, base], ['unsubscribeUrl']), plainEdition());
      expect(r.htmlBytes).toBe(4000 + Buffer.byteLength(LONG_RECIPIENT.unsubscribeUrl));
      expect(LONG_RECIPIENT.unsubscribeUrl.length).toBeGreaterThan(200);
    });

    it('catches a real edition that grew too big', async () => {
      const r = await lintEdition((e) => {
        e.watching = Array.from({ length: 6 }, (_, i) => ({ headline: `Story ${i}`, body: 'Long words here. '.repeat(1100) }));
      });
      expect(codes(r.errors)).toEqual(['html_too_large']);
      expect(r.errors[0]?.message).toMatch(/Gmail clips/);
    });
  });

  describe('images', () => {
    it('reports images without alt text as errors, whatever form the attribute takes', () => {
      const html = [
        '<img src="https://x.example/a.png">',
        '<img src="https://x.example/b.png" alt="">',
        '<img alt src="https://x.example/c.png">',
        '<img src="https://x.example/d.png" alt="   ">',
        '<img src="https://x.example/ok.png" alt="Fine">',
        '<img alt=\'Fine too\' src=\'https://x.example/ok2.png\'>',
      ].join('');
      const r = lint(compiledWithHtml([html]), plainEdition());
      expect(codes(r.errors)).toEqual(['image_alt_missing', 'image_alt_missing', 'image_alt_missing', 'image_alt_missing']);
      expect(r.errors.map((e) => e.message)).toEqual([
        'image has no alt text (https://x.example/a.png)',
        'image has no alt text (https://x.example/b.png)',
        'image has no alt text (https://x.example/c.png)',
        'image has no alt text (https://x.example/d.png)',
      ]);
    });

    it('warns about an image over plain http, naming the edition field', async () => {
      const r = await lintEdition((e) => {
        e.watching[0].image.src = 'http://images.example.com/lead.jpg';
        e.moreForYou[0].image = { src: 'http://images.example.com/second.jpg', alt: 'Second' };
      });
      expect(r.ok).toBe(true);
      expect(r.warnings).toEqual([
        expect.objectContaining({ code: 'image_not_https', path: 'watching[0].image.src' }),
        expect.objectContaining({ code: 'image_not_https', path: 'moreForYou[0].image.src' }),
      ]);
    });
  });

  it('warns when the preheader is missing', async () => {
    const r = await lintEdition((e) => delete e.preheader);
    expect(r.ok).toBe(true);
    expect(r.warnings).toEqual([expect.objectContaining({ code: 'preheader_missing', path: 'preheader' })]);
  });

  it('warns when the subject is over 90 characters, counting characters not bytes', async () => {
    const long = await lintEdition((e) => (e.subject = 'é'.repeat(91)));
    expect(long.warnings).toEqual([expect.objectContaining({ code: 'subject_too_long', path: 'subject' })]);
    const fine = await lintEdition((e) => (e.subject = 'é'.repeat(90)));
    expect(fine.warnings).toEqual([]);
  });

  it('counts a personalized subject at its long-name length', async () => {
    const r = await lintEdition((e) => (e.subject = `{{firstName}}, ${'x'.repeat(70)}`));
    expect(codes(r.warnings)).toEqual(['subject_too_long', 'personalization_fallback']);
  });

  it('is an error when the sponsor has no label', async () => {
    const r = await lintEdition((e) => delete e.sponsor.label);
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'sponsor_label_missing', path: 'sponsor.label' })]);
  });

  it('is an error when a template shows a sponsor without a visible "Sponsored" label', () => {
    const edition = parseEdition(validEditionInput());
    const r = lint(compiledWithHtml(['<div style="display:none">Sponsored</div><p>Acme makes things.</p>']), edition);
    expect(r.errors).toEqual([expect.objectContaining({ code: 'sponsor_label_missing', path: 'sponsor' })]);
    expect(lint(compiledWithHtml(['<span>Sponsored</span><p>Acme makes things.</p>']), edition).ok).toBe(true);
  });
});

describe('lint: personalization readers can see (issue 15, finding 5)', () => {
  it('warns when the subject uses {{firstName}} and shows what a reader without a name sees', async () => {
    const report = await lintEdition((e) => {
      e.subject = '{{firstName}}, the bridge closes tonight';
    });
    expect(report.ok).toBe(true);
    expect(report.warnings).toContainEqual({
      code: 'personalization_fallback',
      path: 'subject',
      message: 'subject uses {{firstName}}, which readers without a name lack; they see "there, the bridge closes tonight"',
    });
  });

  it('warns for the preheader too, and not for fields every reader has', async () => {
    const report = await lintEdition((e) => {
      e.subject = 'Your briefing for {{email}}';
      e.preheader = 'Made for {{ firstName }} this morning';
    });
    expect(report.warnings.filter((w) => w.code === 'personalization_fallback')).toEqual([
      { code: 'personalization_fallback', path: 'preheader', message: 'preheader uses {{firstName}}, which readers without a name lack; they see "Made for there this morning"' },
    ]);
  });
});

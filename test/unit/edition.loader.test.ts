import { describe, expect, it } from 'vitest';
import { parseEditionText } from '../../src/composer/edition.loader.ts';
import { parseNewsletterText } from '../../src/composer/newsletter.loader.ts';
import { MAX_PROBLEMS } from '../../src/composer/yaml-source.ts';
import { type InputProblem, ValidationError } from '../../src/domain/errors.ts';

function problemsOf(parse: () => unknown): InputProblem[] {
  try {
    parse();
  } catch (err) {
    if (err instanceof ValidationError) return err.problems;
    throw err;
  }
  throw new Error('expected a ValidationError');
}

const lines = (ps: InputProblem[]) => ps.map((p) => `${p.line ?? '-'} ${p.path}: ${p.message}`);

const YAML_EDITION = `newsletter: daily
date: 2025-02-13
subject: Hello
watching:
  - headline: First
    image:
      src: https://images.example.com/a.jpg
      caption: no alt here
    body: |
      Fine paragraph.

      A [bad link](javascript:alert(1)) on line 12.
moreForYou:
  - headline: ok
  - headline: ok too
  - headline: bad
    link: "vbscript:msgbox(1)"
sponsor:
  body: Buy.
  colour: red
`;

describe('parseEditionText (YAML)', () => {
  it('gives every problem its line: missing field at its parent, bad value at its key, Markdown link where it is', () => {
    expect(lines(problemsOf(() => parseEditionText(YAML_EDITION, 'e.yaml')))).toEqual([
      '6 watching[0].image.alt: required',
      '12 watching[0].body: link "javascript:alert(1)": only https, http and mailto links are allowed',
      '17 moreForYou[2].link: only https, http and mailto links are allowed',
      '20 sponsor.colour: unknown field',
    ]);
  });

  it('reports a missing top-level field at line 1', () => {
    const ps = problemsOf(() => parseEditionText('newsletter: daily\ndate: 2025-02-13\nwatching:\n  - headline: h\n    body: b\n'));
    expect(lines(ps)).toEqual(['1 subject: required']);
  });

  it('reports YAML syntax errors with their line', () => {
    const ps = problemsOf(() => parseEditionText('newsletter: daily\ndate: 2025-02-13\nwatching: [\n  - a: b: c\n'));
    expect(ps.length).toBeGreaterThan(0);
    expect(ps[0]?.message).toMatch(/^YAML: /);
    expect(ps[0]?.line).toBe(4);
  });

  it('points an unclosed quote at the line where it opens, not where the file ends', () => {
    for (const q of ['"', "'"]) {
      const ps = problemsOf(() => parseEditionText(`newsletter: daily\ndate: 2025-02-13\nsubject: ${q}Markets steady\npreheader: p\nwatching:\n  - headline: h\n    body: b\n`));
      expect(lines(ps)).toEqual([`3 : YAML: Missing closing ${q}quote: the quoted text that starts here runs to the end of the file`]);
    }
  });

  it('reports duplicate keys (the second would silently win)', () => {
    const ps = problemsOf(() => parseEditionText('newsletter: daily\nsubject: a\nsubject: b\n'));
    expect(lines(ps)).toEqual(['3 : YAML: Map keys must be unique']);
  });

  it('says so when the file is empty', () => {
    expect(lines(problemsOf(() => parseEditionText('', 'e.yaml')))).toEqual(['- : the edition is empty']);
  });

  it('caps the list of problems for hopeless input', () => {
    const junk = Array.from({ length: 200 }, (_, i) => `field${i}: x`).join('\n');
    const ps = problemsOf(() => parseEditionText(junk));
    expect(ps).toHaveLength(MAX_PROBLEMS + 1);
    expect(ps[MAX_PROBLEMS]?.message).toMatch(/more problems$/);
  });

  it('refuses files over 1 MB before parsing', () => {
    const ps = problemsOf(() => parseEditionText(`subject: "${'x'.repeat(1024 * 1024)}"\n`));
    expect(ps[0]?.message).toBe('file is larger than 1024 KB');
  });

  it('survives deeply nested junk with a clear error', () => {
    const ps = problemsOf(() => parseEditionText('['.repeat(100_000)));
    expect(ps[0]?.message).toMatch(/^YAML: /);
  });
});

describe('parseEditionText (JSON)', () => {
  const JSON_EDITION = `{
  "newsletter": "daily",
  "date": "2025-02-13",
  "subject": "Hello",
  "watching": [
    {
      "headline": "First",
      "image": { "src": "https://images.example.com/a.jpg" },
      "body": "Fine."
    }
  ],
  "moreForYou": [
    { "headline": "Relative", "link": "/relative/path" }
  ],
  "extra": true
}`;

  it('gives JSON problems their lines too', () => {
    expect(lines(problemsOf(() => parseEditionText(JSON_EDITION, 'e.json')))).toEqual([
      '8 watching[0].image.alt: required',
      '13 moreForYou[0].link: only https, http and mailto links are allowed',
      '15 extra: unknown field',
    ]);
  });

  it('reports a JSON syntax error with its line', () => {
    const ps = problemsOf(() => parseEditionText('{\n  "newsletter": "daily",\n  "date": 2025-02-13,,\n}'));
    expect(ps[0]?.line).toBe(3);
  });

  it('parses a valid JSON edition', () => {
    const ok = JSON_EDITION.replace('"src": "https://images.example.com/a.jpg"', '"src": "https://images.example.com/a.jpg", "alt": "A"')
      .replace('/relative/path', 'https://example.com/r')
      .replace(',\n  "extra": true', '');
    expect(parseEditionText(ok).watching[0]?.image?.alt).toBe('A');
  });
});

describe('parseNewsletterText', () => {
  const NEWSLETTER = `id: daily
name: Daily
from: { name: Daily, address: daily@example.com }
postalAddress: 1 Main St
website: https://example.com
`;

  it('parses a newsletter and fills defaults', () => {
    const n = parseNewsletterText(NEWSLETTER, 'daily.yaml', 'daily');
    expect(n.template).toBe('briefing');
    expect(n.greetingFallback).toBe('there');
    expect(n.brand.accent).toBe('#c8102e');
  });

  it('requires the id to match the file name', () => {
    expect(lines(problemsOf(() => parseNewsletterText(NEWSLETTER, 'weekly.yaml', 'weekly')))).toEqual([
      '1 id: must match the file name (weekly)',
    ]);
  });

  it('names bad fields with their lines', () => {
    const bad = NEWSLETTER.replace('daily@example.com', 'not-an-address').replace('https://example.com', 'javascript:x');
    expect(lines(problemsOf(() => parseNewsletterText(bad, 'daily.yaml', 'daily')))).toEqual([
      '3 from.address: must be an email address',
      '5 website: only https, http and mailto links are allowed',
    ]);
  });
});

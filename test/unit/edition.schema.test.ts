import { describe, expect, it } from 'vitest';
import { parseEdition } from '../../src/composer/edition.loader.ts';
import { Edition } from '../../src/domain/edition.schema.ts';
import { ValidationError } from '../../src/domain/errors.ts';
import { validEditionInput } from '../support/editions.ts';

/** The problems parseEdition reports for `input`, as `path: message` lines. */
function problems(input: unknown): string[] {
  try {
    parseEdition(input, 'test');
  } catch (err) {
    if (err instanceof ValidationError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

/** A valid edition with `mutate` applied to a deep copy. */
function edition(mutate: (e: any) => void): unknown {
  const e = structuredClone(validEditionInput());
  mutate(e);
  return e;
}

const SCHEME = 'only https, http and mailto links are allowed';

describe('Edition schema', () => {
  it('accepts the valid base edition and defaults moreForYou to an empty list', () => {
    expect(problems(validEditionInput())).toEqual([]);
    const parsed = Edition.parse(edition((e) => delete e.moreForYou));
    expect(parsed.moreForYou).toEqual([]);
  });

  it.each([
    ['newsletter', 'newsletter: required'],
    ['date', 'date: required'],
    ['subject', 'subject: required'],
    ['watching', 'watching: required'],
  ])('requires %s', (field, expected) => {
    expect(problems(edition((e) => delete e[field]))).toContain(expected);
  });

  it('rejects unknown fields at every level (typos must not vanish)', () => {
    const found = problems(
      edition((e) => {
        e.subjet = 'typo';
        e.watching[0].hedline = 'typo';
        e.watching[0].image.captoin = 'typo';
        e.moreForYou[0].teasr = 'typo';
        e.sponsor.lable = 'typo';
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'subjet: unknown field: did you mean subject?',
        'watching[0].hedline: unknown field: did you mean headline?',
        'watching[0].image.captoin: unknown field: did you mean caption?',
        'moreForYou[0].teasr: unknown field: did you mean teaser?',
        'sponsor.lable: unknown field: did you mean label?',
      ]),
    );
  });

  it('needs at least one watching story', () => {
    expect(problems(edition((e) => (e.watching = [])))).toEqual(['watching: needs at least one story']);
  });

  it('requires a headline and a body for each watching story', () => {
    expect(problems(edition((e) => (e.watching[0] = { image: e.watching[0].image })))).toEqual([
      'watching[0].headline: required',
      'watching[0].body: required',
    ]);
  });

  it('requires alt text when an image is present, and a src', () => {
    expect(problems(edition((e) => delete e.watching[0].image.alt))).toEqual(['watching[0].image.alt: required']);
    expect(problems(edition((e) => (e.watching[0].image.alt = '   ')))).toEqual(['watching[0].image.alt: required']);
    expect(problems(edition((e) => (e.moreForYou[0].image = { src: 'https://x.example/a.jpg' })))).toEqual([
      'moreForYou[0].image.alt: required',
    ]);
    expect(problems(edition((e) => (e.sponsor.image = { alt: 'Logo' })))).toEqual(['sponsor.image.src: required']);
  });

  it('accepts an image without caption or credit', () => {
    expect(problems(edition((e) => (e.watching[0].image = { src: 'https://x.example/a.jpg', alt: 'A' })))).toEqual([]);
  });

  it('rejects an image address that is not absolute http(s)', () => {
    expect(problems(edition((e) => (e.watching[0].image.src = 'images/lead.jpg')))).toEqual([
      'watching[0].image.src: must be an absolute https (or http) address',
    ]);
    expect(problems(edition((e) => (e.watching[0].image.src = 'data:image/png;base64,AAAA')))).toHaveLength(1);
  });

  it('needs a headline or a figure on each moreForYou item', () => {
    expect(problems(edition((e) => (e.moreForYou[0] = { teaser: 'Alone' })))).toEqual([
      'moreForYou[0].headline: required (or give a figure)',
    ]);
    expect(problems(edition((e) => (e.moreForYou[0] = { figure: '42' })))).toEqual([]);
  });

  it('keeps a figure written as a bare YAML number as text', () => {
    const parsed = Edition.parse(edition((e) => (e.moreForYou[1].figure = 10000)));
    expect(parsed.moreForYou[1]?.figure).toBe('10000');
  });

  it('requires a sponsor body but not a label (the lint reports a missing label)', () => {
    expect(problems(edition((e) => delete e.sponsor.body))).toEqual(['sponsor.body: required']);
    expect(problems(edition((e) => delete e.sponsor.label))).toEqual([]);
  });

  it('rejects dates that are not YYYY-MM-DD calendar days', () => {
    expect(problems(edition((e) => (e.date = '13/02/2025')))).toEqual(['date: must be a date like 2025-02-13']);
    expect(problems(edition((e) => (e.date = '2025-02-30')))).toEqual(['date: is not a calendar date']);
    expect(problems(edition((e) => (e.date = '2025-13-01')))).toEqual(['date: is not a calendar date']);
    expect(problems(edition((e) => (e.date = '2024-02-29')))).toEqual([]);
    expect(problems(edition((e) => (e.date = '../../etc')))).toHaveLength(1);
  });

  it('rejects a newsletter id that is not a slug', () => {
    expect(problems(edition((e) => (e.newsletter = '../secrets')))).toEqual(['newsletter: must be a newsletter id like daily']);
  });

  it('keeps the subject on one line (it becomes a mail header)', () => {
    expect(problems(edition((e) => (e.subject = 'Hello\r\nBcc: victim@example.com')))).toEqual(['subject: must be one line']);
  });

  it('bounds text lengths so a runaway paste is an error', () => {
    expect(problems(edition((e) => (e.watching[0].body = 'x'.repeat(20_001))))).toEqual([
      'watching[0].body: at most 20000 characters',
    ]);
    expect(problems(edition((e) => (e.subject = 's'.repeat(301))))).toEqual(['subject: at most 300 characters']);
  });

  it('rejects wrong types with the field named', () => {
    expect(problems(edition((e) => (e.watching = { headline: 'not a list' })))).toEqual([
      'watching: must be a list: start each item with "- " on its own line',
    ]);
    expect(problems(edition((e) => (e.watching[0].headline = 42)))).toEqual(['watching[0].headline: expected string, received number']);
  });

  describe('personalization tokens in editor text', () => {
    it('accepts the four known tokens, with or without spaces', () => {
      expect(problems(edition((e) => (e.subject = '{{firstName}}, your briefing ({{ email }})')))).toEqual([]);
    });

    it('rejects unknown tokens and stray braces', () => {
      expect(problems(edition((e) => (e.watching[0].headline = 'Hi {{name}}')))).toEqual([
        'watching[0].headline: unknown personalization token {{name}}: use one of {{firstName}}, {{email}}, {{unsubscribeUrl}}, {{viewUrl}}',
      ]);
      expect(problems(edition((e) => (e.preheader = 'Open {{ this')))).toEqual([
        'preheader: "{{" and "}}" are reserved for personalization tokens ({{firstName}}, {{email}}, {{unsubscribeUrl}}, {{viewUrl}})',
      ]);
    });

    it('rejects tokens inside links and image addresses', () => {
      expect(problems(edition((e) => (e.watching[0].link = 'https://example.com/?e={{email}}')))).toEqual([
        'watching[0].link: personalization tokens are not allowed in links or image addresses',
      ]);
      expect(problems(edition((e) => (e.watching[0].image.src = 'https://img.example.com/{{email}}.png')))).toEqual([
        'watching[0].image.src: personalization tokens are not allowed in links or image addresses',
      ]);
      expect(problems(edition((e) => (e.watching[0].body = '[Leave]({{unsubscribeUrl}})')))).toEqual([
        `watching[0].body: link "{{unsubscribeUrl}}": ${SCHEME}`,
      ]);
    });
  });

  describe('link schemes (docs/architecture.md, invariant 6)', () => {
    const bad = [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      ' javascript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
      'vbscript:msgbox(1)',
      'file:///etc/passwd',
      '/relative/path',
      'relative/path',
      '//evil.example.com/x',
    ];

    it.each(bad)('rejects %j in every link field', (href) => {
      const found = problems(
        edition((e) => {
          e.watching[0].link = href;
          e.moreForYou[0].link = href;
          e.sponsor.link = href;
        }),
      );
      // A protocol-relative address is refused with the fix: the scheme it lacks.
      const message = href.startsWith('//') ? `no scheme: add https:// (https:${href})` : SCHEME;
      expect(found).toEqual([`watching[0].link: ${message}`, `moreForYou[0].link: ${message}`, `sponsor.link: ${message}`]);
    });

    it.each(['javascript:alert(1)', 'data:text/html,x', 'vbscript:msgbox(1)', '/relative/path'])(
      'rejects %j inside every Markdown field',
      (href) => {
        const found = problems(
          edition((e) => {
            e.watching[0].body = `Read [this](${href}).`;
            e.moreForYou[0].teaser = `Or [that](${href}) maybe`;
            e.sponsor.body = `Click [here][ref].\n\n[ref]: ${href}`;
          }),
        );
        expect(found).toHaveLength(3);
        expect(found[0]).toMatch(new RegExp(`^watching\\[0\\]\\.body: link ".*": ${SCHEME}$`));
        expect(found[1]).toMatch(new RegExp(`^moreForYou\\[0\\]\\.teaser: link ".*": ${SCHEME}$`));
        expect(found[2]).toMatch(new RegExp(`^sponsor\\.body: link ".*": ${SCHEME}$`));
      },
    );

    it('accepts https, http and mailto links', () => {
      const found = problems(
        edition((e) => {
          e.watching[0].link = 'http://example.com/plain';
          e.moreForYou[0].link = 'mailto:editors@example.com';
          e.watching[0].body = 'Write [to us](mailto:editors@example.com) or see <https://example.com>.';
        }),
      );
      expect(found).toEqual([]);
    });

    it('lists schema and Markdown problems together', () => {
      const found = problems(
        edition((e) => {
          delete e.watching[0].image.alt;
          e.watching[0].body = '[x](javascript:alert(1))';
        }),
      );
      expect(found).toEqual(['watching[0].image.alt: required', `watching[0].body: link "javascript:alert(1)": ${SCHEME}`]);
    });
  });
});

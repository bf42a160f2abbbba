/**
 * Errors that say how to fix it (issue 15): each common first mistake in an edition gets the fix
 * in its message, at its line.
 */
import { describe, expect, it } from 'vitest';
import { parseEditionText } from '../../src/composer/edition.loader.ts';
import { closestName, editDistance } from '../../src/domain/did-you-mean.ts';
import { type InputProblem, ValidationError } from '../../src/domain/errors.ts';

function problemsOf(text: string): string[] {
  try {
    parseEditionText(text, 'e.yaml');
  } catch (err) {
    if (err instanceof ValidationError) return err.problems.map((p: InputProblem) => `${p.line ?? '-'} ${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ValidationError');
}

const edition = (lines: string[]) =>
  [
    'newsletter: daily',
    'date: 2025-02-13',
    'subject: "The bridge closes tonight"',
    'watching:',
    '  - headline: Bridge',
    '    body: It closes.',
    ...lines,
  ].join('\n');

describe('error hints in editions', () => {
  it('an unquoted colon in a value: put the text in quotes, with the line as it should be', () => {
    const text = edition([]).replace('subject: "The bridge closes tonight"', 'subject: Breaking: the bridge closes tonight');
    expect(problemsOf(text)).toEqual([
      '3 : YAML: a colon followed by a space inside a value starts a new field: put the text in quotes, e.g. subject: "Breaking: the bridge closes tonight"',
    ]);
    const inList = edition([]).replace('  - headline: Bridge', '  - headline: Bridge: closed');
    expect(problemsOf(inList)).toEqual([
      '5 : YAML: a colon followed by a space inside a value starts a new field: put the text in quotes, e.g. headline: "Bridge: closed"',
    ]);
  });

  it('an unknown field names the closest known one', () => {
    expect(problemsOf(edition(['moreforyou:', '  - headline: Two']))).toEqual(['7 moreforyou: unknown field: did you mean moreForYou?']);
    expect(problemsOf(edition(['    imgae: { src: "https://x.example/a.jpg", alt: A }']))).toEqual(['7 watching[0].imgae: unknown field: did you mean image?']);
    expect(problemsOf(edition(['weather: sunny']))).toEqual(['7 weather: unknown field']);
  });

  it('image given as an address: image needs src and alt', () => {
    expect(problemsOf(edition(['    image: https://images.example.com/bridge.jpg']))).toEqual([
      '7 watching[0].image: image needs src and alt: image: { src: https://…, alt: "what the photo shows" }',
    ]);
  });

  it('a link without a scheme: add https://', () => {
    expect(problemsOf(edition(['    link: www.example.com/bridge']))).toEqual(['7 watching[0].link: no scheme: add https:// (https://www.example.com/bridge)']);
    const inBody = edition([]).replace('body: It closes.', 'body: It [closes](example.com/bridge).');
    expect(problemsOf(inBody)).toEqual(['6 watching[0].body: link "example.com/bridge": no scheme: add https:// (https://example.com/bridge)']);
    expect(problemsOf(edition(['    image: { src: images.example.com/a.jpg, alt: A }']))).toEqual([
      '7 watching[0].image.src: must be an absolute https (or http) address: add https:// (https://images.example.com/a.jpg)',
    ]);
    // Not a missing scheme: the old message stands.
    expect(problemsOf(edition(['    link: "javascript:alert(1)"']))).toEqual(['7 watching[0].link: only https, http and mailto links are allowed']);
  });

  it('watching given an object: a list, start each item with "- "', () => {
    const text = ['newsletter: daily', 'date: 2025-02-13', 'subject: Hi', 'watching:', '  headline: Bridge', '  body: It closes.'].join('\n');
    expect(problemsOf(text)).toEqual(['4 watching: must be a list: start each item with "- " on its own line']);
  });
});

describe('closestName', () => {
  it('suggests only a likely typo', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closestName('moreforyou', ['watching', 'moreForYou', 'sponsor'])).toBe('moreForYou');
    expect(closestName('NEWSDESK_SECERT', ['NEWSDESK_SECRET', 'NEWSDESK_PREFIX'])).toBe('NEWSDESK_SECRET');
    expect(closestName('weather', ['watching', 'sponsor'])).toBeUndefined();
    expect(closestName('ab', ['xy'])).toBeUndefined();
  });
});

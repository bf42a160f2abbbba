/** The dashboard's edition form: fields ↔ edition ↔ YAML, and where messages go. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Edition } from '../../../src/domain/edition.schema.ts';
import {
  EDITION_FORM_SCHEMA,
  editionFromFields,
  editionYaml,
  fieldsFromEdition,
  formCannotShow,
  formPaths,
  parentPath,
  placeMessages,
} from '../../../src/http/admin/edition-form.ts';
import { EXAMPLE_EDITION_FILE } from '../../support/editions.ts';

const example = parse(readFileSync(EXAMPLE_EDITION_FILE, 'utf8')) as Record<string, unknown>;

describe('the form is the schema', () => {
  it('has every top-level field of the edition schema, in its order', () => {
    expect(Object.keys(EDITION_FORM_SCHEMA.properties ?? {})).toEqual(Object.keys(Edition.shape));
  });
});

describe('form ↔ edition ↔ YAML', () => {
  it('round-trips the example edition: fields → YAML → fields give the same edition', () => {
    expect(formCannotShow(example)).toEqual([]);
    const fields = fieldsFromEdition(example);
    expect(fields['moreForYou[2].figure']).toBe('10,000');
    expect(fields['watching[0].image.credit']).toBe('Sputnik/Gavriil Grigorov/Pool via REUTERS');
    const edition = editionFromFields(fields);
    const again = parse(editionYaml(edition));
    expect(again).toEqual(edition);
    expect(editionFromFields(fieldsFromEdition(again))).toEqual(edition);
    expect(Edition.parse(again)).toEqual(Edition.parse(example));
  });

  it('writes tidy YAML: schema order, Markdown as a | block, no folded lines, plain dates', () => {
    const yaml = editionYaml(editionFromFields(fieldsFromEdition(example)));
    expect(yaml.split('\n').slice(0, 3)).toEqual(['newsletter: daily', 'date: 2025-02-13', `subject: ${example.subject as string}`]);
    expect(yaml).toMatch(/\n {4}body: \|-\n {6}Donald Trump and Vladimir Putin/);
    const keys = [...yaml.matchAll(/^(\w+):/gm)].map((m) => m[1]);
    expect(keys).toEqual(['newsletter', 'date', 'subject', 'preheader', 'watching', 'moreForYou', 'sponsor']);
    expect(yaml).not.toContain('"2025-02-13"');
  });

  it('turns form fields into an edition: CRLF to LF, blanks left out, a blank image dropped, list order kept', () => {
    const value = editionFromFields({
      _csrf: 'x',
      subject: '  Hello  ',
      preheader: '',
      date: '2025-02-13',
      'watching[0].headline': 'One',
      'watching[0].body': 'Line one\r\nLine two\r\n',
      'watching[0].image.src': '',
      'watching[0].image.alt': '',
      'watching[0].track': 'false',
      'moreForYou[1].headline': 'second',
      'moreForYou[0].figure': '42',
      'moreForYou[0].teaser': 'first',
    });
    expect(value).toEqual({
      date: '2025-02-13',
      subject: 'Hello',
      watching: [{ headline: 'One', body: 'Line one\nLine two', track: false }],
      moreForYou: [{ figure: '42', teaser: 'first' }, { headline: 'second' }],
    });
    // Keys come in the schema's order whatever order the form sent them in.
    expect(Object.keys(value)).toEqual(['date', 'subject', 'watching', 'moreForYou']);
  });

  it('keeps a blank list item, so what it lacks is reported at its place; no stories is an empty list', () => {
    expect(editionFromFields({ 'moreForYou[0].headline': '' })).toEqual({ watching: [], moreForYou: [{}] });
  });

  it('says what the form cannot hold, by path, instead of dropping it', () => {
    expect(formCannotShow({ ...example, colour: 'red' })).toEqual([{ path: 'colour', message: expect.stringContaining('is not a field') }]);
    expect(formCannotShow({ watching: [{ headline: 'x', image: 'https://x.example/a.jpg' }] })).toEqual([
      { path: 'watching[0].image', message: expect.stringContaining('set of fields') },
    ]);
    expect(formCannotShow({ moreForYou: { headline: 'x' } })).toEqual([{ path: 'moreForYou', message: expect.stringContaining('must be a list') }]);
    expect(formCannotShow('text')).toHaveLength(1);
    // A date input holds only YYYY-MM-DD; anything else would be emptied by the browser.
    expect(formCannotShow({ ...example, date: '13 Feb 2025' })).toEqual([{ path: 'date', message: expect.stringContaining('2025-02-13') }]);
  });
});

describe('messages beside their fields', () => {
  it('go to their own field, else the nearest enclosing one, else the top', () => {
    const paths = formPaths({ watching: [{}], moreForYou: [{}, {}] });
    expect(paths.has('moreForYou[1].image.alt')).toBe(true);
    expect(paths.has('moreForYou[2]')).toBe(false);
    const placed = placeMessages(
      [
        { path: 'moreForYou[1].image.alt', level: 'error', message: 'a' },
        { path: 'sponsor', level: 'error', message: 'b' },
        { path: 'moreForYou[7].headline', level: 'error', message: 'c' },
        { path: '', level: 'warning', message: 'd' },
      ],
      paths,
    );
    expect([...placed.keys()]).toEqual(['moreForYou[1].image.alt', 'sponsor', 'moreForYou', '']);
  });

  it('walks up a path one step at a time', () => {
    expect(parentPath('watching[0].image.alt')).toBe('watching[0].image');
    expect(parentPath('watching[0]')).toBe('watching');
    expect(parentPath('watching')).toBe('');
  });
});

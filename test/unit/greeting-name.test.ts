import { describe, expect, it } from 'vitest';
import { firstNameOf, greetingNameProblem } from '../../src/domain/greeting-name.ts';

describe('firstNameOf (the greeting name)', () => {
  it('reads "Last, First" with a one-word surname as First (issue 15, finding 5: "Doe,, the bridge…")', () => {
    expect(firstNameOf('Doe, Jane', 'there')).toBe('Jane');
    expect(firstNameOf('  Doe ,  Jane Q. ', 'there')).toBe('Jane');
    expect(firstNameOf('Smith-Jones, Ann', 'there')).toBe('Ann');
  });

  it('keeps the first word when the comma is not "Last, First"', () => {
    expect(firstNameOf('Jane Doe, PhD', 'there')).toBe('Jane');
    expect(firstNameOf('Jane Doe, Marketing', 'there')).toBe('Jane');
    expect(firstNameOf('Doe, Jr.', 'there')).toBe('Doe');
    expect(firstNameOf('Doe, Jane, Mrs', 'there')).toBe('Doe');
  });

  it('drops quotes and punctuation around the word, never inside it', () => {
    expect(firstNameOf('"Jane" Doe', 'there')).toBe('Jane');
    expect(firstNameOf('“Jane”', 'there')).toBe('Jane');
    expect(firstNameOf("O'Brien", 'there')).toBe("O'Brien");
    expect(firstNameOf('Anne-Marie Dupont', 'there')).toBe('Anne-Marie');
    expect(firstNameOf('J. R. Smith', 'there')).toBe('J.');
  });

  it('falls back when there is no usable word', () => {
    for (const name of [undefined, '', '   ', '""', ', ,']) expect(firstNameOf(name, 'there')).toBe('there');
  });
});

describe('greetingNameProblem (the import report)', () => {
  it('names "Last, First", commas and quotes with what the greeting will say', () => {
    expect(greetingNameProblem('Doe, Jane')).toBe('name "Doe, Jane" looks like "Last, First"; the greeting says "Jane"');
    expect(greetingNameProblem('Jane Doe, PhD')).toBe('name "Jane Doe, PhD" has a comma; the greeting says "Jane"');
    expect(greetingNameProblem('"Jane" Doe')).toBe('name "\\"Jane\\" Doe" has quotes; the greeting says "Jane"');
    expect(greetingNameProblem('""')).toMatch(/has quotes; the greeting falls back/);
  });

  it('is quiet for names that read as written', () => {
    for (const name of [undefined, '', 'Jane Doe', "Seán O'Brien", 'Anne-Marie', '李小龍']) expect(greetingNameProblem(name)).toBeUndefined();
  });
});

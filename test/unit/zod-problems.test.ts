import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zodProblems } from '../../src/domain/zod-problems.ts';

describe('zodProblems', () => {
  const Schema = z.strictObject({
    name: z.string().trim().min(1, 'required').max(5, 'at most 5 characters').optional(),
    tags: z.array(z.string().min(2, 'at least 2 characters')),
  });
  const problems = (value: unknown) => {
    const r = Schema.safeParse(value);
    if (r.success) throw new Error('expected a failure');
    return zodProblems(r.error);
  };

  it('says a value has the wrong type once, not also that it fails the checks of the right type', () => {
    // zod 4 runs `min(1)` on the array too, and reports it as a second problem of `name`.
    expect(problems({ name: [], tags: [] })).toEqual([{ path: 'name', message: 'expected string, received array' }]);
  });

  it('keeps every problem of values of the right type, and names missing and unknown fields', () => {
    expect(problems({ name: 'far too long', tags: ['a', 'ok', 'b'], colour: 'red' })).toEqual([
      { path: 'name', message: 'at most 5 characters' },
      { path: 'tags[0]', message: 'at least 2 characters' },
      { path: 'tags[2]', message: 'at least 2 characters' },
      { path: 'colour', message: 'unknown field' },
    ]);
    expect(problems({})).toEqual([{ path: 'tags', message: 'required' }]);
  });
});

import type { z } from 'zod';
import type { InputProblem } from './errors.ts';

/** Renders a zod issue path the way editors read it: `watching[0].image.alt`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** Turns zod issues into {@link InputProblem}s with plain-language messages. */
export function zodProblems(error: z.ZodError): InputProblem[] {
  // A value of the wrong type can still trip later checks (an array is "too short" for a string's
  // min length); only the wrong type is worth saying.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  const issues = error.issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(formatPath(i.path)));
  return issues.flatMap((issue): InputProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((k) => ({ path: formatPath([...issue.path, k]), message: 'unknown field' }));
    }
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    return [{ path: formatPath(issue.path), message: missing ? 'required' : issue.message.replace(/^Invalid input: /, '') }];
  });
}

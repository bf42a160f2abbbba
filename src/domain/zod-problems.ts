import { z } from 'zod';
import { closestName } from './did-you-mean.ts';
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

/** The message for a value that should have been a YAML (or JSON) list. */
export const NOT_A_LIST = 'must be a list: start each item with "- " on its own line';

/**
 * Turns zod issues into {@link InputProblem}s with plain-language messages.
 * @param schema the schema that was parsed; with it, an unknown field names the closest known
 *   one ("unknown field: did you mean moreForYou?").
 */
export function zodProblems(error: z.ZodError, schema?: z.ZodType): InputProblem[] {
  // A value of the wrong type can still trip later checks (an array is "too short" for a string's
  // min length); only the wrong type is worth saying.
  const wrongType = new Set(error.issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  const issues = error.issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(formatPath(i.path)));
  return issues.flatMap((issue): InputProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? objectKeysAt(schema, issue.path) : [];
      return issue.keys.map((k) => {
        const near = closestName(k, known);
        return { path: formatPath([...issue.path, k]), message: near ? `unknown field: did you mean ${near}?` : 'unknown field' };
      });
    }
    const missing = issue.code === 'invalid_type' && /received undefined/.test(issue.message);
    if (!missing && issue.code === 'invalid_type' && issue.expected === 'array') return [{ path: formatPath(issue.path), message: NOT_A_LIST }];
    return [{ path: formatPath(issue.path), message: missing ? 'required' : issue.message.replace(/^Invalid input: /, '') }];
  });
}

/** The field names of the object schema found at `path` inside `schema` (none if it is not one). */
function objectKeysAt(schema: z.ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let node: unknown = schema;
  const unwrap = () => {
    for (let guard = 0; guard < 10; guard++) {
      if (node instanceof z.ZodOptional || node instanceof z.ZodNullable || node instanceof z.ZodDefault) node = node.unwrap();
      else if (node instanceof z.ZodPipe) node = node.in;
      else return;
    }
  };
  unwrap();
  for (const key of path) {
    if (node instanceof z.ZodObject && typeof key === 'string') node = node.shape[key];
    else if (node instanceof z.ZodArray && typeof key === 'number') node = node.element;
    else return [];
    unwrap();
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

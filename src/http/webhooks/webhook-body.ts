/** Reading a webhook's raw body: JSON first, then the provider's schema, each failure a clear 400. */
import type { z } from 'zod';
import { ValidationError } from '../../domain/errors.ts';
import { zodProblems } from '../../domain/zod-problems.ts';

/** The body as JSON; a body that is not JSON is a {@link ValidationError} (400) naming the provider. */
export function jsonBody(body: unknown, what: string): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : '';
  if (!text.trim()) throw new ValidationError('webhook_invalid', what, [{ path: '(body)', message: 'empty; expected a JSON document' }]);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ValidationError('webhook_invalid', what, [{ path: '(body)', message: `not JSON: ${(err as Error).message}` }]);
  }
}

/** `value` parsed by `schema`; otherwise a {@link ValidationError} with every bad field. */
export function parseAs<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = zodProblems(result.error).map((p) => ({ ...p, path: prefix ? (p.path ? `${prefix}.${p.path}` : prefix) : p.path || '(body)' }));
  throw new ValidationError('webhook_invalid', what, problems);
}

/**
 * Request validation with zod: every body, query and params schema of a route is a zod schema,
 * parsed here, and a failure becomes a {@link ValidationError} naming each bad field, the same
 * form the CLI prints (`{ path, message }`).
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../domain/errors.ts';
import { zodProblems } from '../domain/zod-problems.ts';

/**
 * Longest path parameter the router takes (Fastify's default is 100): above the longest genuine
 * token (about 130 characters, with an 81-character campaign id in it) and every id. Longer ones
 * never reach a handler (see `frameworkErrors` in server.ts).
 */
export const MAX_PATH_PARAM_CHARS = 200;

const isZod = (schema: unknown): schema is z.ZodType =>
  typeof schema === 'object' && schema !== null && typeof (schema as { safeParse?: unknown }).safeParse === 'function';

/** Where a request part shows up in problem paths: body fields bare, others prefixed (`query.limit`). */
const PREFIX: Record<string, string> = { body: '', querystring: 'query', params: 'params', headers: 'headers' };

/**
 * Fastify's validator compiler for zod schemas. A non-zod schema is a programming error, caught
 * when the route is registered.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, url, method, httpPart }) => {
  if (!isZod(schema)) throw new Error(`${method} ${url}: ${httpPart ?? 'schema'} must be a zod schema`);
  const prefix = PREFIX[httpPart ?? 'body'] ?? '';
  return (data: unknown) => {
    // A request without a body arrives as undefined; schemas see that as "nothing sent".
    const result = schema.safeParse(data ?? undefined);
    if (result.success) return { value: result.data };
    const problems = zodProblems(result.error, schema).map((p) => ({
      ...p,
      path: prefix ? (p.path ? `${prefix}.${p.path}` : prefix) : p.path || '(body)',
    }));
    return { error: new ValidationError('request_invalid', httpPart ?? 'request', problems) };
  };
};

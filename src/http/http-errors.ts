/**
 * How errors become HTTP answers. Expected failures carry a stable `code` (NewsdeskError); the
 * status follows from it, and the body says what to fix: `{ error, code, problems? }`. Anything
 * else is a bug: logged with its stack, answered with a bare 500.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type InputProblem, NewsdeskError, NotFoundError, ValidationError } from '../domain/errors.ts';

const STATUS_BY_CODE: Record<string, number> = {
  not_found: 404,
  newsletter_not_found: 400,
  list_exists: 409,
  token_exists: 409,
  campaign_state: 409,
  conflict: 409,
  campaign_invalid: 400,
  not_added: 409,
  csv_malformed: 400,
  unsupported_media_type: 415,
  payload_too_large: 413,
  not_an_image: 415,
  media_unavailable: 503,
  rate_limited: 429,
  redis_unavailable: 503,
  smtp_unavailable: 503,
  outbox_unavailable: 503,
  test_send_failed: 502,
  duplicate_send: 409,
  edition_not_today: 409,
  list_in_use: 409,
  edition_state: 409,
  edition_two_person: 409,
  edition_sending: 409,
  edition_in_use: 409,
  edition_deleted: 409,
};

/** Plainer words for the multipart plugin's limits (its own say "reach files limit"). */
const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  FST_FILES_LIMIT: 'the form has more files than this endpoint takes',
  FST_FIELDS_LIMIT: 'the form has more fields than this endpoint takes',
  FST_PARTS_LIMIT: 'the form has more parts than this endpoint takes',
  FST_REQ_FILE_TOO_LARGE: 'a file in the form is larger than this endpoint takes',
};

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: string;
  code: string;
  problems?: InputProblem[];
}

/** Status and body for an error, or undefined when it is not one of ours (a bug: 500). */
export function describeError(err: unknown): { status: number; body: ErrorBody } | undefined {
  if (err instanceof ValidationError) {
    const n = err.problems.length;
    return { status: 400, body: { error: `${n} problem${n === 1 ? '' : 's'} in the ${err.source}`, code: err.code, problems: err.problems } };
  }
  if (err instanceof NotFoundError) return { status: 404, body: { error: err.message, code: err.code } };
  if (err instanceof NewsdeskError) {
    return { status: STATUS_BY_CODE[err.code] ?? 400, body: { error: err.message, code: err.code } };
  }
  // Fastify's own client errors: a malformed JSON body, a body too large, an unsupported type.
  const f = err as Partial<FastifyError>;
  if (typeof f.statusCode === 'number' && f.statusCode >= 400 && f.statusCode < 500) {
    const error = (f.code && CLIENT_ERROR_MESSAGES[f.code]) ?? f.message ?? 'bad request';
    return { status: f.statusCode, body: { error, code: (f.code ?? 'bad_request').toLowerCase() } };
  }
  return undefined;
}

/** The JSON error handler used by the API and the machine-facing endpoints. */
export function jsonErrorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = describeError(err);
  if (known) {
    if (known.status >= 500) req.log.warn({ err }, 'request failed');
    return reply.code(known.status).type('application/json; charset=utf-8').send(known.body);
  }
  req.log.error({ err }, 'unexpected error');
  return reply.code(500).type('application/json; charset=utf-8').send({ error: 'internal error', code: 'internal' });
}

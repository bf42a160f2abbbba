/**
 * Bearer-token authentication for the editors' API and /metrics: `Authorization: Bearer <token>`
 * with a token from `newsdesk tokens create`. No or a bad token is a 401 that says how to get in;
 * a good token whose scope does not cover the request is a 403 naming both (see access.ts).
 */
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { type AccessArea, isReadMethod, scopeAllows } from '../../domain/access.ts';
import type { ApiToken } from '../../domain/api-token.schema.ts';
import type { ApiTokenStore } from '../../store/api-token.store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The API token the request was made with (set by {@link bearerAuth}). */
    apiToken: ApiToken | null;
  }
  interface FastifyContextConfig {
    /** What the route touches, for the scope check. Default `content`. */
    access?: AccessArea;
  }
}

/** The token from an `Authorization: Bearer …` header, or null. */
export function bearerTokenOf(req: FastifyRequest): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1] ?? null;
}

function unauthorized(reply: FastifyReply, error: string): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="newsdesk"')
    .type('application/json; charset=utf-8')
    .send({ error, code: 'unauthorized' });
}

/**
 * An onRequest hook: runs before the body is read, so strangers, and tokens without the right
 * scope, cannot make us parse uploads.
 */
export function bearerAuth(tokens: ApiTokenStore): onRequestHookHandler {
  return async (req, reply) => {
    const token = bearerTokenOf(req);
    if (!token) return unauthorized(reply, 'an API token is required: Authorization: Bearer <token> (newsdesk tokens create <name> --scope <scope>)');
    const record = await tokens.verify(token);
    if (!record) return unauthorized(reply, 'this API token is not valid (revoked, expired or mistyped)');
    const area = req.routeOptions.config?.access ?? 'content';
    if (!scopeAllows(record.scope, { area, write: !isReadMethod(req.method) })) {
      return reply
        .code(403)
        .type('application/json; charset=utf-8')
        .send({ error: `this token's scope (${record.scope}) does not allow ${req.method} ${req.url.split('?')[0]}`, code: 'forbidden' });
    }
    req.apiToken = record;
  };
}

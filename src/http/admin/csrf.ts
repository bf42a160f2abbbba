/**
 * CSRF tokens for the dashboard's forms (@fastify/csrf-protection, cookie mode). Each token is
 * bound to the session it was made for, so a token from another sign-in (or from before
 * signing in) is refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenScope } from '../../domain/api-token.schema.ts';
import type { Session } from '../../store/session.store.ts';

/** A signed-in editor. */
export interface AdminSession {
  id: string;
  session: Session;
  /** For the header and the audit log: "admin" (password) or the token's name. */
  who: string;
  /** What they may do: `admin` for the password, the token's scope otherwise (never `metrics`). */
  role: ApiTokenScope;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The dashboard session, when the cookie names a live one. */
    adminSession: AdminSession | null;
  }
  interface FastifyReply {
    generateCsrf(opts?: { userInfo?: string }): string;
  }
  interface FastifyInstance {
    csrfProtection(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
  }
}

/** The cookies' names and path: `__Host-` names under https, so no subdomain can set or shadow them. */
export function adminCookies(secure: boolean): { session: string; csrf: string; path: string } {
  return secure
    ? { session: '__Host-newsdesk_session', csrf: '__Host-newsdesk_csrf', path: '/' }
    : { session: 'newsdesk_session', csrf: 'newsdesk_csrf', path: '/admin' };
}

/** What tokens are bound to. */
export const csrfUserInfo = (req: FastifyRequest): string => req.adminSession?.id ?? 'signed-out';

/** A token for the page being rendered. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ userInfo: csrfUserInfo(req) });
}

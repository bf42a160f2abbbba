/**
 * CSRF tokens for the dashboard's forms (@fastify/csrf-protection, cookie mode). Each token is
 * bound to the session it was made for, so a token from another sign-in (or from before
 * signing in) is refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../../store/session.store.ts';

/** A signed-in editor. */
export interface AdminSession {
  id: string;
  session: Session;
  /** For the header: "admin" (password) or the token's name. */
  who: string;
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

export const CSRF_COOKIE = 'newsdesk_csrf';

/** What tokens are bound to. */
export const csrfUserInfo = (req: FastifyRequest): string => req.adminSession?.id ?? 'signed-out';

/** A token for the page being rendered. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ userInfo: csrfUserInfo(req) });
}

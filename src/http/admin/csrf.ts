/**
 * CSRF tokens for the dashboard's forms (@fastify/csrf-protection, cookie mode). Each token is
 * bound to the session it was made for, so a token from another sign-in (or from before
 * signing in) is refused.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyReply {
    generateCsrf(opts?: { userInfo?: string }): string;
  }
  interface FastifyInstance {
    csrfProtection(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
  }
}

/** What tokens are bound to: the session (`req.adminSession`, see admin-session.ts). */
export const csrfUserInfo = (req: FastifyRequest): string => req.adminSession?.id ?? 'signed-out';

/** A token for the page being rendered. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ userInfo: csrfUserInfo(req) });
}

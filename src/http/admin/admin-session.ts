/**
 * Who is signed in to the dashboard: the session cookie's name, the stamp that ties a password
 * session to the password it was opened with, and the hook that turns a request's cookie into
 * its {@link AdminSession}. What a session may do is its role: `admin` for the password, the
 * token's scope otherwise, read afresh on every request (see access.ts).
 */
import { createHmac } from 'node:crypto';
import type { onRequestHookHandler } from 'fastify';
import type { App } from '../../app.ts';
import { scopeMaySignIn } from '../../domain/access.ts';
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
  interface FastifyContextConfig {
    /** A page's script polls this route on its own: a request to it does not keep a session from going idle. */
    background?: boolean;
  }
}

/** The cookies' names and path: `__Host-` names under https, so no subdomain can set or shadow them. */
export function adminCookies(secure: boolean): { session: string; csrf: string; path: string } {
  return secure
    ? { session: '__Host-newsdesk_session', csrf: '__Host-newsdesk_csrf', path: '/' }
    : { session: 'newsdesk_session', csrf: 'newsdesk_csrf', path: '/admin' };
}

/**
 * What sessions opened with the password carry: a keyed digest of NEWSDESK_ADMIN_PASSWORD, so a
 * changed password ends them (and Redis never holds the password). Undefined when none is set.
 * @param key a key of its own, derived from the signing secret.
 */
export function passwordStampOf(password: string | undefined, key: string): string | undefined {
  return password === undefined ? undefined : createHmac('sha256', key).update(password).digest('base64url').slice(0, 22);
}

/**
 * An onRequest hook: sets `req.adminSession` when the session cookie names a live session whose
 * token is still valid (not revoked or expired) or whose password stamp is the current one; a
 * password session with another stamp is ended on the spot.
 */
export function resolveAdminSession(options: { app: App; cookieName: string; passwordStamp: string | undefined }): onRequestHookHandler {
  const { app, cookieName, passwordStamp } = options;
  return async (req) => {
    const id = req.cookies[cookieName];
    if (!id) return;
    const session = await app.stores.sessions.get(id, { touch: req.routeOptions.config?.background !== true });
    if (!session) return;
    if (session.subject.kind === 'token') {
      // Revoking (or the expiry of) a token ends the sessions it opened; its scope is read afresh.
      const token = await app.stores.apiTokens.get(session.subject.tokenId);
      if (!token || !scopeMaySignIn(token.scope)) return;
      req.adminSession = { id, session, who: session.subject.name, role: token.scope };
    } else {
      if (passwordStamp === undefined || session.subject.stamp !== passwordStamp) {
        await app.stores.sessions.delete(id);
        return;
      }
      req.adminSession = { id, session, who: 'admin', role: 'admin' };
    }
  };
}

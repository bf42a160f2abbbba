/**
 * Signing in and out of the dashboard: an API token (any scope but `metrics`) or the admin
 * password (NEWSDESK_ADMIN_PASSWORD). Guessing is throttled per client network (an IPv6 /64
 * counts as one) and per account across all networks; a sign-in ends the account's previous
 * session and the one this browser had.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { apiTokenIdOf } from '../../domain/api-token.schema.ts';
import { scopeMaySignIn } from '../../domain/access.ts';
import type { SessionSubject } from '../../store/session.store.ts';
import { clientNetwork } from '../client-network.ts';
import { html } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { flash, sendAdminPage } from './layout.ts';

export interface SignInRoutesOptions {
  app: App;
  /** Mark cookies Secure (PUBLIC_URL is https). */
  secure: boolean;
  cookies: { session: string; path: string };
  /** The keyed digest of the admin password sessions carry; undefined when there is no password. */
  passwordStamp: string | undefined;
}

const SignInBody = z.object({
  secret: z.string().trim().min(1, 'required').max(500),
  next: z.string().max(2000).optional(),
});

/** Only dashboard paths: a sign-in link must not be able to send the editor anywhere else. */
function safeNext(next: string | undefined): string {
  return next && /^\/admin(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/admin/campaigns';
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export const signInRoutes: FastifyPluginAsync<SignInRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const password = app.config.http.adminPassword;

  const form = (csrf: string, next: string, error?: string) => html`
<section class="signin">
<h1>Sign in</h1>
${error && flash('error', error)}
<form method="post" action="/admin/login">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
  <label for="secret">API token${password ? ' or password' : ''}</label>
  <input id="secret" name="secret" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
</form>
<p class="muted">Create a token with <code>newsdesk tokens create &lt;your name&gt; --scope editor</code>${password ? '' : html`, or set NEWSDESK_ADMIN_PASSWORD`}.</p>
</section>`;

  server.get('/login', { schema: { querystring: z.object({ next: z.string().max(2000).optional() }) } }, async (req, reply) => {
    if (req.adminSession) return reply.redirect(safeNext(req.query.next), 303);
    return sendAdminPage(reply, { title: 'Sign in', section: 'none' }, form(csrfToken(req, reply), safeNext(req.query.next)));
  });

  server.post(
    '/login',
    {
      schema: { body: SignInBody },
      preValidation: (req, reply, done) => instance.csrfProtection(req, reply, done),
      // Guessing from one network stops here (an IPv6 /64 is one network); tokens are not guessable anyway.
      config: { rateLimit: { max: 10, timeWindow: 60_000, keyGenerator: (req) => clientNetwork(req.ip) } },
    },
    async (req, reply) => {
      const { secret } = req.body;
      const throttle = app.stores.signInThrottle;
      // The account tried: a token's id, or the password. Blocked accounts are refused even the
      // right answer, so the answer cannot tell a guesser that a guess was right.
      const account = secret.startsWith('nd_') ? `token:${apiTokenIdOf(secret) ?? 'malformed'}` : 'password';
      const wait = await throttle.blockedFor(account);
      if (wait > 0) {
        req.log.warn({ ip: req.ip, account }, 'dashboard sign-in refused: too many failures for the account');
        const minutes = Math.ceil(wait / 60_000);
        return sendAdminPage(
          reply,
          { title: 'Sign in', section: 'none' },
          form(csrfToken(req, reply), safeNext(req.body.next), `Too many failed sign-ins for this account: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`),
          429,
        );
      }
      let subject: SessionSubject | undefined;
      let refusal = 'That token or password is not right.';
      if (secret.startsWith('nd_')) {
        const token = await app.stores.apiTokens.verify(secret);
        if (token && scopeMaySignIn(token.scope)) subject = { kind: 'token', tokenId: token.id, name: token.name };
        else if (token) refusal = 'That token is for /metrics only; sign in with an admin, editor or read token.';
      } else if (password !== undefined && timingSafeEqual(digest(secret), digest(password))) {
        subject = { kind: 'password', ...(opts.passwordStamp ? { stamp: opts.passwordStamp } : {}) };
      }
      if (!subject) {
        await throttle.failed(account);
        req.log.warn({ ip: req.ip }, 'dashboard sign-in refused');
        return sendAdminPage(reply, { title: 'Sign in', section: 'none' }, form(csrfToken(req, reply), safeNext(req.body.next), refusal), 401);
      }
      // The session this browser had ends too, whoever it belonged to: a new sign-in starts clean.
      if (req.adminSession) await app.stores.sessions.delete(req.adminSession.id);
      const { id } = await app.stores.sessions.create(subject);
      req.log.info({ who: subject.kind === 'token' ? subject.name : 'password' }, 'dashboard sign-in');
      return reply
        .setCookie(opts.cookies.session, id, {
          path: opts.cookies.path,
          httpOnly: true,
          sameSite: 'strict',
          secure: opts.secure,
          maxAge: Math.floor(app.stores.sessions.ttlMs / 1000),
        })
        .redirect(safeNext(req.body.next), 303);
    },
  );

  server.post(
    '/logout',
    { preValidation: (req, reply, done) => instance.csrfProtection(req, reply, done) },
    async (req, reply) => {
      if (req.adminSession) await app.stores.sessions.delete(req.adminSession.id);
      return reply.clearCookie(opts.cookies.session, { path: opts.cookies.path, secure: opts.secure, httpOnly: true, sameSite: 'strict' }).redirect('/admin/login', 303);
    },
  );
};

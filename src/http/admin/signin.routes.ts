/** Signing in and out of the dashboard: an API token or the admin password (NEWSDESK_ADMIN_PASSWORD). */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../../app.ts';
import type { SessionSubject } from '../../store/session.store.ts';
import { html } from '../html.ts';
import { csrfToken } from './csrf.ts';
import { flash, sendAdminPage } from './layout.ts';

export interface SignInRoutesOptions {
  app: App;
  /** Mark cookies Secure (PUBLIC_URL is https). */
  secure: boolean;
  sessionCookie: string;
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
<p class="muted">Create a token with <code>newsdesk tokens create &lt;your name&gt;</code>${password ? '' : html`, or set NEWSDESK_ADMIN_PASSWORD`}.</p>
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
      // Guessing passwords from one address stops here; tokens are not guessable anyway.
      config: { rateLimit: { max: 10, timeWindow: 60_000 } },
    },
    async (req, reply) => {
      const { secret } = req.body;
      let subject: SessionSubject | undefined;
      if (secret.startsWith('nd_')) {
        const token = await app.stores.apiTokens.verify(secret);
        if (token) subject = { kind: 'token', tokenId: token.id, name: token.name };
      } else if (password !== undefined && timingSafeEqual(digest(secret), digest(password))) {
        subject = { kind: 'password' };
      }
      if (!subject) {
        req.log.warn({ ip: req.ip }, 'dashboard sign-in refused');
        return sendAdminPage(reply, { title: 'Sign in', section: 'none' }, form(csrfToken(req, reply), safeNext(req.body.next), 'That token or password is not right.'), 401);
      }
      const { id } = await app.stores.sessions.create(subject);
      req.log.info({ who: subject.kind === 'token' ? subject.name : 'password' }, 'dashboard sign-in');
      return reply
        .setCookie(opts.sessionCookie, id, {
          path: '/admin',
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
      return reply.clearCookie(opts.sessionCookie, { path: '/admin' }).redirect('/admin/login', 303);
    },
  );
};

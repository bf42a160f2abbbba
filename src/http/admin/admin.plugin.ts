/**
 * The dashboard under `/admin`: server-rendered pages with a little script, for an editor on
 * deadline. Sign in with an API token or the admin password; the session is an httpOnly,
 * SameSite=Strict cookie (path /admin, or a `__Host-` cookie under https) backed by Redis; every
 * form carries a CSRF token bound to the session. What a session may do is its role: `admin` for
 * the password, the token's scope otherwise (a `read` session only looks). Bull Board sits behind
 * the same sign-in at `/admin/queues`; the audit log at `/admin/audit` (admins).
 */
import { createHmac } from 'node:crypto';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { describeError } from '../http-errors.ts';
import { html } from '../html.ts';
import { adminAssets } from './assets.ts';
import { adminCampaignRoutes } from './campaigns.routes.ts';
import { isReadMethod, scopeAllows } from '../../domain/access.ts';
import { adminAuditRoutes } from './audit.routes.ts';
import { adminEditionRoutes } from './editions.routes.ts';
import { adminCookies, passwordStampOf, resolveAdminSession } from './admin-session.ts';
import { csrfUserInfo } from './csrf.ts';
import { flash, problemList, sendAdminPage } from './layout.ts';
import { adminListRoutes } from './lists.routes.ts';
import { adminMediaRoutes } from './media.routes.ts';
import { loadScheduleBanner } from './schedule-banner.ts';
import { adminScheduleRoutes } from './schedules.routes.ts';
import { adminReportRoutes } from './report.routes.ts';
import { adminOutboxRoutes } from './outbox.routes.ts';
import { bullBoardPlugin } from './queues.ts';
import { signInRoutes } from './signin.routes.ts';

export interface AdminPluginOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
  /** The dev outbox folder; undefined hides the Outbox page. */
  outboxDir: string | undefined;
}

export const adminPlugin: FastifyPluginAsync<AdminPluginOptions> = async (server, opts) => {
  const { app } = opts;
  const secure = app.config.publicUrl.startsWith('https:');
  const cookies = adminCookies(secure);
  // Separate keys per use, derived from the one secret: a cookie signature is never a valid CSRF key.
  const derive = (purpose: string) => createHmac('sha256', app.config.secrets[0] as string).update(`newsdesk-${purpose}`).digest('base64url');
  const passwordStamp = passwordStampOf(app.config.http.adminPassword, derive('admin-password'));

  await server.register(cookie, { secret: derive('cookie') });
  await server.register(csrf, {
    cookieKey: cookies.csrf,
    cookieOpts: { path: cookies.path, sameSite: 'strict', httpOnly: true, secure, signed: true },
    getUserInfo: csrfUserInfo,
    csrfOpts: { hmacKey: derive('csrf') },
    getToken: (req) => (req.body as { _csrf?: string } | undefined)?._csrf ?? (req.headers['x-csrf-token'] as string | undefined),
  });
  server.decorateRequest('adminSession', null);
  await server.register(formbody, { bodyLimit: 2 * 1024 * 1024 });

  server.addHook('onRequest', resolveAdminSession({ app, cookieName: cookies.session, passwordStamp }));

  server.setErrorHandler((err, req, reply) => {
    const e = err as { code?: string; statusCode?: number };
    if (e.code === 'FST_CSRF_INVALID_TOKEN' || e.code === 'FST_CSRF_MISSING_SECRET') {
      return sendAdminPage(
        reply,
        { title: 'Form expired', section: 'none' },
        html`<h1>This form has expired</h1><p>Go back, reload the page and try again.</p><p><a href="/admin/campaigns">Campaigns</a></p>`,
        403,
      );
    }
    const known = describeError(err);
    if (!known) req.log.error({ err }, 'unexpected error');
    const status = known?.status ?? 500;
    const body = known?.body.problems ? problemList(known.body.problems) : flash('error', known?.body.error ?? 'Something went wrong on our side.');
    return sendAdminPage(reply, { title: 'Error', section: 'none' }, html`<h1>${status === 404 ? 'Not found' : 'That did not work'}</h1>${body}`, status);
  });

  await server.register(adminAssets);
  await server.register(signInRoutes, { app, secure, cookies, passwordStamp });

  // Everything below needs a signed-in editor.
  await server.register(async (guarded) => {
    guarded.addHook('onRequest', async (req, reply) => {
      if (req.adminSession) return;
      // Pages send the browser to the sign-in form; Bull Board's API (both boards) answers its script in JSON.
      if (req.method === 'GET' && !/^\/admin\/queues(-view)?\/api\//.test(req.url)) {
        return reply.redirect(`/admin/login?next=${encodeURIComponent(req.url)}`, 303);
      }
      return reply.code(401).type('application/json; charset=utf-8').send({ error: 'sign in first', code: 'unauthorized' });
    });

    await guarded.register(async (pages) => {
      await pages.register(multipart, { attachFieldsToBody: 'keyValues', limits: { files: 1, fileSize: 1024 * 1024, fields: 50 } });
      // Every page shows the missed-slot banner (schedule-banner.ts).
      pages.addHook('preHandler', loadScheduleBanner(app));
      // After the body is parsed (the token travels in it), before any handler changes anything.
      pages.addHook('preValidation', (req, reply, done) => {
        if (isReadMethod(req.method)) return done();
        pages.csrfProtection(req, reply, done);
      });
      // A `read` session looks only: its posts end here, before any handler runs.
      pages.addHook('onRequest', async (req, reply) => {
        const session = req.adminSession;
        if (!session || isReadMethod(req.method) || scopeAllows(session.role, { area: req.routeOptions.config?.access ?? 'content', write: true })) return;
        return sendAdminPage(
          reply,
          { title: 'Not allowed', section: 'none' },
          html`<h1>Not allowed</h1><p>Your sign-in (${session.role}) can look but not change this.</p><p><a href="/admin/campaigns">Campaigns</a></p>`,
          403,
        );
      });
      await pages.register(adminCampaignRoutes, { app, newsletterDirs: opts.newsletterDirs, templates: opts.templates, outbox: opts.outboxDir !== undefined });
      await pages.register(adminEditionRoutes, { app, newsletterDirs: opts.newsletterDirs, templates: opts.templates, outbox: opts.outboxDir !== undefined });
      await pages.register(adminListRoutes, { app, outbox: opts.outboxDir !== undefined });
      await pages.register(adminScheduleRoutes, { app, newsletterDirs: opts.newsletterDirs, outbox: opts.outboxDir !== undefined });
      await pages.register(adminReportRoutes, { app, outbox: opts.outboxDir !== undefined });
      if (opts.outboxDir !== undefined) await pages.register(adminOutboxRoutes, { dir: opts.outboxDir });
      await pages.register(adminAuditRoutes, { app, outbox: opts.outboxDir !== undefined });
      pages.get('/', async (_req, reply) => reply.redirect('/admin/campaigns', 303));
    });

    // The editor form's image upload: JSON in its own context (the pages' form parser stops at 1 MB).
    await guarded.register(adminMediaRoutes, { app });

    // Bull Board: full for admins, read-only for the others; see queues.ts for its guard.
    await guarded.register(bullBoardPlugin, { app });
  });
};

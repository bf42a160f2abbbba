/**
 * The HTTP server: subscriber endpoints, health and metrics, the editors' API and the dashboard,
 * over one {@link App}. `buildServer` only builds: tests drive it with `inject`, `newsdesk serve`
 * calls `listen`.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { App } from '../app.ts';
import { newsletterDirs as defaultNewsletterDirs } from '../composer/newsletter.loader.ts';
import { createTemplateCache } from '../composer/templates.ts';
import { adminPlugin } from './admin/admin.plugin.ts';
import { archiveRoutes } from './archive.routes.ts';
import { apiPlugin } from './api/api.plugin.ts';
import { bearerAuth } from './api/auth.ts';
import { healthRoutes } from './health.routes.ts';
import { jsonErrorHandler } from './http-errors.ts';
import { createMetrics, type SendMetrics } from './metrics.ts';
import { mediaFileRoutes } from './media.routes.ts';
import { sendNotFoundPage } from './public-page.ts';
import { clickRoutes } from './click.routes.ts';
import { createConfirmationMailer } from './subscriber/confirmation.mailer.ts';
import { createProofOfWork } from './subscriber/proof-of-work.ts';
import { subscriberRoutes } from './subscriber.routes.ts';
import { MAX_PATH_PARAM_CHARS, zodValidatorCompiler } from './validation.ts';
import { webhookRoutes } from './webhooks/webhooks.plugin.ts';
import type { HttpsGet } from '../mail/esp/sns-message.ts';
import { createWebhookReplayStore } from '../store/webhook-replay.store.ts';

const VERSION = '0.1.0';
const DAY_MS = 24 * 60 * 60 * 1000;

export interface ServerOptions {
  /** Folders searched for `<newsletter>.yaml`. Default: from NEWSLETTERS_DIR, then the package's own. */
  newsletterDirs?: string[];
  /** Sign-ups per IP per minute. Default: SUBSCRIBE_RATE_PER_MINUTE. */
  subscribeRatePerMinute?: number;
  /** Request logging. Default: the app's logger. `false` logs nothing. */
  logger?: Logger | false;
  /** SMTP counters of this process, when it runs workers (see metrics.ts). */
  sendMetrics?: SendMetrics | undefined;
  /**
   * The dev outbox folder the dashboard lists. Default: OUTBOX_DIR when SMTP_URL is unset (dev
   * mode), else none (no outbox page).
   */
  outboxDir?: string | undefined;
  /** Largest CSV an API import accepts, in bytes. Default 512 MB. */
  maxImportBytes?: number;
  /** HTTPS GET for the SES webhook (SNS certificates, subscription confirmations). Default: `fetch`. */
  webhookHttpsGet?: HttpsGet;
}

/** Builds the whole server over `app`; it closes nothing of `app` (its owner does that). */
export function buildServer(app: App, opts: ServerOptions = {}): FastifyInstance {
  const { config } = app;
  const logger = opts.logger === undefined ? app.logger : opts.logger;
  const server = Fastify({
    ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
    // Believe X-Forwarded-For from as many hops as TRUST_PROXY says, no further.
    trustProxy: config.http.trustProxy > 0 ? (_address: string, hop: number) => hop < config.http.trustProxy : false,
    bodyLimit: 2 * 1024 * 1024,
    // Fastify's own request lines would log token URLs; ours below leaves the tokens out.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    // A URL the router cannot read (bad %-encoding, an overlong segment) is no link we made:
    // subscribers get the page of any dead link, scripts a JSON error in the API's form.
    frameworkErrors: (err, req, reply) => answerUnreadableUrl(err, req, reply as FastifyReply),
  });
  server.addHook('onResponse', async (req, reply) => {
    req.log.info({ method: req.method, url: withoutTokens(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
  });
  server.setValidatorCompiler(zodValidatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.setErrorHandler(jsonErrorHandler);
  // Under /api the API plugin answers unknown routes itself, in JSON.
  server.setNotFoundHandler((_req, reply) => sendNotFoundPage(reply));

  const newsletterDirs = opts.newsletterDirs ?? defaultNewsletterDirs(config.newslettersDir);
  const templates = createTemplateCache();
  const { links } = app;
  const mailer = createConfirmationMailer({ transport: () => app.transport(), links, newsletterDirs, logger: app.logger });
  const metrics = createMetrics(app, { send: opts.sendMetrics });
  const outboxDir = opts.outboxDir ?? (config.smtp.url ? undefined : config.smtp.outboxDir);
  server.addHook('onClose', async () => mailer.drain());

  // Counted in Redis, so every serve process shares one budget per client address.
  void server.register(rateLimit, { global: false, redis: app.redis, nameSpace: `${app.stores.keys.tag}:ratelimit:` });

  void server.register(swagger, {
    openapi: {
      info: {
        title: 'newsdesk editors API',
        version: VERSION,
        description: 'Lists, subscribers, editions and campaigns. Authenticate with `Authorization: Bearer <token>` (newsdesk tokens create <name> --scope admin|editor|read|metrics): `read` tokens may only GET, `metrics` tokens only read /metrics.',
      },
      servers: [{ url: config.publicUrl }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Only the API is documented; subscriber pages and the dashboard are not an interface.
    transform: (doc) => (doc.url.startsWith('/api/') ? jsonSchemaTransform(doc) : { schema: { ...doc.schema, hide: true }, url: doc.url }),
  });
  void server.register(swaggerUi, { routePrefix: '/api/docs' });

  void server.register(clickRoutes, { app });
  void server.register(mediaFileRoutes, { app });
  void server.register(subscriberRoutes, {
    app,
    links,
    mailer,
    subscribeRatePerMinute: opts.subscribeRatePerMinute ?? config.http.subscribeRatePerMinute,
    viewLinkMaxAgeMs: config.viewLinkMaxAgeDays > 0 ? config.viewLinkMaxAgeDays * DAY_MS : undefined,
    listRatePerHour: config.signUp.listRatePerHour,
    proofOfWork: config.signUp.proofOfWork
      ? createProofOfWork({ redis: app.redis, keys: app.stores.keys, secret: config.secrets[0] as string, maxCounter: config.signUp.proofOfWorkMax })
      : undefined,
  });
  void server.register(archiveRoutes, { app, newsletterDirs, challenge: config.signUp.proofOfWork });
  // Metrics name campaigns and lists: they are for the operator's Prometheus (with a token), not the public.
  void server.register(healthRoutes, { app, metrics, authorizeMetrics: bearerAuth(app.stores.apiTokens) });
  void server.register(apiPlugin, { prefix: '/api', app, newsletterDirs, templates, ...(opts.maxImportBytes ? { maxImportBytes: opts.maxImportBytes } : {}) });
  void server.register(adminPlugin, { prefix: '/admin', app, newsletterDirs, templates, outboxDir });
  // ESP event webhooks: each provider's own authentication, no API token; unset providers have no route.
  void server.register(webhookRoutes, {
    settings: config.webhooks,
    sink: app.returnPath,
    replay: createWebhookReplayStore({ redis: app.redis, keys: app.stores.keys }),
    logger: app.logger,
    ...(opts.webhookHttpsGet ? { httpsGet: opts.webhookHttpsGet } : {}),
  });
  server.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin', 302));
  return server;
}

/** The answer to a URL the router cannot read: the dead-link page, or a JSON error under /api/. */
function answerUnreadableUrl(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!req.url.startsWith('/api/')) return sendNotFoundPage(reply);
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const body = tooLong
    ? { error: `a part of the URL is longer than ${MAX_PATH_PARAM_CHARS} characters`, code: 'url_too_long' }
    : { error: 'the URL is not valid: a malformed %-escape', code: 'bad_url' };
  return reply.code(tooLong ? 414 : 400).type('application/json; charset=utf-8').send(body);
}

/**
 * A URL fit for a log: the token of a subscriber link is as good as the subscriber's password
 * for that link (unsubscribe, their copy), and a per-reader click token names its reader, so
 * none reaches the logs.
 */
export function withoutTokens(url: string): string {
  return url.replace(/^\/(u|v|confirm|c|o)\/[^/?#]+/, (_all, kind: string) => `/${kind}/…`);
}

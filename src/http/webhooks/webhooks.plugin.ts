/**
 * ESP event webhooks: `POST /webhooks/ses` (Amazon SES through SNS), `/webhooks/postmark`,
 * `/webhooks/sendgrid` and `/webhooks/mailgun`. No API token: each request must carry its
 * provider's own authentication (SNS signature, HTTP Basic, ECDSA, HMAC), checked before anything
 * else is read; a failure is a 401 naming what was wrong. A provider without settings has no
 * route (404), so nothing is open by default. Each event found goes to the return-path service
 * ({@link ReturnEventSink}); the answer counts what it did. When the service cannot store
 * (Redis away) the answer is 503, and every provider retries later: the dedupe key of each event
 * makes the retry harmless.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { WebhookSettings } from '../../config.ts';
import { NewsdeskError, ValidationError } from '../../domain/errors.ts';
import type { ReturnEventSink } from '../../domain/return-event.ts';
import type { WebhookReplayStore } from '../../store/webhook-replay.store.ts';
import { describeError } from '../http-errors.ts';
import { httpsGetter } from './https-get.ts';
import { mailgunRoute } from './mailgun.route.ts';
import { postmarkRoute } from './postmark.route.ts';
import { sendGridRoute } from './sendgrid.route.ts';
import { sesRoute } from './ses.route.ts';
import type { HttpsGet } from '../../mail/esp/sns-message.ts';

/** Largest webhook body taken (SES notifications carry the message's headers; SendGrid batches). */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookRoutesOptions {
  settings: WebhookSettings;
  sink: ReturnEventSink;
  /** Remembers Mailgun tokens against replays. */
  replay: WebhookReplayStore;
  /** HTTPS GET for SNS certificates and subscription confirmations. Default: {@link httpsGetter}'s. */
  httpsGet?: HttpsGet;
  /** Clock in ms, for signed timestamps. Default `Date.now`. */
  now?: () => number;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
}

const STATUS: Record<string, number> = {
  webhook_unauthenticated: 401,
  webhook_forbidden: 403,
  sns_certificate_unavailable: 503,
  sns_confirmation_failed: 502,
};

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (server, opts) => {
  // Signatures cover the exact bytes: every body arrives raw, whatever its declared type
  // (SNS posts JSON as text/plain), and is parsed by the route after it is authenticated.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body));

  server.setErrorHandler((err, req, reply) => answerError(err, req, reply, opts.logger));

  const deps = { ...opts, now: opts.now ?? Date.now, httpsGet: opts.httpsGet ?? httpsGetter() };
  const { ses, postmark, sendgrid, mailgun } = opts.settings;
  if (ses) await server.register(sesRoute, { ...deps, topicArns: ses.topicArns });
  if (postmark) await server.register(postmarkRoute, { ...deps, ...postmark });
  if (sendgrid) await server.register(sendGridRoute, { ...deps, publicKey: sendgrid.publicKey });
  if (mailgun) await server.register(mailgunRoute, { ...deps, signingKey: mailgun.signingKey });
};

function answerError(err: unknown, req: FastifyRequest, reply: FastifyReply, logger: Pick<Logger, 'warn' | 'error'>): FastifyReply {
  const json = (status: number, body: object) => reply.code(status).type('application/json; charset=utf-8').send(body);
  if (err instanceof NewsdeskError && STATUS[err.code]) {
    const status = STATUS[err.code] as number;
    logger.warn({ url: req.url, code: err.code, reason: err.message }, 'webhook refused');
    if (status === 401 && req.url.startsWith('/webhooks/postmark')) reply.header('www-authenticate', 'Basic realm="newsdesk webhooks"');
    return json(status, { error: err.message, code: err.code });
  }
  if (err instanceof ValidationError) {
    logger.warn({ url: req.url, problems: err.problems }, 'webhook body invalid');
  }
  const known = describeError(err);
  if (known) return json(known.status, known.body);
  // Anything else happened while handing events on, most likely the store being away: the
  // provider retries later. Logged with its stack, as it may also be a bug.
  logger.error({ url: req.url, err }, 'webhook not processed; the provider will retry');
  return json(503, { error: 'could not store the events now; retry later', code: 'unavailable' });
}

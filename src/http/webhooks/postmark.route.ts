/**
 * `POST /webhooks/postmark`: Postmark's Bounce, SpamComplaint and SubscriptionChange webhooks.
 * Postmark authenticates with the HTTP Basic credentials written into the webhook URL
 * (POSTMARK_WEBHOOK_USER, POSTMARK_WEBHOOK_PASSWORD), optionally also by client address
 * (POSTMARK_WEBHOOK_IPS). Other record types (Delivery, Open, Click) are answered and dropped.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ReturnEventSink } from '../../domain/return-event.ts';
import { PostmarkEvent, postmarkEvent, quotePostmarkIds } from '../../mail/esp/postmark.events.ts';
import { WebhookSignatureError } from '../../mail/esp/webhook-signatures.ts';
import { basicAuthMatches } from './basic-auth.ts';
import { jsonBody, parseAs } from './webhook-body.ts';
import { deliverEvents } from './webhook-events.ts';

export interface PostmarkRouteOptions {
  user: string;
  password: string;
  allowedIps: string[] | undefined;
  sink: ReturnEventSink;
}

const RECORD_TYPES = new Set(['Bounce', 'SpamComplaint', 'SubscriptionChange']);

export const postmarkRoute: FastifyPluginAsync<PostmarkRouteOptions> = async (server, opts) => {
  const allowed = opts.allowedIps && new Set(opts.allowedIps);
  server.post('/webhooks/postmark', { schema: { hide: true } }, async (req, reply) => {
    if (allowed && !allowed.has(req.ip.replace(/^::ffff:/, ''))) {
      throw new WebhookSignatureError(`client address ${req.ip} is not in POSTMARK_WEBHOOK_IPS`);
    }
    if (!basicAuthMatches(req.headers.authorization, opts.user, opts.password)) {
      throw new WebhookSignatureError('HTTP Basic credentials missing or wrong (the user:password in the webhook URL set at Postmark)');
    }
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const body = jsonBody(quotePostmarkIds(raw), 'Postmark webhook');
    const recordType = (body as { RecordType?: unknown } | null)?.RecordType;
    if (typeof recordType === 'string' && !RECORD_TYPES.has(recordType)) return reply.send({ events: 0, outcomes: {} });
    const event = postmarkEvent(parseAs(PostmarkEvent, body, 'Postmark webhook'));
    return reply.send(await deliverEvents(opts.sink, event ? [event] : []));
  });
};

/**
 * `POST /webhooks/sendgrid`: SendGrid's signed Event Webhook. The ECDSA signature over the
 * timestamp and the raw body is checked with SENDGRID_WEBHOOK_PUBLIC_KEY, and a timestamp more
 * than five minutes off is refused (a replayed request).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ReturnEventSink } from '../../domain/return-event.ts';
import { SendGridEvents, sendGridEvents } from '../../mail/esp/sendgrid.events.ts';
import { sendGridPublicKey, verifySendGridSignature } from '../../mail/esp/webhook-signatures.ts';
import { jsonBody, parseAs } from './webhook-body.ts';
import { deliverEvents } from './webhook-events.ts';

export interface SendGridRouteOptions {
  publicKey: string;
  sink: ReturnEventSink;
  now: () => number;
}

const header = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export const sendGridRoute: FastifyPluginAsync<SendGridRouteOptions> = async (server, opts) => {
  const key = sendGridPublicKey(opts.publicKey);
  server.post('/webhooks/sendgrid', { schema: { hide: true } }, async (req, reply) => {
    verifySendGridSignature({
      key,
      signature: header(req.headers['x-twilio-email-event-webhook-signature']),
      timestamp: header(req.headers['x-twilio-email-event-webhook-timestamp']),
      body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      now: opts.now(),
    });
    const events = parseAs(SendGridEvents, jsonBody(req.body, 'SendGrid events'), 'SendGrid events');
    return reply.send(await deliverEvents(opts.sink, sendGridEvents(events)));
  });
};

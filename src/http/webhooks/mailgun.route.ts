/**
 * `POST /webhooks/mailgun`: Mailgun's JSON webhooks. The HMAC-SHA256 of `timestamp + token` with
 * MAILGUN_WEBHOOK_SIGNING_KEY must match, the timestamp must be within five minutes, and a token
 * is taken once (a replayed request is refused), unless its request failed before it was
 * processed, so Mailgun's own retry still passes.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { ReturnEventSink } from '../../domain/return-event.ts';
import { MailgunSignature, MailgunWebhook, mailgunEvent } from '../../mail/esp/mailgun.events.ts';
import { DEFAULT_TOLERANCE_MS, verifyMailgunSignature, WebhookSignatureError } from '../../mail/esp/webhook-signatures.ts';
import type { WebhookReplayStore } from '../../store/webhook-replay.store.ts';
import { jsonBody, parseAs } from './webhook-body.ts';
import { deliverEvents } from './webhook-events.ts';

export interface MailgunRouteOptions {
  signingKey: string;
  sink: ReturnEventSink;
  replay: WebhookReplayStore;
  now: () => number;
}

export const mailgunRoute: FastifyPluginAsync<MailgunRouteOptions> = async (server, opts) => {
  server.post('/webhooks/mailgun', { schema: { hide: true } }, async (req, reply) => {
    const body = jsonBody(req.body, 'Mailgun webhook');
    const signed = MailgunSignature.safeParse((body as { signature?: unknown } | null)?.signature);
    if (!signed.success) throw new WebhookSignatureError('signature: missing or malformed (expected { timestamp, token, signature })');
    const { timestamp, token, signature } = signed.data;
    verifyMailgunSignature({ signingKey: opts.signingKey, timestamp, token, signature, now: opts.now() });
    // Held twice the tolerance: past that the timestamp check refuses the request anyway.
    if (!(await opts.replay.claim('mailgun', token, 2 * DEFAULT_TOLERANCE_MS))) {
      throw new WebhookSignatureError('signature.token: this request was already received (a replay)');
    }
    try {
      const event = mailgunEvent(parseAs(MailgunWebhook, body, 'Mailgun webhook'));
      return reply.send(await deliverEvents(opts.sink, event ? [event] : []));
    } catch (err) {
      await opts.replay.release('mailgun', token).catch(() => undefined);
      throw err;
    }
  });
};

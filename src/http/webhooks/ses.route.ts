/**
 * `POST /webhooks/ses`: SES bounce and complaint notifications delivered by Amazon SNS. The SNS
 * signature is checked first (certificate from an Amazon SNS URL only), then its signed
 * Timestamp must be within the hour SNS retries for (older is a replay), then the topic must be
 * one of SES_SNS_TOPIC_ARNS. A SubscriptionConfirmation is confirmed by fetching its
 * SubscribeURL (that topic's, on its region's SNS host), only after these checks passed.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { NewsdeskError } from '../../domain/errors.ts';
import type { ReturnEventSink } from '../../domain/return-event.ts';
import { SesNotification, sesEvents } from '../../mail/esp/ses.events.ts';
import { checkSnsTimestamp, createSnsVerifier, type HttpsGet, isTrustedSubscribeUrl, SnsMessage } from '../../mail/esp/sns-message.ts';
import { jsonBody, parseAs } from './webhook-body.ts';
import { deliverEvents, WebhookForbiddenError } from './webhook-events.ts';

export interface SesRouteOptions {
  topicArns: string[];
  sink: ReturnEventSink;
  httpsGet: HttpsGet;
  logger: Pick<Logger, 'info' | 'warn'>;
  now: () => number;
}

export const sesRoute: FastifyPluginAsync<SesRouteOptions> = async (server, opts) => {
  const verifier = createSnsVerifier({ get: opts.httpsGet });
  const topics = new Set(opts.topicArns);

  server.post('/webhooks/ses', { schema: { hide: true } }, async (req, reply) => {
    const message = parseAs(SnsMessage, jsonBody(req.body, 'SNS message'), 'SNS message');
    await verifier.verify(message);
    checkSnsTimestamp(message, opts.now());
    if (!topics.has(message.TopicArn)) {
      throw new WebhookForbiddenError(`SNS topic ${message.TopicArn} is not in SES_SNS_TOPIC_ARNS`);
    }
    if (message.Type === 'SubscriptionConfirmation') {
      const url = message.SubscribeURL ?? '';
      if (!isTrustedSubscribeUrl(url, message.TopicArn)) {
        throw new WebhookForbiddenError(`SubscribeURL is not the Amazon SNS confirmation of ${message.TopicArn} on its region's SNS host`);
      }
      try {
        await opts.httpsGet(url);
      } catch (err) {
        throw new NewsdeskError('sns_confirmation_failed', `could not confirm the SNS subscription: ${String(err)}`, { cause: err });
      }
      opts.logger.info({ topic: message.TopicArn }, 'SNS subscription confirmed');
      return reply.send({ confirmed: message.TopicArn });
    }
    if (message.Type === 'UnsubscribeConfirmation') {
      opts.logger.warn({ topic: message.TopicArn }, 'SNS says this endpoint was unsubscribed from the topic; SES events stop arriving');
      return reply.send({ events: 0, outcomes: {} });
    }
    const notification = parseAs(SesNotification, jsonBody(message.Message, 'SES notification (SNS Message)'), 'SES notification', 'Message');
    return reply.send(await deliverEvents(opts.sink, sesEvents(notification)));
  });
};

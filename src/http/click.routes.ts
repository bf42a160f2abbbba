/**
 * Tracked links and open images (README.md, "What readers did with it"):
 *
 * - `GET|HEAD /c/:token` answers 302 to the link compiled into the campaign, exactly (UTM added
 *   only when the newsletter asks), and counts the click as human or machine. A forged, altered
 *   or over-long token, an untracked link number, or a stored address that is not http(s) gets
 *   the bare 404 of any dead link: never an open redirect (docs/architecture.md, invariant 11).
 * - `GET|HEAD /o/:token` answers a 1×1 transparent GIF and counts an open.
 *
 * Counting is one Redis call; if Redis fails the reader still gets where they were going.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { App } from '../app.ts';
import { createRequestClassifier, type ScannerEntry } from '../domain/click-classifier.ts';
import { sendNotFoundPage } from './public-page.ts';
import { MAX_PATH_PARAM_CHARS } from './validation.ts';

export interface ClickRoutesOptions {
  app: App;
  /** The scanner table. Default: the built-in one (domain/click-classifier.ts). */
  scanners?: readonly ScannerEntry[];
}

const TokenParams = z.strictObject({ token: z.string().min(1).max(MAX_PATH_PARAM_CHARS) });

/** The smallest transparent GIF: 43 bytes. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

export const clickRoutes: FastifyPluginAsync<ClickRoutesOptions> = async (instance, opts) => {
  const { app } = opts;
  const server = instance.withTypeProvider<ZodTypeProvider>();
  const classify = createRequestClassifier(opts.scanners);
  const verdict = (req: FastifyRequest, kind: 'click' | 'open') =>
    classify({ method: req.method, userAgent: req.headers['user-agent'], ip: req.ip, kind });

  const count = async (req: FastifyRequest, input: Parameters<App['clickStore']['record']>[0]) => {
    try {
      await app.clickStore.record(input);
    } catch (err) {
      req.log.error({ err: String(err), campaign: input.campaignId }, 'click not counted');
    }
  };

  server.route({
    method: ['GET', 'HEAD'],
    url: '/c/:token',
    exposeHeadRoute: false,
    schema: { params: TokenParams, hide: true },
    handler: async (req, reply) => {
      const payload = app.clicks.readLink(req.params.token);
      const links = payload && (await app.clickStore.campaignLinks(payload.campaignId));
      const target = links && payload.link !== undefined ? links.targets[payload.link] : undefined;
      if (!payload || !target) return sendNotFoundPage(reply);
      const v = verdict(req, 'click');
      await count(req, { campaignId: payload.campaignId, kind: 'click', link: payload.link, subscriberId: payload.subscriberId, machine: v.machine });
      return redirect(reply, target);
    },
  });

  server.route({
    method: ['GET', 'HEAD'],
    url: '/o/:token',
    exposeHeadRoute: false,
    schema: { params: TokenParams, hide: true },
    handler: async (req, reply) => {
      const payload = app.clicks.readOpen(req.params.token);
      const links = payload && (await app.clickStore.campaignLinks(payload.campaignId));
      if (!payload || !links?.opensOn) return sendNotFoundPage(reply);
      const v = verdict(req, 'open');
      await count(req, { campaignId: payload.campaignId, kind: 'open', subscriberId: payload.subscriberId, machine: v.machine });
      return reply
        .code(200)
        .headers({ 'cache-control': 'no-store, private', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex, nofollow' })
        .type('image/gif')
        .send(PIXEL);
    },
  });
};

function redirect(reply: FastifyReply, location: string): FastifyReply {
  // No caching (each click is counted), no referrer (per-reader tokens name the reader).
  return reply
    .code(302)
    .headers({ location, 'cache-control': 'no-store, private', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex, nofollow' })
    .send();
}

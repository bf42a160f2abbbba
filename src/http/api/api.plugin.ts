/**
 * The editors' API under `/api`: bearer tokens, JSON in and out, zod schemas for every body and
 * query (documented at `/api/docs`), a 400 naming each bad field.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import type { TemplateCache } from '../../composer/templates.ts';
import { NewsdeskError } from '../../domain/errors.ts';
import { jsonErrorHandler } from '../http-errors.ts';
import { auditRoutes } from './audit.routes.ts';
import { bearerAuth } from './auth.ts';
import { campaignRoutes } from './campaigns.routes.ts';
import { editionRoutes } from './editions.routes.ts';
import { limitRoutes } from './limits.routes.ts';
import { listRoutes } from './lists.routes.ts';
import { mediaRoutes } from './media.routes.ts';
import { scheduleRoutes } from './schedules.routes.ts';
import { storedEditionRoutes } from './stored-editions.routes.ts';
import { subscriberApiRoutes } from './subscribers.routes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads a multipart form itself (a file upload); every other API route takes JSON. */
    upload?: boolean;
  }
}

export interface ApiPluginOptions {
  app: App;
  newsletterDirs: string[];
  templates: TemplateCache;
  /** Largest CSV accepted by an import. Default 512 MB. */
  maxImportBytes?: number;
}

export const apiPlugin: FastifyPluginAsync<ApiPluginOptions> = async (server, opts) => {
  const { app } = opts;
  server.setErrorHandler(jsonErrorHandler);
  server.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no such endpoint: ${req.method} ${req.url.split('?')[0]} (see /api/docs)`, code: 'not_found' }),
  );
  server.addHook('onRequest', bearerAuth(app.stores.apiTokens));

  // Editions may be posted as YAML text, so problems can name their line.
  server.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // CSV uploads stream from a multipart part; nothing is buffered.
  await server.register(multipart, { limits: { files: 1, fields: 10 } });
  // A form sent to a JSON route would otherwise arrive as "no body at all".
  server.addHook('preValidation', async (req) => {
    if (req.isMultipart() && !req.routeOptions.config.upload) {
      throw new NewsdeskError('unsupported_media_type', 'this endpoint takes a JSON body, not a multipart form');
    }
  });

  await server.register(listRoutes, { app, ...(opts.maxImportBytes ? { maxImportBytes: opts.maxImportBytes } : {}) });
  await server.register(subscriberApiRoutes, { app });
  await server.register(editionRoutes, { app, newsletterDirs: opts.newsletterDirs, templates: opts.templates });
  await server.register(storedEditionRoutes, { app });
  await server.register(campaignRoutes, { app, newsletterDirs: opts.newsletterDirs, templates: opts.templates });
  await server.register(limitRoutes, { app });
  await server.register(scheduleRoutes, { app });
  await server.register(auditRoutes, { app });
  await server.register(mediaRoutes, { app });
};

/**
 * `GET /media/<hash>.<ext>`: the images kept in MEDIA_DIR, for readers' mail clients. A name is
 * the hash of the bytes, so an answer never changes: cached for a year, immutable. With
 * MEDIA_S3_BUCKET set the bucket serves them and every name here is a 404.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import { MEDIA_NAME, MEDIA_TYPES, type MediaExtension } from '../domain/media.ts';
import { MEDIA_CACHE_CONTROL } from '../media/media-store.ts';
import { sendNotFoundPage } from './public-page.ts';

export const mediaFileRoutes: FastifyPluginAsync<{ app: App }> = async (server, { app }) => {
  server.get('/media/:name', { schema: { params: z.strictObject({ name: z.string().max(80) }), hide: true } }, async (req, reply) => {
    const { name } = req.params as { name: string };
    const match = MEDIA_NAME.exec(name);
    const file = match && app.media.local ? await app.media.local.open(name) : null;
    if (!match || !file) return sendNotFoundPage(reply);
    const etag = `"${match[1]}"`;
    reply.headers({
      'cache-control': MEDIA_CACHE_CONTROL,
      etag,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      'cross-origin-resource-policy': 'cross-origin',
    });
    if (req.headers['if-none-match'] === etag) {
      file.stream.destroy();
      return reply.code(304).send();
    }
    return reply
      .type(MEDIA_TYPES[match[2] as MediaExtension])
      .header('content-length', file.bytes)
      .send(file.stream);
  });
};

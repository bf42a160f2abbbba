/**
 * `POST /admin/media`: the dashboard's image upload (the editor form's upload control), the same
 * upload and JSON answer as `POST /api/media`. A signed-in session whose role may change content,
 * and the page's CSRF token in the `X-CSRF-Token` header (the form body is the image). Errors
 * answer in JSON, `{ error, code, problems? }`, for the page's script to show.
 */
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync } from 'fastify';
import type { App } from '../../app.ts';
import { scopeAllows } from '../../domain/access.ts';
import { audit } from '../audit.ts';
import { jsonErrorHandler } from '../http-errors.ts';
import { uploadAnswer, uploadFromRequest } from '../media-upload.ts';

export const adminMediaRoutes: FastifyPluginAsync<{ app: App }> = async (server, { app }) => {
  server.setErrorHandler(jsonErrorHandler);
  // Read by the route itself, up to MEDIA_MAX_BYTES; the pages' own form parser stops at 1 MB.
  await server.register(multipart, { limits: { files: 1, fields: 5 } });
  // A `read` session looks only; checked before the body is read.
  server.addHook('onRequest', async (req, reply) => {
    const session = req.adminSession;
    if (session && scopeAllows(session.role, { area: 'content', write: true })) return;
    return reply.code(403).type('application/json; charset=utf-8').send({ error: `your sign-in (${session?.role ?? 'none'}) may not upload images`, code: 'forbidden' });
  });
  server.addHook('preValidation', (req, reply, done) => server.csrfProtection(req, reply, done));

  server.post('/media', { schema: { hide: true } }, async (req) => {
    const result = await uploadFromRequest(req, app.media);
    await audit(app, req, { action: 'media.upload', target: result.hash, detail: { bytes: result.bytes, width: result.width, height: result.height, stored: result.stored } });
    return uploadAnswer(result);
  });
};

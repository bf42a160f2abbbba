/** `POST /api/media`: upload an image for an edition (README.md, "Images"). */
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { App } from '../../app.ts';
import { audit } from '../audit.ts';
import { MEDIA_UPLOAD_DESCRIPTION, MediaUploadAnswer, uploadAnswer, uploadFromRequest } from '../media-upload.ts';

export const mediaRoutes: FastifyPluginAsync<{ app: App }> = async (instance, { app }) => {
  const server = instance.withTypeProvider<ZodTypeProvider>();
  server.post(
    '/media',
    {
      config: { upload: true },
      schema: {
        tags: ['media'],
        summary: 'Upload an image (editor or admin tokens): resized for email, stored under its content hash; answers its absolute URL',
        description: MEDIA_UPLOAD_DESCRIPTION,
        consumes: ['multipart/form-data'],
        response: { 200: MediaUploadAnswer },
      },
    },
    async (req) => {
      const result = await uploadFromRequest(req, app.media);
      await audit(app, req, { action: 'media.upload', target: result.hash, detail: { bytes: result.bytes, width: result.width, height: result.height, stored: result.stored } });
      return uploadAnswer(result);
    },
  );
};

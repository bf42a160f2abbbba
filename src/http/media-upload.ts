/**
 * Reading an image upload from a request, for `POST /api/media` and `POST /admin/media`: the one
 * `file` part of a multipart form, read into memory up to the size limit and no further (a 30 MB
 * file stops at the limit, answered with a 413). Anything else in the form is refused by name.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { type InputProblem, NewsdeskError, ValidationError } from '../domain/errors.ts';
import type { MediaUpload } from '../domain/media.ts';
import { type MediaService, tooLarge } from '../media/media.service.ts';
import { z } from 'zod';

/** The answer of both upload routes. */
export const MediaUploadAnswer = z.object({
  url: z.string().describe('Absolute URL of the stored image'),
  width: z.number().int(),
  height: z.number().int(),
  bytes: z.number().int().describe('Size of the stored image (after resizing and compression)'),
  hash: z.string().describe('sha256 of the stored image, hex: also its file name'),
});

/** What the routes say about the upload, for OpenAPI and the README. */
export const MEDIA_UPLOAD_DESCRIPTION =
  'Send the image as the `file` field of a multipart form. The bytes must decode as JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF ' +
  '(the name and declared type are not trusted); larger than MEDIA_MAX_BYTES (default 10 MB) is a 413, not an image a 415, and nothing is stored. ' +
  'The image is turned upright, made at most 1200 px wide (twice the email column, never enlarged), stripped of metadata and compressed: ' +
  'PNG when it has transparency, JPEG otherwise. Its name is the sha256 of the stored bytes, so the same image uploaded twice is stored once and answers the same URL.';

/**
 * @returns the bytes of the `file` part
 * @throws NewsdeskError `payload_too_large`, `unsupported_media_type`; ValidationError when the form has no `file` or other parts
 */
export async function receiveImage(req: FastifyRequest, maxBytes: number): Promise<Buffer> {
  if (!req.isMultipart()) throw new NewsdeskError('unsupported_media_type', 'send the image as the "file" field of a multipart/form-data form');
  const problems: InputProblem[] = [];
  let data: Buffer | undefined;
  try {
    for await (const part of req.parts({ limits: { fileSize: maxBytes, files: 1, fields: 5 } })) {
      if (part.type === 'file' && part.fieldname === 'file') {
        data = await part.toBuffer();
      } else {
        if (part.type === 'file') await pipeline(part.file, new Writable({ write: (_chunk, _enc, next) => next() }));
        problems.push({ path: part.fieldname, message: 'unknown field: the form takes one image, as "file"' });
      }
    }
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if (code !== 'FST_FILES_LIMIT') throw err;
    problems.push({ path: 'file', message: 'one image per upload: the form has more files' });
  }
  if (!data && !problems.some((p) => p.path === 'file')) problems.push({ path: 'file', message: 'required: an image file in the "file" field' });
  if (problems.length) throw new ValidationError('request_invalid', 'upload', problems);
  return data as Buffer;
}

/** The upload's answer, without what only the audit log needs. */
export function uploadAnswer(result: MediaUpload): MediaUpload {
  return { url: result.url, width: result.width, height: result.height, bytes: result.bytes, hash: result.hash };
}

/** Uploads the request's image and returns the stored image, with `stored` for the audit log. */
export async function uploadFromRequest(req: FastifyRequest, media: MediaService) {
  return media.upload(await receiveImage(req, media.maxBytes));
}

/**
 * An image upload, the same from every door (`POST /api/media`, `POST /admin/media`,
 * `newsdesk media upload`): refuse what is too large or not an image, prepare it for email
 * (image-prep.ts), name it by the hash of what is stored, store it once, answer its URL.
 * Nothing is stored for a refused upload.
 */
import { createHash } from 'node:crypto';
import type { MediaSettings } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { MEDIA_TYPES, type MediaUpload, mediaName } from '../domain/media.ts';
import { createLocalMediaStore, type LocalMediaStore, type MediaStore } from './media-store.ts';
import type { S3MediaStore } from './s3-media-store.ts';

export interface MediaService {
  /** The largest upload taken, in bytes (MEDIA_MAX_BYTES). */
  readonly maxBytes: number;
  /** The local store when images are kept in MEDIA_DIR (the app serves them); undefined with S3. */
  readonly local: LocalMediaStore | undefined;
  /**
   * @returns the stored image, and whether this upload stored it (false: it was there already).
   * @throws NewsdeskError `payload_too_large` or `not_an_image`
   */
  upload(data: Buffer): Promise<MediaUpload & { stored: boolean }>;
  close(): void;
}

/** "10 MB", "512 KB": a limit as people say it. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KB`;
  return `${n} bytes`;
}

/** The refusal of an upload over the limit, the same words wherever it is noticed. */
export function tooLarge(maxBytes: number): NewsdeskError {
  return new NewsdeskError('payload_too_large', `the image is larger than this server takes (${formatBytes(maxBytes)}, MEDIA_MAX_BYTES): make it smaller and upload it again`);
}

/**
 * The service over MEDIA_DIR or the bucket. sharp and the AWS SDK load on the first upload, so
 * processes that never take one (workers) never load them.
 */
export function createMediaService(settings: MediaSettings): MediaService {
  const local = settings.s3 ? undefined : createLocalMediaStore(settings.dir);
  const s3Settings = settings.s3;
  let s3: Promise<S3MediaStore> | undefined;
  const store = (): Promise<MediaStore> =>
    s3Settings ? (s3 ??= import('./s3-media-store.ts').then((m) => m.createS3MediaStore(s3Settings))) : Promise.resolve(local as MediaStore);
  return {
    maxBytes: settings.maxBytes,
    local,
    async upload(data) {
      if (data.length > settings.maxBytes) throw tooLarge(settings.maxBytes);
      if (data.length === 0) throw new NewsdeskError('not_an_image', 'the file is empty');
      const { prepareImage } = await import('./image-prep.ts');
      const image = await prepareImage(data);
      const hash = createHash('sha256').update(image.data).digest('hex');
      const name = mediaName(hash, image.ext);
      const { stored } = await (await store()).put(name, image.data, MEDIA_TYPES[image.ext]);
      return { url: `${settings.publicUrl}/${name}`, width: image.width, height: image.height, bytes: image.data.length, hash, stored };
    },
    close: () => void s3?.then((s) => s.close(), () => {}),
  };
}

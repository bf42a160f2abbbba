/**
 * Where stored images live: a folder the app serves at `/media/` (the default, MEDIA_DIR), or an
 * S3 bucket (MEDIA_S3_BUCKET, see s3-media-store.ts). Names are content hashes, so an image is
 * written once and never changes: a second upload of the same image stores nothing.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MEDIA_NAME } from '../domain/media.ts';

/** How long readers' mail clients and proxies may keep an image: its name changes with its bytes. */
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

export interface MediaStore {
  /** Stores `data` as `name` unless an image of that name is there. @returns false when it was. */
  put(name: string, data: Buffer, contentType: string): Promise<{ stored: boolean }>;
  /** True when `name` is stored. */
  has(name: string): Promise<boolean>;
}

/** The local folder's store, which can also hand an image back to be served. */
export interface LocalMediaStore extends MediaStore {
  /** The image and its size, or null when there is none of that name (or the name is not one of ours). */
  open(name: string): Promise<{ stream: Readable; bytes: number } | null>;
}

/** Images in `dir`, one file per image, created on first upload. */
export function createLocalMediaStore(dir: string): LocalMediaStore {
  const pathOf = (name: string) => {
    if (!MEDIA_NAME.test(name)) throw new Error(`media store: not a media name: ${name}`);
    return join(dir, name);
  };
  const size = async (path: string) => {
    try {
      const s = await stat(path);
      return s.isFile() ? s.size : null;
    } catch {
      return null;
    }
  };
  return {
    async has(name) {
      return (await size(pathOf(name))) !== null;
    },
    async put(name, data) {
      const path = pathOf(name);
      if ((await size(path)) !== null) return { stored: false };
      await mkdir(dir, { recursive: true });
      // Written aside and renamed, so a reader never gets half a file; two uploads of the same
      // image at once rename the same bytes over each other.
      const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.part`);
      try {
        await writeFile(temp, data);
        await rename(temp, path);
      } finally {
        await rm(temp, { force: true });
      }
      return { stored: true };
    },
    async open(name) {
      if (!MEDIA_NAME.test(name)) return null;
      const path = join(dir, name);
      const bytes = await size(path);
      return bytes === null ? null : { stream: createReadStream(path), bytes };
    },
  };
}

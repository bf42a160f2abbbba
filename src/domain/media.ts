/**
 * Uploaded images (README.md, "Images"): what an upload answers, how a stored image is named,
 * and how wide an image is kept. Pure names and rules; the work is in `src/media/`.
 */

/**
 * The email's column, in CSS pixels: `<mj-body width="600px">` in templates/briefing/layout.mjml.hbs.
 * Images are kept at twice that, so they stay sharp on high-density screens.
 */
export const EMAIL_COLUMN_WIDTH = 600;

/** The widest a stored image is (never upscaled to it). */
export const MEDIA_MAX_WIDTH = EMAIL_COLUMN_WIDTH * 2;

/** The formats an image is stored in: PNG when it has transparency, JPEG otherwise. */
export const MEDIA_TYPES = { png: 'image/png', jpg: 'image/jpeg' } as const;
export type MediaExtension = keyof typeof MEDIA_TYPES;

/** A stored image's name: the sha256 of its bytes (hex) and its extension. */
export const MEDIA_NAME = /^([0-9a-f]{64})\.(png|jpg)$/;

/** `<hash>.<ext>`. */
export function mediaName(hash: string, ext: MediaExtension): string {
  return `${hash}.${ext}`;
}

/** What an upload answers (`POST /api/media`, `POST /admin/media`, `newsdesk media upload --json`). */
export interface MediaUpload {
  /** Absolute: emails need absolute URLs. */
  url: string;
  width: number;
  height: number;
  /** Size of the stored image. */
  bytes: number;
  /** sha256 of the stored image, hex: also its name. */
  hash: string;
}

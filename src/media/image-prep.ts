/**
 * Turning an upload into an image fit for email (README.md, "Images"): decoded by sharp (the
 * bytes decide what it is, not its name or declared type), turned upright, at most
 * {@link MEDIA_MAX_WIDTH} wide (never enlarged), stripped of metadata (EXIF, GPS, ICC: converted
 * to sRGB), and compressed: PNG when some pixel is transparent, JPEG otherwise.
 */
import sharp from 'sharp';
import { NewsdeskError } from '../domain/errors.ts';
import { MEDIA_MAX_WIDTH, type MediaExtension } from '../domain/media.ts';

/** The formats an upload may be in (SVG is refused: it is a document, not a picture). */
const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

/** Larger images (in pixels) are refused before decoding: a small file can claim a huge canvas. */
const MAX_INPUT_PIXELS = 100_000_000;

export interface PreparedImage {
  data: Buffer;
  ext: MediaExtension;
  width: number;
  height: number;
}

/** Thrown for an upload that is not an image newsdesk takes. */
export function notAnImage(detail: string): NewsdeskError {
  return new NewsdeskError('not_an_image', `the file is not an image newsdesk takes (JPEG, PNG, WebP, GIF, AVIF, HEIF or TIFF): ${detail}`);
}

/**
 * @param maxWidth the widest the result may be. Default {@link MEDIA_MAX_WIDTH}.
 * @throws NewsdeskError `not_an_image` when the bytes do not decode as an accepted image.
 */
export async function prepareImage(input: Buffer, maxWidth = MEDIA_MAX_WIDTH): Promise<PreparedImage> {
  const open = () => sharp(input, { failOn: 'error', limitInputPixels: MAX_INPUT_PIXELS });
  let format: string | undefined;
  let transparent: boolean;
  try {
    const meta = await open().metadata();
    format = meta.format;
    if (!format || !ACCEPTED.has(format)) throw notAnImage(format ? `it is ${format.toUpperCase()}` : 'unknown format');
    // An alpha channel that is fully opaque everywhere is no reason to keep a PNG.
    transparent = meta.hasAlpha ? !(await open().stats()).isOpaque : false;
  } catch (err) {
    if (err instanceof NewsdeskError) throw err;
    throw notAnImage(plain(err));
  }
  try {
    const pipeline = open().rotate().resize({ width: maxWidth, withoutEnlargement: true });
    const out = transparent
      ? pipeline.png({ compressionLevel: 9, palette: true, quality: 90, effort: 7 })
      : pipeline.flatten({ background: '#ffffff' }).jpeg({ quality: 80, mozjpeg: true });
    const { data, info } = await out.toBuffer({ resolveWithObject: true });
    return { data, ext: transparent ? 'png' : 'jpg', width: info.width, height: info.height };
  } catch (err) {
    // A file whose header reads well but whose pixels are broken fails here.
    throw notAnImage(plain(err));
  }
}

/** sharp's message without its "Input buffer" preamble, for the uploader. */
function plain(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Input buffer (contains|has) /i, '').replace(/\s+/g, ' ').trim().slice(0, 200) || 'it does not decode';
}

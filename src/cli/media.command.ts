/**
 * `newsdesk media upload <file>`: the same upload as `POST /api/media` (README.md, "Images"),
 * from this machine straight into MEDIA_DIR or the S3 bucket; prints the image's URL.
 */
import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { NewsdeskError } from '../domain/errors.ts';
import { createMediaService, tooLarge } from '../media/media.service.ts';
import { withContext } from './context.ts';
import { createOutput } from './output.ts';

export function mediaCommand(): Command {
  const media = new Command('media').description('images for editions: resized for email, stored under their content hash');

  media
    .command('upload')
    .description('store an image (JPEG, PNG, WebP, GIF, AVIF, HEIF, TIFF) and print its URL')
    .argument('<file>', 'the image file')
    .option('--json', 'print { url, width, height, bytes, hash } as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const out = createOutput(opts);
      await withContext(async (ctx) => {
        const config = ctx.config();
        let size: number;
        try {
          const s = await stat(file);
          if (!s.isFile()) throw new Error('not a file');
          size = s.size;
        } catch (err) {
          throw new NewsdeskError('file_unreadable', `${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        // Refused before it is read, as the server refuses it before it arrives.
        if (size > config.media.maxBytes) throw tooLarge(config.media.maxBytes);
        const service = createMediaService(config.media);
        try {
          const result = await service.upload(await readFile(file));
          await ctx.audit({ action: 'media.upload', target: result.hash, detail: { bytes: result.bytes, width: result.width, height: result.height, stored: result.stored } });
          const { stored, ...answer } = result;
          out.result(answer, answer.url);
          out.info(`${stored ? 'Stored' : 'Already stored'}: ${answer.width}×${answer.height}, ${answer.bytes} bytes.`);
        } finally {
          service.close();
        }
      });
    });

  return media;
}

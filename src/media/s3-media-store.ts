/**
 * Images in an S3 bucket (MEDIA_S3_BUCKET; any S3-compatible store through MEDIA_S3_ENDPOINT),
 * through the AWS SDK v3. Each object carries its content type and an immutable cache header,
 * and readers fetch it from MEDIA_PUBLIC_URL (README.md, "Images"). The bucket must let the
 * public read those objects (a bucket policy or the CDN's access); newsdesk only writes.
 */
import { HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { MediaSettings } from '../config.ts';
import { NewsdeskError } from '../domain/errors.ts';
import { MEDIA_CACHE_CONTROL, type MediaStore } from './media-store.ts';

export type S3Settings = NonNullable<MediaSettings['s3']>;

export interface S3MediaStore extends MediaStore {
  close(): void;
}

export function createS3MediaStore(settings: S3Settings): S3MediaStore {
  const client = new S3Client({
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 3,
  });
  const where = `s3://${settings.bucket}/${settings.prefix}`;
  const failed = (err: unknown, doing: string) =>
    new NewsdeskError('media_unavailable', `could not ${doing} ${where}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  const has = async (name: string) => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: settings.prefix + name }));
      return true;
    } catch (err) {
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
      throw failed(err, 'read');
    }
  };
  return {
    has,
    async put(name, data, contentType) {
      if (await has(name)) return { stored: false };
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: settings.bucket,
            Key: settings.prefix + name,
            Body: data,
            ContentType: contentType,
            ContentLength: data.length,
            CacheControl: MEDIA_CACHE_CONTROL,
          }),
        );
      } catch (err) {
        throw failed(err, 'write to');
      }
      return { stored: true };
    },
    close: () => client.destroy(),
  };
}

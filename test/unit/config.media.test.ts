/** MEDIA_* settings (README.md, "Images"): defaults, the S3 store's derived addresses, and bad values named. */
import { describe, expect, it } from 'vitest';
import { loadConfig, unknownSettingWarnings } from '../../src/config.ts';

describe('MEDIA_* settings', () => {
  it('keeps images in ./media, served under PUBLIC_URL, 10 MB at most, by default', () => {
    const { media } = loadConfig({ PUBLIC_URL: 'https://news.example.com/' });
    expect(media).toEqual({ maxBytes: 10 * 1024 * 1024, dir: 'media', publicUrl: 'https://news.example.com/media', s3: undefined });
  });

  it('an S3-compatible endpoint is addressed path-style, and the URL of an image follows the bucket and prefix', () => {
    const { media } = loadConfig({ MEDIA_S3_BUCKET: 'news-images', MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000/', MEDIA_S3_PREFIX: 'daily/' });
    expect(media.publicUrl).toBe('http://127.0.0.1:9000/news-images/daily');
    expect(media.s3).toMatchObject({ bucket: 'news-images', endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', prefix: 'daily/', forcePathStyle: true, credentials: undefined });
  });

  it('on AWS the bucket is virtual-hosted; MEDIA_PUBLIC_URL (a CDN) wins', () => {
    expect(loadConfig({ MEDIA_S3_BUCKET: 'news-images', MEDIA_S3_REGION: 'eu-west-1' }).media.publicUrl).toBe('https://news-images.s3.eu-west-1.amazonaws.com');
    const cdn = loadConfig({ MEDIA_S3_BUCKET: 'news-images', MEDIA_PUBLIC_URL: 'https://cdn.example.com/img/', MEDIA_S3_ACCESS_KEY_ID: 'AKIA1', MEDIA_S3_SECRET_ACCESS_KEY: 'shh' }).media;
    expect(cdn.publicUrl).toBe('https://cdn.example.com/img');
    expect(cdn.s3?.forcePathStyle).toBe(false);
    expect(cdn.s3?.credentials).toEqual({ accessKeyId: 'AKIA1', secretAccessKey: 'shh' });
  });

  it('names each bad or lone MEDIA_* variable', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as { problems: string[] }).problems;
      }
    };
    expect(problems({ MEDIA_S3_BUCKET: 'Bad_Bucket' })).toEqual([expect.stringMatching(/^MEDIA_S3_BUCKET: must be an S3 bucket name/)]);
    expect(problems({ MEDIA_MAX_BYTES: '12' })).toEqual([expect.stringMatching(/^MEDIA_MAX_BYTES: /)]);
    expect(problems({ MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000' })).toEqual(['MEDIA_S3_ENDPOINT: needs MEDIA_S3_BUCKET (without it images are kept in MEDIA_DIR)']);
    expect(problems({ MEDIA_S3_BUCKET: 'news-images', MEDIA_S3_ACCESS_KEY_ID: 'AKIA1' })).toEqual(['MEDIA_S3_SECRET_ACCESS_KEY: required when the other MEDIA_S3_* key is set']);
    expect(problems({ MEDIA_S3_BUCKET: 'news-images', MEDIA_S3_PREFIX: 'no-slash' })).toEqual([expect.stringMatching(/^MEDIA_S3_PREFIX: must be folder names/)]);
  });

  it('a mistyped MEDIA_ variable gets a did-you-mean', () => {
    expect(unknownSettingWarnings({ MEDIA_S3_BUCKT: 'x', MEDIA_MAX_BYTE: '1' })).toEqual([
      'MEDIA_MAX_BYTE is not a newsdesk setting and is ignored; did you mean MEDIA_MAX_BYTES?',
      'MEDIA_S3_BUCKT is not a newsdesk setting and is ignored; did you mean MEDIA_S3_BUCKET?',
    ]);
  });
});

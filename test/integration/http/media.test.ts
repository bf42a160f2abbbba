/**
 * Image uploads (README.md, "Images"): `POST /api/media`, `POST /admin/media`, `GET /media/…`,
 * with real images made by sharp, a real media folder and a real S3-compatible server (s3rver)
 * on loopback for the bucket store.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type HttpHarness, csrfIn, dashboard, multipartForm, startHttp } from '../../support/http.ts';

const PASSWORD = 'correct horse battery staple';

/** A noisy photo-like opaque image, as PNG or JPEG. */
function photo(width: number, height: number, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: '#3366aa', noise: { type: 'gaussian', mean: 128, sigma: 40 } } });
  return (format === 'png' ? img.png() : img.jpeg({ quality: 95 })).toBuffer();
}

/** A logo-like image: an opaque red square on a transparent field. */
async function transparentPng(width: number, height: number): Promise<Buffer> {
  const square = await sharp({ create: { width: Math.floor(width / 2), height: Math.floor(height / 2), channels: 4, background: { r: 200, g: 16, b: 46, alpha: 1 } } }).png().toBuffer();
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([{ input: square, left: Math.floor(width / 4), top: Math.floor(height / 4) }])
    .png()
    .toBuffer();
}

const upload = (content: Buffer, name = 'photo.png', type = 'image/png') => multipartForm({}, { field: 'file', name, type, content });

let h: HttpHarness;
let mediaDir: string;
let editor: string;

async function storedFiles(): Promise<string[]> {
  try {
    return (await readdir(mediaDir)).sort();
  } catch {
    return []; // never created: nothing was stored
  }
}

describe('local media folder', () => {
  beforeEach(async () => {
    mediaDir = await mkdtemp(join(tmpdir(), 'newsdesk-media-'));
    h = await startHttp({ env: { MEDIA_DIR: join(mediaDir, 'media'), NEWSDESK_ADMIN_PASSWORD: PASSWORD } });
    mediaDir = join(mediaDir, 'media');
    editor = await h.token('editor', 'editor');
  });
  afterEach(async () => {
    await h.close();
    await rm(join(mediaDir, '..'), { recursive: true, force: true });
  });

  it('resizes a wide photo to 1200 px as JPEG, names it by its hash, serves it immutable, and audits the upload', async () => {
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(await photo(2400, 1600, 'jpeg'), 'photo.jpg', 'image/jpeg') });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { url: string; width: number; height: number; bytes: number; hash: string };
    expect(Object.keys(body).sort()).toEqual(['bytes', 'hash', 'height', 'url', 'width']);
    expect(body).toMatchObject({ width: 1200, height: 800 });
    expect(body.url).toBe(`https://news.example.com/media/${body.hash}.jpg`);
    expect(body.hash).toMatch(/^[0-9a-f]{64}$/);

    const onDisk = await readFile(join(mediaDir, `${body.hash}.jpg`));
    expect(onDisk.length).toBe(body.bytes);
    const meta = await sharp(onDisk).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 1200, height: 800 });

    const served = await h.server.inject({ url: `/media/${body.hash}.jpg` });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(served.headers['x-content-type-options']).toBe('nosniff');
    expect(served.rawPayload.equals(onDisk)).toBe(true);

    const entries = await h.app.stores.audit.list({});
    expect(entries.map((e) => [e.action, e.actor, e.target])).toContainEqual(['media.upload', 'api:editor', body.hash]);
  });

  it('never enlarges a small image, and strips its metadata (EXIF, GPS)', async () => {
    const small = await sharp(await photo(300, 200, 'jpeg'))
      .withExif({ IFD0: { Copyright: 'secret camera owner', Artist: 'Jane' } })
      .jpeg()
      .toBuffer();
    expect((await sharp(small).metadata()).exif).toBeDefined();
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(small, 'small.jpg', 'image/jpeg') });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { hash: string; width: number; height: number };
    expect(body).toMatchObject({ width: 300, height: 200 });
    const onDisk = await readFile(join(mediaDir, `${body.hash}.jpg`));
    const meta = await sharp(onDisk).metadata();
    expect(meta.exif).toBeUndefined();
    expect(onDisk.includes(Buffer.from('secret camera owner'))).toBe(false);
  });

  it('keeps PNG, and its transparency, for an image with transparent pixels', async () => {
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(await transparentPng(1600, 400), 'logo.png') });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { url: string; hash: string; width: number; height: number };
    expect(body.url).toMatch(/\/media\/[0-9a-f]{64}\.png$/);
    expect(body).toMatchObject({ width: 1200, height: 300 });
    const served = await h.server.inject({ url: `/media/${body.hash}.png` });
    expect(served.headers['content-type']).toBe('image/png');
    const { data, info } = await sharp(served.rawPayload).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    const alphaAt = (x: number, y: number) => data[(y * info.width + x) * info.channels + 3];
    expect(alphaAt(5, 5)).toBe(0); // the corner stays see-through
    expect(alphaAt(600, 150)).toBe(255); // the square stays solid
  });

  it('a PNG with an alpha channel but no transparent pixel becomes a JPEG', async () => {
    const opaque = await sharp({ create: { width: 400, height: 300, channels: 4, background: { r: 10, g: 120, b: 200, alpha: 1 } } }).png().toBuffer();
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(opaque) });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as { url: string }).url).toMatch(/\.jpg$/);
  });

  it('stores the same image once: the second upload answers the same URL', async () => {
    const image = await photo(800, 600);
    const first = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(image, 'a.png') });
    const second = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(image, 'renamed.png') });
    expect(first.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await storedFiles()).toEqual([`${(first.json() as { hash: string }).hash}.jpg`]);
    const audit = (await h.app.stores.audit.list({})).filter((e) => e.action === 'media.upload');
    expect(audit.map((e) => e.detail?.stored)).toEqual([true, false]);
  });

  it('refuses a file that is not an image, whatever its name and type say, and stores nothing', async () => {
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(Buffer.from('<html>not a picture</html>'.repeat(50)), 'photo.png', 'image/png') });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'not_an_image' });
    expect((res.json() as { error: string }).error).toMatch(/not an image/);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
    const refusedSvg = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(svg, 'logo.svg', 'image/svg+xml') });
    expect(refusedSvg.statusCode).toBe(415);
    expect(await storedFiles()).toEqual([]);
    expect((await h.app.stores.audit.list({})).filter((e) => e.action === 'media.upload')).toEqual([]);
  });

  it('refuses a 30 MB image with a 413 that says the limit, and stores nothing', async () => {
    // A real JPEG padded past the limit with a comment-free tail: its size alone decides.
    const big = Buffer.concat([await photo(200, 200, 'jpeg'), Buffer.alloc(30 * 1024 * 1024, 7)]);
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(big, 'huge.jpg', 'image/jpeg') });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'payload_too_large' });
    expect((res.json() as { error: string }).error).toContain('10 MB');
    expect(await storedFiles()).toEqual([]);
  });

  it('names what is wrong with the form', async () => {
    const none = await h.api(editor, { method: 'POST', url: '/api/media', ...multipartForm({ caption: 'x' }) });
    expect(none.statusCode).toBe(400);
    expect((none.json() as { problems: { path: string }[] }).problems.map((p) => p.path).sort()).toEqual(['caption', 'file']);
    const json = await h.api(editor, { method: 'POST', url: '/api/media', payload: { file: 'x' } });
    expect(json.statusCode).toBe(415);
  });

  it('needs an editor or admin token: read tokens and strangers are refused before the body is read', async () => {
    const image = upload(await photo(100, 100));
    expect((await h.api(await h.token('reader', 'read'), { method: 'POST', url: '/api/media', ...image })).statusCode).toBe(403);
    expect((await h.server.inject({ method: 'POST', url: '/api/media', ...image })).statusCode).toBe(401);
    expect((await h.api(await h.token('boss', 'admin'), { method: 'POST', url: '/api/media', ...image })).statusCode).toBe(200);
  });

  it('answers a 404 for names that are not stored images', async () => {
    for (const url of ['/media/nope.jpg', `/media/${'a'.repeat(64)}.jpg`, `/media/${'a'.repeat(64)}.svg`, '/media/..%2Fpackage.json']) {
      expect((await h.server.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('POST /admin/media: a signed-in session with the page’s CSRF token gets the same JSON', async () => {
    const d = dashboard(h.server);
    await d.signIn(PASSWORD);
    const csrf = csrfIn((await d.get('/admin/campaigns')).body);
    const image = upload(await photo(1300, 700));
    const refused = await d.request({ method: 'POST', url: '/admin/media', ...image });
    expect(refused.statusCode).toBe(403);
    expect(await storedFiles()).toEqual([]);
    const res = await d.request({ method: 'POST', url: '/admin/media', payload: image.payload, headers: { ...image.headers, 'x-csrf-token': csrf } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json() as { url: string; width: number; hash: string };
    expect(body).toMatchObject({ width: 1200 });
    expect(await storedFiles()).toEqual([`${body.hash}.jpg`]);
    expect((await h.app.stores.audit.list({})).map((e) => [e.action, e.actor])).toContainEqual(['media.upload', 'dashboard:admin']);

    const text = upload(Buffer.from('plain text, not a picture'), 'x.jpg', 'image/jpeg');
    const notImage = await d.request({ method: 'POST', url: '/admin/media', payload: text.payload, headers: { ...text.headers, 'x-csrf-token': csrf } });
    expect(notImage.statusCode).toBe(415);
    expect(notImage.json()).toMatchObject({ code: 'not_an_image' });
    expect((await h.server.inject({ method: 'POST', url: '/admin/media', ...image })).statusCode).toBe(401);
  });

  it('POST /admin/media: a read-only session may not upload', async () => {
    const d = dashboard(h.server);
    await d.signIn(await h.token('looker', 'read'));
    const csrf = csrfIn((await d.get('/admin/campaigns')).body);
    const image = upload(await photo(100, 100));
    const res = await d.request({ method: 'POST', url: '/admin/media', payload: image.payload, headers: { ...image.headers, 'x-csrf-token': csrf } });
    expect(res.statusCode).toBe(403);
    expect(await storedFiles()).toEqual([]);
  });
});

describe('S3 bucket (s3rver on loopback)', () => {
  let s3: S3rver;
  let s3Dir: string;
  let endpoint: string;

  beforeEach(async () => {
    s3Dir = await mkdtemp(join(tmpdir(), 'newsdesk-s3-'));
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir, configureBuckets: [{ name: 'newsdesk-media', configs: [] }] });
    const { port } = await s3.run();
    endpoint = `http://127.0.0.1:${port}`;
    h = await startHttp({
      env: {
        MEDIA_S3_BUCKET: 'newsdesk-media',
        MEDIA_S3_ENDPOINT: endpoint,
        MEDIA_S3_PREFIX: 'editions/',
        MEDIA_S3_ACCESS_KEY_ID: 'S3RVER',
        MEDIA_S3_SECRET_ACCESS_KEY: 'S3RVER',
      },
    });
    editor = await h.token('editor', 'editor');
  });
  afterEach(async () => {
    await h.close();
    await s3.close();
    await rm(s3Dir, { recursive: true, force: true });
  });

  it('puts the image in the bucket with its type and cache header, once, and answers the bucket URL', async () => {
    const image = await transparentPng(2000, 1000);
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(image, 'logo.png') });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { url: string; hash: string; bytes: number; width: number };
    expect(body.url).toBe(`${endpoint}/newsdesk-media/editions/${body.hash}.png`);
    expect(body.width).toBe(1200);

    const fetched = await fetch(body.url);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    expect(fetched.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const bytes = Buffer.from(await fetched.arrayBuffer());
    expect(bytes.length).toBe(body.bytes);
    expect((await sharp(bytes).metadata()).hasAlpha).toBe(true);

    // The app serves nothing itself when the bucket holds the images.
    expect((await h.server.inject({ url: `/media/${body.hash}.png` })).statusCode).toBe(404);

    const again = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(image, 'again.png') });
    expect(again.json()).toEqual(body);
    const audit = (await h.app.stores.audit.list({})).filter((e) => e.action === 'media.upload');
    expect(audit.map((e) => e.detail?.stored)).toEqual([true, false]);
  });

  it('stores nothing in the bucket for a refused upload', async () => {
    const res = await h.api(editor, { method: 'POST', url: '/api/media', ...upload(Buffer.from('GIF89a but not really'), 'x.gif', 'image/gif') });
    expect(res.statusCode).toBe(415);
    const listing = await fetch(`${endpoint}/newsdesk-media?list-type=2`);
    expect(await listing.text()).not.toContain('<Key>');
  });
});

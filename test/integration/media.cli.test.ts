/** `newsdesk media upload <file> [--json]` (README.md, "Images"), run as users run it, into a real media folder. */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runNewsdesk } from '../support/cli.ts';
import { useTestRedis } from '../support/redis.ts';

describe('newsdesk media upload', () => {
  const t = useTestRedis();
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'newsdesk-media-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    runNewsdesk(['media', 'upload', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...t().env, PUBLIC_URL: 'https://news.example.org', ...env },
    });

  it('stores the image in ./media and prints its URL; --json prints { url, width, height, bytes, hash }; audited', async () => {
    const file = join(dir, 'front page.png');
    await writeFile(file, await sharp({ create: { width: 1800, height: 900, channels: 3, background: '#884422' } }).png().toBuffer());
    const plain = await run([file]);
    expect(plain.stderr).toBe('');
    expect(plain.code).toBe(0);
    const url = plain.stdout.split('\n')[0] as string;
    expect(url).toMatch(/^https:\/\/news\.example\.org\/media\/[0-9a-f]{64}\.jpg$/);
    expect(plain.stdout).toContain('Stored: 1200×600');

    const json = await run([file, '--json']);
    expect(json.code).toBe(0);
    const answer = JSON.parse(json.stdout) as { url: string; width: number; height: number; bytes: number; hash: string };
    expect(answer).toMatchObject({ url, width: 1200, height: 600 });
    expect(json.stderr).toContain('Already stored');
    expect(await readdir(join(dir, 'media'))).toEqual([`${answer.hash}.jpg`]);
    const audit = (await t().stores.audit.list({})).filter((e) => e.action === 'media.upload');
    expect(audit.map((e) => [e.actor.startsWith('cli:'), e.target, e.detail?.stored])).toEqual([
      [true, answer.hash, true],
      [true, answer.hash, false],
    ]);
  });

  it('refuses a non-image and a file over MEDIA_MAX_BYTES with a clear line, storing nothing', async () => {
    const text = join(dir, 'notes.jpg');
    await writeFile(text, 'these are notes, not a photo\n'.repeat(100));
    const notImage = await run([text]);
    expect(notImage.code).not.toBe(0);
    expect(notImage.stderr).toMatch(/not an image/);
    const big = join(dir, 'big.png');
    await writeFile(big, await sharp({ create: { width: 400, height: 400, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).png().toBuffer());
    const tooLarge = await run([big], { MEDIA_MAX_BYTES: '2048' });
    expect(tooLarge.code).not.toBe(0);
    expect(tooLarge.stderr).toMatch(/larger than this server takes \(2 KB, MEDIA_MAX_BYTES\)/);
    const missing = await run([join(dir, 'nope.png')]);
    expect(missing.stderr).toMatch(/nope\.png: cannot be read \(ENOENT\)/);
    await expect(readdir(join(dir, 'media'))).rejects.toThrow(/ENOENT/);
  });
});

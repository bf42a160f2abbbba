/**
 * An API import is limited to `maxImportBytes` whichever way the CSV comes: as a multipart file
 * (the multipart plugin's limit) or as a `text/csv` body, whose parser hands the raw stream on and
 * so gets no limit from Fastify. Past the limit: 413, and nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpHarness, startHttp } from '../../support/http.ts';
import { snapshot } from '../../support/store-fixtures.ts';

const LIMIT = 4096;
let h: HttpHarness;
let base: string;
let token: string;

beforeAll(async () => {
  h = await startHttp({ server: { maxImportBytes: LIMIT } });
  await h.server.listen({ port: 0, host: '127.0.0.1' });
  const address = h.server.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  token = await h.token('importer');
  await h.app.stores.lists.create({ id: 'daily', name: 'Daily' });
});
afterAll(async () => {
  await h?.close();
});

/** `rows` readers as CSV text. */
const csv = (rows: number) => `email,name\n${Array.from({ length: rows }, (_, i) => `reader${i}@example.org,Reader ${i}`).join('\n')}\n`;

/** Redis under the test's prefix, without the token's last-use stamp (recorded on every request). */
async function data() {
  const all = await snapshot(h.t.redis, h.t.prefix);
  for (const key of all.keys()) if (key.includes('token')) all.delete(key);
  return all;
}

async function post(body: BodyInit, init: RequestInit = {}) {
  const res = await fetch(`${base}/api/lists/daily/import`, {
    method: 'POST',
    headers: { 'content-type': 'text/csv', authorization: `Bearer ${token}` },
    body,
    ...init,
  });
  return { status: res.status, json: (await res.json()) as { code: string; error: string; added?: number } };
}

describe('text/csv import body', () => {
  it('under the limit: imported', async () => {
    const small = csv(10);
    expect(Buffer.byteLength(small)).toBeLessThan(LIMIT);
    const a = await post(small);
    expect(a.status).toBe(200);
    expect(a.json.added).toBe(10);
  });

  it('past the limit with a Content-Length: 413, nothing written', async () => {
    const big = csv(400);
    expect(Buffer.byteLength(big)).toBeGreaterThan(LIMIT);
    const before = await data();
    const a = await post(big);
    expect(a.status).toBe(413);
    expect(a.json.code).toBe('payload_too_large');
    expect(await data()).toEqual(before);
  });

  it('past the limit sent chunked (no Content-Length): 413, nothing written', async () => {
    const chunk = new TextEncoder().encode(csv(100));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Four times the limit, in pieces, so only counting the stream can catch it.
        if (sent > LIMIT * 4) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const before = await data();
    const a = await post(stream, { duplex: 'half' } as RequestInit);
    expect(a.status).toBe(413);
    expect(await data()).toEqual(before);
  });
});

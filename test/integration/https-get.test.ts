/**
 * The webhooks' one outgoing GET (SNS certificates and subscription confirmations) against a real
 * HTTP server on loopback: a redirect is refused and its target never asked for, and a failing
 * status, a silent server and an oversized body are refused too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { httpsGetter } from '../../src/http/webhooks/https-get.ts';

let server: Server;
let base: string;
const asked: string[] = [];

beforeEach(async () => {
  asked.length = 0;
  server = createServer((req, res) => {
    asked.push(String(req.url));
    if (req.url === '/cert.pem') return void res.end('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    if (req.url === '/moved.pem') return void res.writeHead(302, { location: `${base}/elsewhere.pem` }).end();
    if (req.url === '/elsewhere.pem') return void res.end('a certificate of somebody else');
    if (req.url === '/broken.pem') return void res.writeHead(500).end('oops');
    if (req.url === '/huge.pem') {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'A');
      for (let i = 0; i < 64; i++) res.write(chunk);
      return void res.end();
    }
    // /silent.pem: never answers.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('httpsGetter', () => {
  it('gives back the body as served', async () => {
    expect(await httpsGetter()(`${base}/cert.pem`)).toBe('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  });

  it('refuses a redirect, and never asks for where it points', async () => {
    const refused = await httpsGetter()(`${base}/moved.pem`).catch((e: unknown) => e);
    expect((refused as Error & { cause?: Error }).cause?.message).toBe('unexpected redirect');
    expect(asked).toEqual(['/moved.pem']);
  });

  it('refuses a failing status, naming it', async () => {
    await expect(httpsGetter()(`${base}/broken.pem`)).rejects.toThrow('HTTP 500');
  });

  it('refuses a body larger than the limit', async () => {
    await expect(httpsGetter({ maxBytes: 64 * 1024 })(`${base}/huge.pem`)).rejects.toThrow('the answer is larger than 65536 bytes');
    expect(await httpsGetter({ maxBytes: 2 * 1024 * 1024 })(`${base}/huge.pem`)).toHaveLength(1024 * 1024);
  });

  it('gives up on a server that does not answer', async () => {
    await expect(httpsGetter({ timeoutMs: 300 })(`${base}/silent.pem`)).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

/**
 * The HTTP server over the real pipeline for tests: Redis under a fresh prefix, a loopback SMTP
 * server, optionally the workers, and `buildServer` driven with `inject`.
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiTokenScope } from '../../src/domain/api-token.schema.ts';
import { buildServer, type ServerOptions } from '../../src/http/server.ts';
import { type Pipeline, type PipelineOptions, startPipeline } from './pipeline.ts';

export interface HttpHarness extends Pipeline {
  server: FastifyInstance;
  /** A fresh API token (created in the store, as `newsdesk tokens create` does); `admin` scope unless told. */
  token(name?: string, scope?: ApiTokenScope): Promise<string>;
  /** `inject` with `Authorization: Bearer <token>`. */
  api(token: string, opts: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function startHttp(opts: PipelineOptions & { server?: ServerOptions } = {}): Promise<HttpHarness> {
  const pipeline = await startPipeline({ workers: false, ...opts });
  const server = buildServer(pipeline.app, { logger: false, ...opts.server });
  let n = 0;
  return {
    ...pipeline,
    server,
    async token(name, scope = 'admin') {
      return (await pipeline.app.stores.apiTokens.create(name ?? `test token ${++n}`, { scope })).token;
    },
    api(token, inject) {
      return server.inject({ ...inject, headers: { ...inject.headers, authorization: `Bearer ${token}` } });
    },
    async close() {
      await server.close();
      await pipeline.close();
    },
  };
}

/** A urlencoded form body. */
export function form(fields: Record<string, string | string[]>): { payload: string; headers: Record<string, string> } {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const one of Array.isArray(v) ? v : [v]) params.append(k, one);
  return { payload: params.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
}

/** A multipart/form-data body, written by hand so the test controls every byte. */
export function multipartForm(
  fields: Record<string, string>,
  file?: { field: string; name: string; type: string; content: string | Buffer },
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----newsdesk-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  if (file) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** A cookie jar for `inject`: keeps what the server sets, sends it back. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  /** Takes the cookies a response set (and forgets those it cleared). */
  take(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const cleared = c.value === '' || c.maxAge === 0 || (c.expires !== undefined && c.expires.getTime() <= Date.now());
      if (cleared) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  has(name: string): boolean {
    return this.cookies.has(name);
  }
}

/** The CSRF token in a dashboard page's first form. */
export function csrfIn(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF token on the page');
  return m[1] as string;
}

/** A dashboard browser: cookies kept between requests, forms posted with the page's CSRF token. */
export function dashboard(server: FastifyInstance) {
  const jar = new CookieJar();
  const request = async (opts: InjectOptions) =>
    jar.take(await server.inject({ ...opts, headers: { ...opts.headers, ...(jar.header() ? { cookie: jar.header() } : {}) } }));
  return {
    jar,
    get: (url: string) => request({ url }),
    /** Posts a urlencoded form; `csrf` defaults to the token of a fresh GET of `from`. */
    async post(url: string, fields: Record<string, string | string[]>, opts: { from?: string; csrf?: string | null } = {}) {
      let csrf = opts.csrf;
      if (csrf === undefined) csrf = csrfIn((await request({ url: opts.from ?? '/admin/campaigns' })).body);
      return request({ method: 'POST', url, ...form({ ...fields, ...(csrf === null ? {} : { _csrf: csrf }) }) });
    },
    request,
    async signIn(secret: string) {
      const page = await request({ url: '/admin/login' });
      return request({ method: 'POST', url: '/admin/login', ...form({ secret, _csrf: csrfIn(page.body) }) });
    },
  };
}

/**
 * The worker's own small HTTP server (`newsdesk worker --metrics-port`): `GET /metrics` for
 * Prometheus and `GET /healthz` for a liveness probe, nothing else. node:http, no framework: a
 * worker loads nothing it does not need.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NewsdeskError } from '../domain/errors.ts';

export interface MetricsServerOptions {
  port: number;
  /** Default 127.0.0.1: the figures are open to anyone who can connect. */
  host?: string | undefined;
  /** The exposition text and its content type. */
  metrics: { render(): Promise<string>; contentType: string };
  /** Resolves when the process is healthy (Redis answers); rejects with why not. */
  health: () => Promise<void>;
  /** How long `health` may take. Default 2 s. */
  healthTimeoutMs?: number | undefined;
}

export interface MetricsServer {
  /** `http://host:port`. */
  url: string;
  /** Stops listening and ends open connections. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts listening. @throws NewsdeskError (`listen_failed`) when the port cannot be had. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.healthTimeoutMs ?? 2000;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'only GET\n');
    if (path === '/metrics') {
      opts.metrics.render().then(
        (text) => send(200, opts.metrics.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      let timer: NodeJS.Timeout | undefined;
      Promise.race([opts.health(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)))])
        .then(
          () => send(200, 'application/json', '{"status":"ok","redis":"up"}\n'),
          (err: unknown) => send(503, 'application/json', `${JSON.stringify({ status: 'unavailable', redis: 'down', error: String(err) })}\n`),
        )
        .finally(() => clearTimeout(timer));
      return;
    }
    send(404, 'text/plain', 'not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new NewsdeskError('listen_failed', `--metrics-port: cannot listen on ${host}:${opts.port}: ${err.message}`)));
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** `GET /healthz` (is Redis answering?, open to all) and `GET /metrics` (Prometheus, with an API token). */
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { App } from '../app.ts';
import type { Metrics } from './metrics.ts';

export interface HealthRoutesOptions {
  app: App;
  metrics: Metrics;
  /** Who may read /metrics (runs before the handler). */
  authorizeMetrics: onRequestHookHandler;
  /** How long Redis may take to answer PING before the check fails. Default 2 s. */
  redisTimeoutMs?: number;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (server, opts) => {
  const { app, metrics } = opts;
  const timeoutMs = opts.redisTimeoutMs ?? 2000;

  server.get('/healthz', { schema: { hide: true } }, async (req, reply) => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        app.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return reply.header('cache-control', 'no-store').send({ status: 'ok', redis: 'up' });
    } catch (err) {
      req.log.warn({ err: String(err) }, 'health check: Redis is not answering');
      return reply.code(503).header('cache-control', 'no-store').send({ status: 'unavailable', redis: 'down' });
    } finally {
      clearTimeout(timer);
    }
  });

  server.get('/metrics', { schema: { hide: true }, config: { access: 'metrics' }, onRequest: opts.authorizeMetrics }, async (_req, reply) => {
    const text = await metrics.render();
    return reply.header('cache-control', 'no-store').type(metrics.contentType).send(text);
  });
};

/**
 * What a command needs, built on first use: the config, a Redis connection, the stores.
 * Commands that never touch Redis (compose) never connect; the connection is closed when the
 * command ends, whatever happened.
 */
import { userInfo } from 'node:os';
import pino from 'pino';
import { type App, createApp } from '../app.ts';
import { loadConfig, type Config } from '../config.ts';
import type { AuditEntry, AuditEvent } from '../domain/audit.schema.ts';
import { connectRedis, createRedis, describeRedis, type RedisClient } from '../store/redis.ts';
import { createStores, type Stores, storesSettings } from '../store/stores.ts';

export interface CommandContext {
  /** The parsed environment. @throws ConfigError */
  config(): Config;
  /** The stores over a connected Redis. @throws RedisUnavailableError with one clear sentence. */
  stores(): Promise<Stores>;
  /** The whole app (stores, campaigns, queues) over one fail-fast connection. */
  app(): Promise<App>;
  /** Records an operator action in the audit log, as `cli:<os user>`. */
  audit(event: Omit<AuditEvent, 'actor'>): Promise<AuditEntry>;
  /** Closes the connection if one was opened. Safe to call twice. */
  close(): Promise<void>;
}

/** `cli:<os user>`: who runs the command, as far as this machine knows. */
export function cliActor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = 'unknown'; // no passwd entry for this uid (some containers)
  }
  return `cli:${user || 'unknown'}`;
}

export interface ContextOptions {
  /** Environment to read. Default: `process.env` (through loadConfig). */
  env?: Record<string, string | undefined>;
}

export function createContext(options: ContextOptions = {}): CommandContext {
  let config: Config | undefined;
  let redis: RedisClient | undefined;
  let stores: Promise<Stores> | undefined;
  let app: Promise<App> | undefined;
  const getConfig = () => (config ??= options.env ? loadConfig(options.env) : loadConfig());
  return {
    config: getConfig,
    stores() {
      stores ??= (async () => {
        const { redis: settings } = getConfig();
        // A command is one short run: fail at once rather than retry in the background forever.
        redis = createRedis(settings, { retryStrategy: () => null, connectTimeout: 5_000, maxRetriesPerRequest: 1 });
        // Failures reach the command as rejected calls; without a listener ioredis would also log them.
        redis.on('error', () => {});
        await connectRedis(redis, describeRedis(settings));
        return createStores({ redis, ...storesSettings(getConfig()) });
      })();
      return stores;
    },
    async audit(event) {
      // Over the app's connection when the command opened one, so it is not a second.
      const stores = app ? (await app).stores : await this.stores();
      return stores.audit.record({ ...event, actor: cliActor() });
    },
    app() {
      app ??= createApp(getConfig(), {
        // A command's log lines would bury its output; warnings and errors still show.
        logger: pino({ level: 'warn' }, pino.destination(2)),
        redisOptions: { retryStrategy: () => null, connectTimeout: 5_000 },
      });
      return app;
    },
    async close() {
      if (app) {
        const a = app;
        app = undefined;
        await a.then((x) => x.close()).catch(() => {});
      }
      const r = redis;
      redis = undefined;
      if (!r || r.status === 'end') return;
      try {
        await r.quit();
      } catch {
        r.disconnect();
      }
    },
  };
}

/** Runs `fn` with a fresh context and closes it afterwards. */
export async function withContext<T>(fn: (ctx: CommandContext) => Promise<T>, options: ContextOptions = {}): Promise<T> {
  const ctx = createContext(options);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

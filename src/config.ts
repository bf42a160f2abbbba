/**
 * The only reader of `process.env`. Every setting newsdesk takes from its environment is parsed
 * here with zod; a bad value is reported by its variable name, all of them at once.
 */
import { z } from 'zod';
import { NewsdeskError } from './domain/errors.ts';

/** Used when NEWSDESK_SECRET is unset outside production, so the demo runs with no setup. */
export const DEV_SECRET = 'newsdesk-dev-secret-do-not-use-in-production';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);

/** A URL whose scheme is one of `protocols` (e.g. `['redis:', 'rediss:']`). */
const urlOf = (protocols: string[], hint: string) =>
  z.string().refine((u) => {
    try {
      return protocols.includes(new URL(u).protocol);
    } catch {
      return false;
    }
  }, hint);

const redisUrl = urlOf(['redis:', 'rediss:'], 'must be a URL like redis://host:6379/0').refine((u) => {
  const path = URL.canParse(u) ? new URL(u).pathname.replace(/^\//, '') : '';
  return path === '' || /^\d{1,2}$/.test(path);
}, 'the path, if any, must be a database index such as /5');

/** `host:port,host:port`: seed nodes of a Redis Cluster (any few of its masters will do). */
const clusterNodes = z
  .string()
  .transform((v, ctx) => {
    const nodes: RedisNode[] = [];
    for (const entry of v.split(',').map((e) => e.trim()).filter(Boolean)) {
      const m = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$/.exec(entry);
      const port = Number(m?.[2]);
      if (!m || port < 1 || port > 65535) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not host:port (e.g. 10.0.0.5:7000,10.0.0.6:7000)` });
        return z.NEVER;
      }
      nodes.push({ host: (m[1] as string).replace(/^\[|\]$/g, ''), port });
    }
    if (!nodes.length) {
      ctx.addIssue({ code: 'custom', message: 'needs at least one host:port' });
      return z.NEVER;
    }
    return nodes;
  });

const smtpUrl = urlOf(['smtp:', 'smtps:'], 'must be a URL like smtp://user:pass@host:587 or smtps://…');

const httpUrl = urlOf(['http:', 'https:'], 'must be a URL like https://news.example.com').transform((u) =>
  u.replace(/\/+$/, ''),
);

/** The raw environment schema: variable name → rule. Defaults are the embedded dev setup. */
const Env = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    /** Redis for the store and the queues; the path selects the database index (`/5`). */
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    /**
     * Seed nodes of a Redis Cluster, `host:port,host:port`. When set, newsdesk talks to the cluster
     * (REDIS_URL then only lends its user, password and `rediss:` TLS, and must name no database).
     */
    REDIS_CLUSTER_NODES: clusterNodes.optional(),
    /** Key prefix inside Redis so several installations or test runs share one server. */
    NEWSDESK_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only, at most 64')
      .default('newsdesk'),
    /** Outgoing mail. Unset: the embedded dev outbox on loopback, saving .eml files. */
    SMTP_URL: smtpUrl.optional(),
    /** Connections in the SMTP pool of each worker process. */
    SMTP_POOL_SIZE: int(1, 100).default(5),
    /** The SMTP client: newsdesk's own (fast, the default) or nodemailer's pool (the fallback). */
    SMTP_CLIENT: z.enum(['newsdesk', 'nodemailer']).default('newsdesk'),
    /** Where the dev outbox writes messages when SMTP_URL is unset. */
    OUTBOX_DIR: z.string().min(1).default('outbox'),
    /** The public address of `newsdesk serve`, used in every link the composer writes. */
    PUBLIC_URL: httpUrl.default('http://localhost:3000'),
    /** Port `newsdesk serve` listens on. */
    PORT: int(1, 65535).default(3000),
    /** HMAC key for unsubscribe, view and confirmation tokens; at least 32 characters. */
    NEWSDESK_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    /** The previous secret, still accepted for verification during a rotation. */
    NEWSDESK_SECRET_PREVIOUS: z.string().min(32, 'must be at least 32 characters').optional(),
    /** Folder holding `<id>.yaml` newsletter definitions. */
    NEWSLETTERS_DIR: z.string().min(1).default('newsletters'),
    /** Global send rate across all workers, messages per second; 0 means unlimited. */
    SEND_RATE_PER_SECOND: int(0).default(0),
    /** Optional global cap per rolling hour; 0 means none. */
    SEND_RATE_PER_HOUR: int(0).default(0),
    /** Attempts for a message that meets transient SMTP failures (4xx, network). */
    SEND_ATTEMPTS: int(1, 50).default(8),
    /** First retry delay in ms; each further attempt doubles it. */
    SEND_BACKOFF_MS: int(10).default(30_000),
    /** Recipients per send-batch job. */
    SEND_BATCH_SIZE: int(1, 10_000).default(100),
    /**
     * How long a worker's hold on a job lasts without renewal (ms): after a worker dies, its jobs
     * are taken over within about twice this. Renewed every half of it while the worker lives.
     */
    WORKER_LOCK_MS: int(1_000, 600_000).default(30_000),
    /**
     * Days a finished, cancelled or failed campaign keeps its per-recipient delivery records (who was
     * sent, failed, skipped); its counts and summary stay. 0 keeps them for ever. About 155 bytes
     * of Redis per recipient, so 100,000 a day is ~450 MB at 30 days.
     */
    DELIVERY_RETENTION_DAYS: int(0, 3650).default(30),
    /** DKIM signing; all three or none. */
    DKIM_DOMAIN: z.string().min(1).optional(),
    DKIM_SELECTOR: z.string().min(1).optional(),
    /** PEM private key, or a path to a file holding it. */
    DKIM_PRIVATE_KEY: z.string().min(1).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Password for the dashboard (`/admin`); unset, only API tokens sign in. */
    NEWSDESK_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(200, 'at most 200 characters').optional(),
    /** Reverse proxies in front of `newsdesk serve` whose X-Forwarded-For is believed (client IPs for rate limits). */
    TRUST_PROXY: int(0, 10).default(0),
    /** Sign-ups (`POST /subscribe`) one IP address may make per minute. */
    SUBSCRIBE_RATE_PER_MINUTE: int(1, 10_000).default(10),
    /** Clicks and opens this many seconds after the message was sent count as machine (link scanners); 0 turns the rule off. */
    TRACKING_SCANNER_WINDOW_SECONDS: int(0, 3600).default(10),
    /** Per-reader mode: clicks of one message each within this many seconds of the last, covering every link, are machine. */
    TRACKING_BURST_SECONDS: z.coerce.number().min(0).max(60).default(1),
    /** Per-reader mode: days click and open events are kept. */
    TRACKING_RETENTION_DAYS: int(1, 3650).default(90),
  })

/** Rules that tie variables together, checked on the raw values so they report alongside the rest. */
function crossProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const dkim = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'];
  if (dkim.some((n) => env[n]) && !dkim.every((n) => env[n])) {
    for (const n of dkim) if (!env[n]) problems.push(`${n}: required when any DKIM_* variable is set`);
  }
  if (env.REDIS_CLUSTER_NODES && env.REDIS_URL && URL.canParse(env.REDIS_URL) && !/^\/?0?$/.test(new URL(env.REDIS_URL).pathname)) {
    problems.push('REDIS_URL: a Redis Cluster has only database 0; drop the /index when REDIS_CLUSTER_NODES is set');
  }
  if (env.NODE_ENV === 'production' && !env.NEWSDESK_SECRET) problems.push('NEWSDESK_SECRET: required in production');
  return problems;
}

/** One Redis Cluster seed node. */
export interface RedisNode {
  host: string;
  port: number;
}

export interface Config {
  env: 'development' | 'production' | 'test';
  /** `cluster`: seed nodes when REDIS_CLUSTER_NODES is set; then `url` only carries credentials and TLS. */
  redis: { url: string; db: number; prefix: string; cluster?: RedisNode[] | undefined };
  /** Undefined: use the embedded dev outbox. */
  smtp: { url: string | undefined; poolSize: number; client: 'newsdesk' | 'nodemailer'; outboxDir: string };
  publicUrl: string;
  port: number;
  /** First is used to sign; all are accepted when verifying. */
  secrets: string[];
  /** True when NEWSDESK_SECRET was unset and the dev secret is in use. */
  devSecret: boolean;
  newslettersDir: string;
  send: {
    ratePerSecond: number;
    ratePerHour: number;
    attempts: number;
    backoffMs: number;
    batchSize: number;
    /** See WORKER_LOCK_MS. */
    lockMs: number;
    /** See DELIVERY_RETENTION_DAYS. */
    deliveryRetentionDays: number;
  };
  dkim: { domain: string; selector: string; privateKey: string } | undefined;
  logLevel: string;
  /** Click and open tracking: see TRACKING_SCANNER_WINDOW_SECONDS, TRACKING_BURST_SECONDS, TRACKING_RETENTION_DAYS. */
  tracking: { scannerWindowSeconds: number; burstSeconds: number; retentionDays: number };
  /** `newsdesk serve`: see NEWSDESK_ADMIN_PASSWORD, TRUST_PROXY, SUBSCRIBE_RATE_PER_MINUTE. */
  http: { adminPassword: string | undefined; trustProxy: number; subscribeRatePerMinute: number };
}

/** Thrown when the environment does not parse; `problems` holds one line per bad variable. */
export class ConfigError extends NewsdeskError {
  constructor(readonly problems: string[]) {
    super('config_invalid', `invalid environment: ${problems.join('; ')}`);
  }
}

/**
 * Parses an environment (default `process.env`) into a {@link Config}.
 * @throws ConfigError naming every bad variable.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, the way shells and .env files usually mean them.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  const problems = [
    ...(parsed.error?.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message.replace(/^Invalid input: /, '')}`) ?? []),
    ...crossProblems(cleaned),
  ];
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  const dbPath = new URL(e.REDIS_URL).pathname.replace(/^\//, '');
  const secrets = [e.NEWSDESK_SECRET ?? DEV_SECRET, e.NEWSDESK_SECRET_PREVIOUS].filter((s): s is string => !!s);
  return {
    env: e.NODE_ENV,
    redis: { url: e.REDIS_URL, db: dbPath ? Number(dbPath) : 0, prefix: e.NEWSDESK_PREFIX, cluster: e.REDIS_CLUSTER_NODES },
    smtp: { url: e.SMTP_URL, poolSize: e.SMTP_POOL_SIZE, client: e.SMTP_CLIENT, outboxDir: e.OUTBOX_DIR },
    publicUrl: e.PUBLIC_URL,
    port: e.PORT,
    secrets,
    devSecret: !e.NEWSDESK_SECRET,
    newslettersDir: e.NEWSLETTERS_DIR,
    send: {
      ratePerSecond: e.SEND_RATE_PER_SECOND,
      ratePerHour: e.SEND_RATE_PER_HOUR,
      attempts: e.SEND_ATTEMPTS,
      backoffMs: e.SEND_BACKOFF_MS,
      batchSize: e.SEND_BATCH_SIZE,
      lockMs: e.WORKER_LOCK_MS,
      deliveryRetentionDays: e.DELIVERY_RETENTION_DAYS,
    },
    dkim:
      e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY
        ? { domain: e.DKIM_DOMAIN, selector: e.DKIM_SELECTOR, privateKey: e.DKIM_PRIVATE_KEY }
        : undefined,
    logLevel: e.LOG_LEVEL,
    tracking: { scannerWindowSeconds: e.TRACKING_SCANNER_WINDOW_SECONDS, burstSeconds: e.TRACKING_BURST_SECONDS, retentionDays: e.TRACKING_RETENTION_DAYS },
    http: { adminPassword: e.NEWSDESK_ADMIN_PASSWORD, trustProxy: e.TRUST_PROXY, subscribeRatePerMinute: e.SUBSCRIBE_RATE_PER_MINUTE },
  };
}

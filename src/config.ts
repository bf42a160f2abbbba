/**
 * The only reader of `process.env`. Every setting newsdesk takes from its environment is parsed
 * here with zod; a bad value is reported by its variable name, all of them at once.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { closestName } from './domain/did-you-mean.ts';
import { NewsdeskError } from './domain/errors.ts';
import { secretWeakness } from './domain/signing-secret.ts';
import { defaultDkimThreads } from './mail/dkim-pool.ts';
import { sendGridPublicKey } from './mail/esp/webhook-signatures.ts';

/**
 * Signs links when NEWSDESK_SECRET is unset, so the demo runs with no setup. It is public (it is
 * right here), so only the dev outbox on loopback may use it (see secret-guard.ts), and it is
 * refused as a value of NEWSDESK_SECRET or a previous secret.
 */
export const DEV_SECRET = 'newsdesk-dev-secret-do-not-use-in-production';

/** A signing secret: strong enough, and not the public development key. */
const signingSecret = z.string().superRefine((v, ctx) => {
  const weakness = v === DEV_SECRET ? 'is the public development key: set a secret of your own (newsdesk secret generate)' : secretWeakness(v);
  if (weakness) ctx.addIssue({ code: 'custom', message: weakness });
});

/** Previous secrets of a rotation, comma-separated, each held to the same rules. */
const previousSecrets = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(signingSecret).max(10, 'at most 10 previous secrets'));

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

/** `arn:aws:sns:<region>:<account>:<topic>`, comma-separated. */
const snsTopicArns = z.string().transform((v, ctx) => {
  const arns = v.split(',').map((a) => a.trim()).filter(Boolean);
  const bad = arns.filter((a) => !/^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(a));
  if (!arns.length || bad.length) {
    ctx.addIssue({ code: 'custom', message: `not an SNS topic ARN (arn:aws:sns:us-east-1:123456789012:ses-bounces): ${bad.join(', ') || '(empty)'}` });
    return z.NEVER;
  }
  return arns;
});

/** IPv4 or IPv6 addresses, comma-separated. */
const ipList = z.string().transform((v, ctx) => {
  const ips = v.split(',').map((a) => a.trim()).filter(Boolean);
  const bad = ips.filter((ip) => isIP(ip) === 0);
  if (!ips.length || bad.length) {
    ctx.addIssue({ code: 'custom', message: `not an IP address: ${bad.join(', ') || '(empty)'}` });
    return z.NEVER;
  }
  return ips;
});

const sendGridKey = z.string().refine((k) => {
  try {
    sendGridPublicKey(k);
    return true;
  } catch {
    return false;
  }
}, 'must be the ECDSA P-256 public key SendGrid shows for the signed Event Webhook (base64, or PEM)');

const imapUrl = urlOf(['imap:', 'imaps:'], 'must be a URL like imaps://user:pass@imap.example.com:993/INBOX').refine((u) => {
  const url = URL.canParse(u) ? new URL(u) : undefined;
  return !!url?.username && !!url.password;
}, 'needs the mailbox user and password: imaps://user:pass@host/INBOX (%-encode special characters)');

const imapFolder = z.string().min(1).max(200).regex(/^[^\r\n*%]+$/, 'a folder name (no *, % or line breaks)');

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
    /** CAs to trust for the relay's certificate: PEM text, or a path to a file holding it. */
    SMTP_TLS_CA: z.string().min(1).optional(),
    /** The name the relay's certificate must carry, when SMTP_URL names it by address. */
    SMTP_TLS_SERVERNAME: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'must be a host name such as mail.example.com').optional(),
    /** 1: accept a relay certificate that does not verify (warned about at every start). */
    SMTP_TLS_INSECURE: z.enum(['0', '1'], { message: 'must be 1 (accept an unverifiable certificate) or 0' }).default('0'),
    /** Where the dev outbox writes messages when SMTP_URL is unset. */
    OUTBOX_DIR: z.string().min(1).default('outbox'),
    /** The public address of `newsdesk serve`, used in every link the composer writes. */
    PUBLIC_URL: httpUrl.default('http://localhost:3000'),
    /** Port `newsdesk serve` listens on. */
    PORT: int(1, 65535).default(3000),
    /**
     * HMAC key for unsubscribe, view and confirmation links: at least 32 characters, at least 10
     * different ones, never the development key (`newsdesk secret generate` prints one).
     */
    NEWSDESK_SECRET: signingSecret.optional(),
    /**
     * Earlier secrets, comma-separated, still accepted for links already mailed during a rotation;
     * new links name the key they were signed with, so each is checked against one key.
     */
    NEWSDESK_SECRET_PREVIOUS: previousSecrets.optional(),
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
     * How long a worker's hold on a job lasts without renewal (ms). Renewed every half of it while
     * the worker lives; after a worker dies its jobs are taken over within about this plus
     * WORKER_STALLED_CHECK_MS (docs/reliability.md, "Recovery timing").
     */
    WORKER_LOCK_MS: int(1_000, 600_000).default(5_000),
    /** How often the workers look for jobs whose lock lapsed (a dead worker's), in ms. */
    WORKER_STALLED_CHECK_MS: int(500, 600_000).default(2_000),
    /**
     * How long a claimed delivery is kept from other jobs (ms): longer than one SMTP transaction
     * can take. A dead worker's own batches take their claims back at once, whatever this says.
     */
    DELIVERY_LEASE_MS: int(10_000, 86_400_000).default(300_000),
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
    /**
     * A second DKIM signature, ed25519-sha256 (RFC 8463), beside the RSA one: both or neither, and
     * only with the three above (receivers such as Gmail and Yahoo check RSA only).
     */
    DKIM_ED25519_SELECTOR: z.string().min(1).optional(),
    /** Ed25519 PEM private key, or a path to a file holding it. */
    DKIM_ED25519_PRIVATE_KEY: z.string().min(1).optional(),
    /** Worker threads that sign (src/mail/dkim-pool.ts); 0 signs on the sending thread. Default: cores − 1, 1 to 4. */
    DKIM_THREADS: int(0, 64).optional(),
    /** `1`: run the TypeScript sources even where the `dist/` build is current (read by bin/build-check.js). */
    NEWSDESK_FROM_SOURCE: z.enum(['0', '1']).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Password for the dashboard (`/admin`); unset, only API tokens sign in. */
    NEWSDESK_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(200, 'at most 200 characters').optional(),
    /** Reverse proxies in front of `newsdesk serve` whose X-Forwarded-For is believed (client IPs for rate limits). */
    TRUST_PROXY: int(0, 10).default(0),
    /** Sign-ups (`POST /subscribe`) one IP address may make per minute; IPv6 counts per /64. */
    SUBSCRIBE_RATE_PER_MINUTE: int(1, 10_000).default(10),
    /** Clicks and opens this many seconds after the message was sent count as machine (link scanners); 0 turns the rule off. */
    TRACKING_SCANNER_WINDOW_SECONDS: int(0, 3600).default(10),
    /** Per-reader mode: clicks of one message each within this many seconds of the last, covering every link, are machine. */
    TRACKING_BURST_SECONDS: z.coerce.number().min(0).max(60).default(1),
    /** Per-reader mode: days click and open events are kept. */
    TRACKING_RETENTION_DAYS: int(1, 3650).default(90),
    /** A dashboard session ends after this many minutes without a request (besides its 12-hour limit). */
    ADMIN_SESSION_IDLE_MINUTES: int(1, 720).default(120),
    /** Days the audit log keeps an entry (it also keeps at most 100,000 entries). */
    AUDIT_RETENTION_DAYS: int(1, 3650).default(365),
    /** Domain of the return addresses (`bounces+…@`, `unsubscribe+…@`, `feedback@`). Default: each newsletter's From domain. */
    BOUNCE_DOMAIN: z
      .string()
      .regex(/^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/, 'must be a domain name like bounces.example.com')
      .transform((d) => d.toLowerCase())
      .optional(),
    /** Where feedback loops send their reports, comma-separated. Default `feedback@<BOUNCE_DOMAIN>` (any domain when that is unset). */
    INBOUND_FEEDBACK_ADDRESSES: z
      .string()
      .transform((v, ctx) => {
        const list = v.split(',').map((a) => a.trim().toLowerCase()).filter(Boolean);
        const bad = list.find((a) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(a));
        if (bad !== undefined || !list.length) {
          ctx.addIssue({ code: 'custom', message: `"${bad ?? v}" is not an address (e.g. feedback@bounces.example.com)` });
          return z.NEVER;
        }
        return list;
      })
      .optional(),
    /** Soft bounces within SOFT_BOUNCE_DAYS that make a subscriber bounced. */
    SOFT_BOUNCE_LIMIT: int(1, 1_000).default(5),
    SOFT_BOUNCE_DAYS: int(1, 365).default(15),
    /** Largest message `newsdesk inbound serve` accepts (bytes); only its first 2 MB are read. */
    INBOUND_MAX_BYTES: int(1_024, 100 * 1024 * 1024).default(25 * 1024 * 1024),
    /** Connections `newsdesk inbound serve` holds at once; more are refused with a 421. */
    INBOUND_MAX_CONNECTIONS: int(1, 10_000).default(100),
    /** PEM key and certificate (text or file paths) to offer STARTTLS on the inbound listener; both or neither. */
    INBOUND_TLS_KEY: z.string().min(1).optional(),
    INBOUND_TLS_CERT: z.string().min(1).optional(),
    /** Blocks about the sender from one mailbox provider in one campaign before a warning. */
    SENDER_ALERT_THRESHOLD: int(1, 1_000_000).default(10),
    /**
     * Amazon SES via SNS: the SNS topic ARNs whose notifications `POST /webhooks/ses` takes,
     * comma-separated. Unset: the route answers 404.
     */
    SES_SNS_TOPIC_ARNS: snsTopicArns.optional(),
    /** Postmark: the HTTP Basic credentials put in the webhook URL; both or neither. */
    POSTMARK_WEBHOOK_USER: z.string().min(1).max(100).regex(/^[^:]+$/, 'must not contain ":"').optional(),
    POSTMARK_WEBHOOK_PASSWORD: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
    /** Optional: the only client addresses `POST /webhooks/postmark` takes, comma-separated. */
    POSTMARK_WEBHOOK_IPS: ipList.optional(),
    /** SendGrid: the signed Event Webhook's verification key (base64 DER, as SendGrid shows it, or PEM). */
    SENDGRID_WEBHOOK_PUBLIC_KEY: sendGridKey.optional(),
    /** Mailgun: the webhook signing key (Mailgun's sending settings, "Webhook signing key"). */
    MAILGUN_WEBHOOK_SIGNING_KEY: z.string().min(16, 'must be at least 16 characters').max(200).optional(),
    /**
     * A bounce mailbox to poll: `imaps://user:pass@host:993/INBOX`, or `imap://…:143/INBOX` (then
     * STARTTLS is required, except on loopback). Unset: no poller.
     */
    INBOUND_IMAP_URL: imapUrl.optional(),
    /** Folder that processed messages move to (created if missing). */
    INBOUND_IMAP_DONE_FOLDER: imapFolder.default('newsdesk-processed'),
    /** Folder for messages that could not be read as mail at all (created if missing); never deleted. */
    INBOUND_IMAP_UNPARSED_FOLDER: imapFolder.default('newsdesk-unparsed'),
    /** Seconds between polls when the server has no IDLE (and the longest an IDLE lasts). */
    INBOUND_IMAP_POLL_SECONDS: int(5, 3600).default(60),
    /** Sign-ups one list takes per hour from everyone together (a botnet has many addresses); 0: no cap. */
    SUBSCRIBE_LIST_RATE_PER_HOUR: int(0, 1_000_000).default(500),
    /** Days an unconfirmed sign-up (and its confirmation link) waits for confirmation before it is deleted. */
    UNCONFIRMED_EXPIRY_DAYS: int(1, 365).default(7),
    /** `on`: `POST /subscribe` needs a solved ALTCHA proof-of-work challenge (`GET /altcha/challenge`). */
    SUBSCRIBE_PROOF_OF_WORK: z.enum(['on', 'off']).default('on'),
    /** The challenge's work: the solver tries up to this many PBKDF2 keys (half as many on average). */
    SUBSCRIBE_PROOF_OF_WORK_MAX: int(2, 1_000_000).default(5_000),
    /** Days a view-in-browser link keeps working after its message was sent; 0: for ever. */
    VIEW_LINK_MAX_AGE_DAYS: int(0, 3650).default(30),
    /** Where uploaded images are kept when MEDIA_S3_BUCKET is unset; served at `${PUBLIC_URL}/media/<hash>.<ext>`. */
    MEDIA_DIR: z.string().min(1).default('media'),
    /** Largest image an upload may be, in bytes (before resizing); larger ones are refused with a 413. */
    MEDIA_MAX_BYTES: int(1_024, 200 * 1024 * 1024).default(10 * 1024 * 1024),
    /** An S3 bucket for uploaded images instead of MEDIA_DIR (README.md, "Images"). */
    MEDIA_S3_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name: 3-63 lower-case letters, digits, dots and dashes')
      .optional(),
    /** The S3 API of an S3-compatible store (MinIO, R2, …); unset: AWS itself. */
    MEDIA_S3_ENDPOINT: httpUrl.optional(),
    /** The bucket's region (most S3-compatible stores take any). */
    MEDIA_S3_REGION: z.string().regex(/^[a-z0-9-]{1,40}$/, 'must be a region like us-east-1').default('us-east-1'),
    /** Folder inside the bucket, e.g. `newsdesk/media/`; default: the bucket's top. */
    MEDIA_S3_PREFIX: z
      .string()
      .regex(/^([A-Za-z0-9._-]+\/)*$/, 'must be folder names each ending in /, like newsdesk/media/')
      .max(200)
      .default(''),
    /** `on`: address the bucket as `<endpoint>/<bucket>` (MinIO and most S3-compatible stores). Default: on with MEDIA_S3_ENDPOINT, off for AWS. */
    MEDIA_S3_PATH_STYLE: z.enum(['on', 'off']).optional(),
    /** The bucket's keys; both or neither (neither: the AWS SDK's usual chain, AWS_ACCESS_KEY_ID, a role…). */
    MEDIA_S3_ACCESS_KEY_ID: z.string().min(1).max(200).optional(),
    MEDIA_S3_SECRET_ACCESS_KEY: z.string().min(1).max(200).optional(),
    /**
     * Where readers fetch the bucket's images, e.g. a CDN `https://cdn.example.com/media` (an
     * image's URL is this, `/`, its key). Default: the bucket's own address.
     */
    MEDIA_PUBLIC_URL: httpUrl.optional(),
  })

/** Prefixes of newsdesk's own variables: an unknown name with one of these is most likely a typo. */
const OWN_PREFIXES = ['NEWSDESK_', 'SMTP_', 'SEND_', 'DKIM_', 'MEDIA_'];

/**
 * One warning per variable that looks like a newsdesk setting but is not one
 * (`NEWSDESK_SECERT`), naming the closest known setting. Such a variable is otherwise ignored
 * without a word, and the default it was meant to replace stays in force.
 */
export function unknownSettingWarnings(source: Record<string, string | undefined> = process.env): string[] {
  const known = Object.keys(Env.shape);
  return Object.keys(source)
    .filter((name) => OWN_PREFIXES.some((p) => name.startsWith(p)) && !known.includes(name))
    .sort()
    .map((name) => {
      const near = closestName(name, known);
      return `${name} is not a newsdesk setting and is ignored${near ? `; did you mean ${near}?` : ''}`;
    });
}

/**
 * Loads `.env` from `dir` (default: the current folder) into the environment, if the file is
 * there. Variables already set in the real environment win over the file, even when empty.
 * @returns the file read, or undefined when there is none
 * @throws ConfigError when the file exists but cannot be read
 */
export function loadDotEnv(dir: string = process.cwd()): string | undefined {
  const file = resolve(dir, '.env');
  if (!existsSync(file)) return undefined;
  try {
    // Node's own reader (20.12+): it leaves variables that are already set alone.
    process.loadEnvFile(file);
  } catch (err) {
    throw new ConfigError([`${file}: cannot be read (${(err as Error).message})`]);
  }
  return file;
}

/** Rules that tie variables together, checked on the raw values so they report alongside the rest. */
function crossProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  const dkim = ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY'];
  if (dkim.some((n) => env[n]) && !dkim.every((n) => env[n])) {
    for (const n of dkim) if (!env[n]) problems.push(`${n}: required when any DKIM_* variable is set`);
  }
  const ed25519 = ['DKIM_ED25519_SELECTOR', 'DKIM_ED25519_PRIVATE_KEY'];
  if (ed25519.some((n) => env[n])) {
    for (const n of ed25519) if (!env[n]) problems.push(`${n}: required when any DKIM_ED25519_* variable is set`);
    if (!dkim.some((n) => env[n])) problems.push('DKIM_ED25519_PRIVATE_KEY: an Ed25519 signature goes beside an RSA one: set DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY too');
  }
  if (env.REDIS_CLUSTER_NODES && env.REDIS_URL && URL.canParse(env.REDIS_URL) && !/^\/?0?$/.test(new URL(env.REDIS_URL).pathname)) {
    problems.push('REDIS_URL: a Redis Cluster has only database 0; drop the /index when REDIS_CLUSTER_NODES is set');
  }
  if (!!env.INBOUND_TLS_KEY !== !!env.INBOUND_TLS_CERT) {
    problems.push(`${env.INBOUND_TLS_KEY ? 'INBOUND_TLS_CERT' : 'INBOUND_TLS_KEY'}: required when the other INBOUND_TLS_* variable is set`);
  }
  // A claim must outlast the job lock: a lock renewed while a long send runs must not outlive the
  // claim that keeps other jobs off the delivery.
  const lockMs = Number(env.WORKER_LOCK_MS ?? 5_000);
  const leaseMs = Number(env.DELIVERY_LEASE_MS ?? 300_000);
  if (Number.isFinite(lockMs) && Number.isFinite(leaseMs) && leaseMs < 2 * lockMs) {
    problems.push(`DELIVERY_LEASE_MS: must be at least twice WORKER_LOCK_MS (${lockMs} ms), so a claim outlasts its job's lock`);
  }
  if (env.NODE_ENV === 'production' && !env.NEWSDESK_SECRET) problems.push('NEWSDESK_SECRET: required in production');
  if (!!env.POSTMARK_WEBHOOK_USER !== !!env.POSTMARK_WEBHOOK_PASSWORD) {
    problems.push(`${env.POSTMARK_WEBHOOK_USER ? 'POSTMARK_WEBHOOK_PASSWORD' : 'POSTMARK_WEBHOOK_USER'}: required when the other POSTMARK_WEBHOOK_* credential is set`);
  }
  if (env.POSTMARK_WEBHOOK_IPS && !env.POSTMARK_WEBHOOK_USER) problems.push('POSTMARK_WEBHOOK_IPS: needs POSTMARK_WEBHOOK_USER and POSTMARK_WEBHOOK_PASSWORD');
  if (env.INBOUND_IMAP_URL && URL.canParse(env.INBOUND_IMAP_URL)) {
    const mailbox = decodeURIComponent(new URL(env.INBOUND_IMAP_URL).pathname.replace(/^\//, '')) || 'INBOX';
    const done = env.INBOUND_IMAP_DONE_FOLDER ?? 'newsdesk-processed';
    const unparsed = env.INBOUND_IMAP_UNPARSED_FOLDER ?? 'newsdesk-unparsed';
    // The poller reads the mailbox until it is empty: moving mail into it again would loop.
    if (done === mailbox || unparsed === mailbox || done === unparsed) {
      problems.push(`INBOUND_IMAP_DONE_FOLDER: the done folder (${done}), the unparsed folder (${unparsed}) and the polled mailbox (${mailbox}) must be three different folders`);
    }
  }
  if (!!env.MEDIA_S3_ACCESS_KEY_ID !== !!env.MEDIA_S3_SECRET_ACCESS_KEY) {
    problems.push(`${env.MEDIA_S3_ACCESS_KEY_ID ? 'MEDIA_S3_SECRET_ACCESS_KEY' : 'MEDIA_S3_ACCESS_KEY_ID'}: required when the other MEDIA_S3_* key is set`);
  }
  if (!env.MEDIA_S3_BUCKET) {
    const s3Only = ['MEDIA_S3_ENDPOINT', 'MEDIA_S3_REGION', 'MEDIA_S3_PREFIX', 'MEDIA_S3_PATH_STYLE', 'MEDIA_S3_ACCESS_KEY_ID', 'MEDIA_S3_SECRET_ACCESS_KEY', 'MEDIA_PUBLIC_URL'];
    for (const n of s3Only) if (env[n]) problems.push(`${n}: needs MEDIA_S3_BUCKET (without it images are kept in MEDIA_DIR)`);
  }
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
  smtp: {
    url: string | undefined;
    poolSize: number;
    client: 'newsdesk' | 'nodemailer';
    outboxDir: string;
    /** SMTP_TLS_CA (as given: PEM or path), SMTP_TLS_SERVERNAME, SMTP_TLS_INSECURE. */
    tls: { ca: string | undefined; servername: string | undefined; insecure: boolean };
  };
  publicUrl: string;
  port: number;
  /** First is used to sign; all are accepted when verifying (NEWSDESK_SECRET, then NEWSDESK_SECRET_PREVIOUS). */
  secrets: string[];
  /** True when NEWSDESK_SECRET was unset and the dev secret is in use: see secret-guard.ts. */
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
    /** See WORKER_STALLED_CHECK_MS. */
    stalledCheckMs: number;
    /** See DELIVERY_LEASE_MS. */
    leaseMs: number;
    /** See DELIVERY_RETENTION_DAYS. */
    deliveryRetentionDays: number;
  };
  /** DKIM_*: `threads` signing threads (0: on the sending thread), `ed25519` the optional second signature. */
  dkim: { domain: string; selector: string; privateKey: string; ed25519?: { selector: string; privateKey: string }; threads: number } | undefined;
  logLevel: string;
  /** Click and open tracking: see TRACKING_SCANNER_WINDOW_SECONDS, TRACKING_BURST_SECONDS, TRACKING_RETENTION_DAYS. */
  tracking: { scannerWindowSeconds: number; burstSeconds: number; retentionDays: number };
  /** `newsdesk serve`: see NEWSDESK_ADMIN_PASSWORD, TRUST_PROXY, SUBSCRIBE_RATE_PER_MINUTE, ADMIN_SESSION_IDLE_MINUTES. */
  http: { adminPassword: string | undefined; trustProxy: number; subscribeRatePerMinute: number; sessionIdleMs: number };
  /** See AUDIT_RETENTION_DAYS. */
  audit: { retentionDays: number };
  /** Return mail: see BOUNCE_DOMAIN, INBOUND_*, SOFT_BOUNCE_*, SENDER_ALERT_THRESHOLD. */
  inbound: {
    /** Undefined: each newsletter's From domain. */
    bounceDomain: string | undefined;
    /** Lowercase; empty means `feedback@<any domain>` (BOUNCE_DOMAIN unset). */
    feedbackAddresses: string[];
    softBounce: { count: number; windowDays: number };
    maxBytes: number;
    maxConnections: number;
    tls: { key: string; cert: string } | undefined;
    senderAlertThreshold: number;
  };
  /** ESP event webhooks (`POST /webhooks/<provider>`); a provider left unset has no route. */
  webhooks: WebhookSettings;
  /** The bounce-mailbox poller; undefined when INBOUND_IMAP_URL is unset. */
  imap: ImapSettings | undefined;
  /** The public sign-up form: see the SUBSCRIBE_* variables and UNCONFIRMED_EXPIRY_DAYS. */
  signUp: {
    listRatePerHour: number;
    unconfirmedExpiryDays: number;
    proofOfWork: boolean;
    proofOfWorkMax: number;
  };
  /** See VIEW_LINK_MAX_AGE_DAYS (0: no limit). */
  viewLinkMaxAgeDays: number;
  /** Uploaded images: see MEDIA_*. */
  media: MediaSettings;
}

/** See MEDIA_DIR, MEDIA_MAX_BYTES, MEDIA_S3_*, MEDIA_PUBLIC_URL. */
export interface MediaSettings {
  maxBytes: number;
  /** The local folder; used when `s3` is undefined. */
  dir: string;
  /** Where a stored image's URL starts (no trailing slash): `${PUBLIC_URL}/media`, or the bucket's public address. */
  publicUrl: string;
  s3:
    | {
        bucket: string;
        endpoint: string | undefined;
        region: string;
        prefix: string;
        forcePathStyle: boolean;
        credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
      }
    | undefined;
}

/** See SES_SNS_TOPIC_ARNS, POSTMARK_WEBHOOK_*, SENDGRID_WEBHOOK_PUBLIC_KEY, MAILGUN_WEBHOOK_SIGNING_KEY. */
export interface WebhookSettings {
  ses: { topicArns: string[] } | undefined;
  postmark: { user: string; password: string; allowedIps: string[] | undefined } | undefined;
  sendgrid: { publicKey: string } | undefined;
  mailgun: { signingKey: string } | undefined;
}

/** See INBOUND_IMAP_*. */
export interface ImapSettings {
  /** The URL with its credentials; never log it (see `describe`). */
  url: string;
  /** The URL without its password, for logs and messages. */
  describe: string;
  doneFolder: string;
  unparsedFolder: string;
  pollSeconds: number;
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
  const secrets = [e.NEWSDESK_SECRET ?? DEV_SECRET, ...(e.NEWSDESK_SECRET_PREVIOUS ?? [])];
  return {
    env: e.NODE_ENV,
    redis: { url: e.REDIS_URL, db: dbPath ? Number(dbPath) : 0, prefix: e.NEWSDESK_PREFIX, cluster: e.REDIS_CLUSTER_NODES },
    smtp: {
      url: e.SMTP_URL,
      poolSize: e.SMTP_POOL_SIZE,
      client: e.SMTP_CLIENT,
      outboxDir: e.OUTBOX_DIR,
      tls: { ca: e.SMTP_TLS_CA, servername: e.SMTP_TLS_SERVERNAME, insecure: e.SMTP_TLS_INSECURE === '1' },
    },
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
      stalledCheckMs: e.WORKER_STALLED_CHECK_MS,
      leaseMs: e.DELIVERY_LEASE_MS,
      deliveryRetentionDays: e.DELIVERY_RETENTION_DAYS,
    },
    dkim:
      e.DKIM_DOMAIN && e.DKIM_SELECTOR && e.DKIM_PRIVATE_KEY
        ? {
            domain: e.DKIM_DOMAIN,
            selector: e.DKIM_SELECTOR,
            privateKey: e.DKIM_PRIVATE_KEY,
            ...(e.DKIM_ED25519_SELECTOR && e.DKIM_ED25519_PRIVATE_KEY ? { ed25519: { selector: e.DKIM_ED25519_SELECTOR, privateKey: e.DKIM_ED25519_PRIVATE_KEY } } : {}),
            threads: e.DKIM_THREADS ?? defaultDkimThreads(),
          }
        : undefined,
    logLevel: e.LOG_LEVEL,
    tracking: { scannerWindowSeconds: e.TRACKING_SCANNER_WINDOW_SECONDS, burstSeconds: e.TRACKING_BURST_SECONDS, retentionDays: e.TRACKING_RETENTION_DAYS },
    http: {
      adminPassword: e.NEWSDESK_ADMIN_PASSWORD,
      trustProxy: e.TRUST_PROXY,
      subscribeRatePerMinute: e.SUBSCRIBE_RATE_PER_MINUTE,
      sessionIdleMs: e.ADMIN_SESSION_IDLE_MINUTES * 60_000,
    },
    audit: { retentionDays: e.AUDIT_RETENTION_DAYS },
    inbound: {
      bounceDomain: e.BOUNCE_DOMAIN,
      feedbackAddresses: e.INBOUND_FEEDBACK_ADDRESSES ?? (e.BOUNCE_DOMAIN ? [`feedback@${e.BOUNCE_DOMAIN}`] : []),
      softBounce: { count: e.SOFT_BOUNCE_LIMIT, windowDays: e.SOFT_BOUNCE_DAYS },
      maxBytes: e.INBOUND_MAX_BYTES,
      maxConnections: e.INBOUND_MAX_CONNECTIONS,
      tls: e.INBOUND_TLS_KEY && e.INBOUND_TLS_CERT ? { key: e.INBOUND_TLS_KEY, cert: e.INBOUND_TLS_CERT } : undefined,
      senderAlertThreshold: e.SENDER_ALERT_THRESHOLD,
    },
    webhooks: {
      ses: e.SES_SNS_TOPIC_ARNS ? { topicArns: e.SES_SNS_TOPIC_ARNS } : undefined,
      postmark:
        e.POSTMARK_WEBHOOK_USER && e.POSTMARK_WEBHOOK_PASSWORD
          ? { user: e.POSTMARK_WEBHOOK_USER, password: e.POSTMARK_WEBHOOK_PASSWORD, allowedIps: e.POSTMARK_WEBHOOK_IPS }
          : undefined,
      sendgrid: e.SENDGRID_WEBHOOK_PUBLIC_KEY ? { publicKey: e.SENDGRID_WEBHOOK_PUBLIC_KEY } : undefined,
      mailgun: e.MAILGUN_WEBHOOK_SIGNING_KEY ? { signingKey: e.MAILGUN_WEBHOOK_SIGNING_KEY } : undefined,
    },
    imap: e.INBOUND_IMAP_URL
      ? {
          url: e.INBOUND_IMAP_URL,
          describe: withoutPassword(e.INBOUND_IMAP_URL),
          doneFolder: e.INBOUND_IMAP_DONE_FOLDER,
          unparsedFolder: e.INBOUND_IMAP_UNPARSED_FOLDER,
          pollSeconds: e.INBOUND_IMAP_POLL_SECONDS,
        }
      : undefined,
    signUp: {
      listRatePerHour: e.SUBSCRIBE_LIST_RATE_PER_HOUR,
      unconfirmedExpiryDays: e.UNCONFIRMED_EXPIRY_DAYS,
      proofOfWork: e.SUBSCRIBE_PROOF_OF_WORK === 'on',
      proofOfWorkMax: e.SUBSCRIBE_PROOF_OF_WORK_MAX,
    },
    viewLinkMaxAgeDays: e.VIEW_LINK_MAX_AGE_DAYS,
    media: mediaSettings(e),
  };
}

/** Where images go: the bucket when MEDIA_S3_BUCKET is set, else MEDIA_DIR served by the app. */
function mediaSettings(e: z.infer<typeof Env>): MediaSettings {
  const base = { maxBytes: e.MEDIA_MAX_BYTES, dir: e.MEDIA_DIR };
  if (!e.MEDIA_S3_BUCKET) return { ...base, publicUrl: `${e.PUBLIC_URL}/media`, s3: undefined };
  const forcePathStyle = e.MEDIA_S3_PATH_STYLE ? e.MEDIA_S3_PATH_STYLE === 'on' : e.MEDIA_S3_ENDPOINT !== undefined;
  const bucketUrl = e.MEDIA_S3_ENDPOINT
    ? forcePathStyle
      ? `${e.MEDIA_S3_ENDPOINT}/${e.MEDIA_S3_BUCKET}`
      : `${new URL(e.MEDIA_S3_ENDPOINT).protocol}//${e.MEDIA_S3_BUCKET}.${new URL(e.MEDIA_S3_ENDPOINT).host}`
    : `https://${e.MEDIA_S3_BUCKET}.s3.${e.MEDIA_S3_REGION}.amazonaws.com`;
  return {
    ...base,
    publicUrl: e.MEDIA_PUBLIC_URL ?? `${bucketUrl}${e.MEDIA_S3_PREFIX ? `/${e.MEDIA_S3_PREFIX.replace(/\/$/, '')}` : ''}`,
    s3: {
      bucket: e.MEDIA_S3_BUCKET,
      endpoint: e.MEDIA_S3_ENDPOINT,
      region: e.MEDIA_S3_REGION,
      prefix: e.MEDIA_S3_PREFIX,
      forcePathStyle,
      credentials:
        e.MEDIA_S3_ACCESS_KEY_ID && e.MEDIA_S3_SECRET_ACCESS_KEY ? { accessKeyId: e.MEDIA_S3_ACCESS_KEY_ID, secretAccessKey: e.MEDIA_S3_SECRET_ACCESS_KEY } : undefined,
    },
  };
}

function withoutPassword(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/**
 * The Redis connection and the names of every key newsdesk keeps.
 *
 * Every key sits under one hash tag, `{<prefix>}`, so all of them live in one Redis Cluster slot:
 * Lua scripts and multi-key commands may touch any of them, and BullMQ queues use the same tag.
 */
import { createHash } from 'node:crypto';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { NewsdeskError } from '../domain/errors.ts';

/**
 * A connection to one Redis server or to a Redis Cluster. The store, the queues and the workers
 * take either: every key shares one hash tag, so on a cluster all of them live in one slot.
 */
export type RedisClient = Redis | Cluster;

/** The `redis` part of {@link Config}. */
export interface RedisSettings {
  url: string;
  db: number;
  prefix: string;
  /** Seed nodes of a Redis Cluster; `url` then lends only its credentials and TLS. */
  cluster?: ReadonlyArray<{ host: string; port: number }> | undefined;
}

/**
 * Opens an ioredis client for `settings.url`, on the database index the URL names (`/5`), or an
 * ioredis `Cluster` over `settings.cluster`.
 * The client connects lazily; call {@link connectRedis} to connect and get a clear error.
 * @param overrides ioredis options, e.g. `{ retryStrategy: () => null }` for a one-shot command.
 *   On a cluster `retryStrategy` becomes the cluster's reconnect strategy and the rest applies
 *   to each node's connection.
 */
export function createRedis(settings: RedisSettings, overrides: RedisOptions = {}): RedisClient {
  if (!settings.cluster?.length) return new Redis(settings.url, { db: settings.db, lazyConnect: true, ...overrides });
  const { retryStrategy, enableOfflineQueue, ...nodeOptions } = overrides;
  const u = new URL(settings.url);
  return new Cluster([...settings.cluster], {
    lazyConnect: true,
    ...(retryStrategy !== undefined ? { clusterRetryStrategy: retryStrategy } : {}),
    ...(enableOfflineQueue !== undefined ? { enableOfflineQueue } : {}),
    redisOptions: {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      ...nodeOptions,
    },
  });
}

/** Where `settings` points, for messages: the URL without its password, or the cluster's seed nodes. */
export function describeRedis(settings: RedisSettings): string {
  return settings.cluster?.length ? `Redis Cluster ${settings.cluster.map((n) => `${n.host}:${n.port}`).join(',')}` : redactUrl(settings.url);
}

/** Redis did not answer; the message names the server (without its password) and the cause. */
export class RedisUnavailableError extends NewsdeskError {
  constructor(where: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    const hint = where.startsWith('Redis Cluster') ? 'REDIS_CLUSTER_NODES' : 'REDIS_URL';
    super('redis_unavailable', `Redis is not answering at ${redactUrl(where)} (${why}); is it running, and is ${hint} right?`, {
      cause,
    });
  }
}

function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Connects a lazily created client and checks it answers.
 * @param where names the server in the error: a URL (its password is hidden) or {@link describeRedis}.
 * @throws RedisUnavailableError with one clear sentence when it does not.
 */
export async function connectRedis<R extends RedisClient>(redis: R, where: string): Promise<R> {
  // ioredis rejects with "Connection is closed."; the socket error it emitted first says why.
  let cause: unknown;
  const remember = (err: unknown) => (cause ??= err);
  redis.on('error', remember);
  try {
    if (redis.status === 'wait') await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    // An ended client has nothing to close; disconnect() would arm a 2 s timer that delays exit.
    if (redis.status !== 'end') redis.disconnect();
    throw new RedisUnavailableError(where, cause ?? err);
  } finally {
    redis.off('error', remember);
  }
}

/**
 * Fixed number of email-index buckets. Small hashes stay in Redis's compact listpack encoding up
 * to 512 entries, so 16,384 buckets hold about 8 million addresses compactly. It can never change
 * without moving every entry: the bucket is part of the key.
 */
export const EMAIL_BUCKETS = 16_384;

/**
 * The small email index: subscribers with ids up to {@link SMALL_INDEX_IDS} are indexed in
 * 2,048 buckets (`{p}:email:s<n>`, about 64 addresses each when full), the rest in the
 * {@link EMAIL_BUCKETS} above. A key costs ~70 bytes however few addresses it holds, so an
 * installation of 20,000 spread over 16,384 keys paid ~50 bytes a subscriber for keys alone.
 * Lookups read both tables: entries written before the small one existed stay where they are.
 */
export const EMAIL_SMALL_BUCKETS = 2_048;
export const SMALL_INDEX_IDS = 131_072;

/** Subscriber records per bucket hash (`{p}:sub:<id div 100>`). */
export const RECORDS_PER_BUCKET = 100;

/** FNV-1a over UTF-16 code units: stable, fast, and only ever computed here. */
export function emailBucketOf(email: string): number {
  return fnv1a(email) % EMAIL_BUCKETS;
}

/** The bucket of the small email index ({@link EMAIL_SMALL_BUCKETS}). */
export function emailSmallBucketOf(email: string): number {
  return fnv1a(email) % EMAIL_SMALL_BUCKETS;
}

function fnv1a(email: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < email.length; i++) {
    h ^= email.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The name of every key newsdesk's store uses. */
export interface Keys {
  /** `{prefix}`: the hash tag. */
  readonly tag: string;
  /**
   * `{prefix}:bull`: the BullMQ queue prefix. Same hash tag (cluster-safe), own namespace: BullMQ's
   * job hash for queue `campaign` and a job id equal to a campaign id would otherwise be our key.
   */
  readonly queuePrefix: string;
  /** `{prefix}:*`, for SCAN MATCH. */
  readonly pattern: string;
  /** String: the last subscriber id handed out (INCR). */
  readonly subscriberSeq: string;
  /** Start of a record bucket key; Lua scripts append `<id div 100>`. */
  readonly subscriberBucketPrefix: string;
  /** Hash: `<id>` → compact JSON record, for ids `bucket*100 … bucket*100+99`. */
  subscriberBucket(id: number): string;
  /** Hash: normalized email → id, one of {@link EMAIL_BUCKETS}. */
  emailBucket(email: string): string;
  /** Hash: normalized email → id for ids up to {@link SMALL_INDEX_IDS}, one of {@link EMAIL_SMALL_BUCKETS}. */
  emailSmallBucket(email: string): string;
  /** Hash: normalized email → suppression JSON. */
  readonly suppression: string;
  /** Hash: list id → list JSON. */
  readonly lists: string;
  /** Start of per-list keys; Lua scripts append `<list id>:members` and `<list id>:left`. */
  readonly listPrefix: string;
  /** Bitmap: bit `<subscriber id>` set for each member. */
  listMembers(listId: string): string;
  /** Sorted set: subscriber id scored by when they left the list. */
  listLeft(listId: string): string;
  /** Bitmap of ids an import run has seen, to count in-file duplicates once. Temporary. */
  importSeen(runId: string): string;
  /** Hash: a campaign's fields and counters. */
  campaign(id: string): string;
  /** String: JSON of the compiled email and newsletter frozen with the campaign. */
  campaignContent(id: string): string;
  /** Hash: subscriber id → delivery record. */
  campaignDeliveries(id: string): string;
  /** Set: ids of send-batch jobs parked while the campaign is paused. */
  campaignParked(id: string): string;
  /** Hash: a finished campaign's compact ledger: base time, Message-ID domain, reply templates, progress (delivery-ledger.ts). */
  campaignLedger(id: string): string;
  /** Hash: id div 256 → packed deliveries of those 256 subscriber ids (ledger-codec.ts). */
  campaignLedgerBuckets(id: string): string;
  /** Hash: subscriber id → full delivery record, for those the compact form does not cover. */
  campaignLedgerExceptions(id: string): string;
  /** String with a TTL: held by the one compaction of the campaign's ledger under way. */
  campaignLedgerLock(id: string): string;
  /**
   * Hash: what readers did with a campaign, as counters only (no reader identity): clicks and
   * opens (`h:l<n>`, `m:l<n>`, `h:o`, `m:o`, `readers`) and unsubscribes by way (`unsub:oneClick`, `unsub:page`).
   */
  campaignClicks(id: string): string;
  /** Hash: epoch hour → human clicks (`c:<hour>`) and opens (`o:<hour>`). */
  campaignClickHours(id: string): string;
  /** Hash: epoch minute → messages sent, for the send timeline. */
  campaignSentMinutes(id: string): string;
  /** Hash with a TTL: a local-time campaign's zone buckets, `<zone>\t<page cursor>` → `{ at, readers }` JSON. */
  campaignZones(id: string): string;
  /** Hash zone → messages sent to that zone bucket (zone-progress.ts). */
  campaignZoneSent(id: string): string;
  /** Hash: newsletter id → its daily schedule's settings (JSON), beside the BullMQ job scheduler. */
  readonly schedules: string;
  /** Hash with a TTL: who claimed a newsletter's slot for one edition date, and what came of it. */
  scheduleClaim(newsletter: string, date: string): string;
  /** Hash: newsletter id → its last missed slot (JSON), the dashboard's banner. */
  readonly scheduleMissed: string;
  /** Hash: `<newsletter>|<reason>` → slots missed, for /metrics. */
  readonly scheduleMissedCounts: string;
  /** Hash with a TTL (per-reader mode): one reader's click state for one campaign. */
  readerClicks(campaignId: string, subscriberId: number): string;
  /** List with a TTL (per-reader mode): one reader's click and open events for one campaign. */
  readerClickEvents(campaignId: string, subscriberId: number): string;
  /** Set with a TTL (per-reader mode): campaigns holding click events of this reader, for export and erase. */
  readerCampaigns(subscriberId: number): string;
  /** Sorted set: campaign ids by creation time. */
  readonly campaigns: string;
  /** Hash: a stored edition's state and its current revision's facts (src/store/edition.store.ts). */
  edition(id: string): string;
  /** List: a stored edition's revisions, oldest first (revision N at index N-1), each a JSON record. */
  editionRevisions(id: string): string;
  /** String with a TTL: a campaign is being created to send this edition (one at a time). */
  editionSending(id: string): string;
  /** Sorted set: every stored edition's id, scored by its date (days since 1970-01-01). */
  readonly editions: string;
  /** Sorted set: one newsletter's stored edition ids, scored by date (days since 1970-01-01). */
  newsletterEditions(newsletterId: string): string;
  /** Hash: the global send-rate limiter's state. */
  readonly sendRate: string;
  /** Hash: the send limits every worker obeys (`perSecond`, `perHour`), set by `newsdesk limits set`. */
  readonly sendLimits: string;
  /** Sorted set: worker id scored by its last heartbeat (ms, Redis's clock). */
  readonly workers: string;
  /** String: when the last worker that stopped cleanly was last seen (ms). */
  readonly workersLastSeen: string;
  /** Hash with a TTL: campaign id → until (ms) of a send to this subscriber past its eligibility check. */
  sendsInProgress(subscriberId: number): string;
  /** Hash: API token id → token record (with the token's hash, never the token). */
  readonly apiTokens: string;
  /** Hash: API token name → id, so names stay unique. */
  readonly apiTokenNames: string;
  /** String with a TTL: a dashboard session, keyed by the hash of its cookie value. */
  session(hash: string): string;
  /** String with a TTL: a confirmation email went to this subscriber for this list recently. */
  confirmationSent(subscriberId: number, listId: string): string;
  /** String: the id of a dashboard account's current session (one per account; a new sign-in replaces it). */
  accountSession(account: string): string;
  /** String with a TTL: failed dashboard sign-ins for one account in the current window. */
  signInFailures(account: string): string;
  /** Stream: the audit log, one entry per operator action, trimmed by age and count. */
  readonly audit: string;
  /** Sorted set: subscribers created unconfirmed by a sign-up, scored by their latest sign-up (ms). */
  signUpsPending: string;
  /** String with a TTL: sign-ups a list took in one clock hour (the hour's number since the epoch). */
  signUpsInHour(listId: string, hour: number): string;
  /** String with a TTL: a proof-of-work challenge (by its nonce) that was already spent. */
  proofOfWorkSpent(nonce: string): string;
}

/** Builds the key names for one installation's prefix (`config.redis.prefix`). */
export function createKeys(prefix: string): Keys {
  const tag = `{${prefix}}`;
  return {
    tag,
    pattern: `${tag}:*`,
    queuePrefix: `${tag}:bull`,
    subscriberSeq: `${tag}:sub:seq`,
    subscriberBucketPrefix: `${tag}:sub:`,
    subscriberBucket: (id) => `${tag}:sub:${Math.floor(id / RECORDS_PER_BUCKET)}`,
    emailBucket: (email) => `${tag}:email:${emailBucketOf(email)}`,
    emailSmallBucket: (email) => `${tag}:email:s${emailSmallBucketOf(email)}`,
    suppression: `${tag}:suppressed`,
    lists: `${tag}:lists`,
    listPrefix: `${tag}:list:`,
    listMembers: (listId) => `${tag}:list:${listId}:members`,
    listLeft: (listId) => `${tag}:list:${listId}:left`,
    importSeen: (runId) => `${tag}:import:${runId}:seen`,
    campaign: (id) => `${tag}:campaign:${id}`,
    campaignContent: (id) => `${tag}:campaign:${id}:content`,
    campaignDeliveries: (id) => `${tag}:campaign:${id}:d`,
    campaignParked: (id) => `${tag}:campaign:${id}:parked`,
    campaignLedger: (id) => `${tag}:campaign:${id}:l`,
    campaignLedgerBuckets: (id) => `${tag}:campaign:${id}:lb`,
    campaignLedgerExceptions: (id) => `${tag}:campaign:${id}:lx`,
    campaignLedgerLock: (id) => `${tag}:campaign:${id}:l:lock`,
    campaignClicks: (id) => `${tag}:campaign:${id}:clicks`,
    campaignClickHours: (id) => `${tag}:campaign:${id}:clicks:hours`,
    campaignSentMinutes: (id) => `${tag}:campaign:${id}:sent-minutes`,
    campaignZones: (id) => `${tag}:campaign:${id}:zones`,
    campaignZoneSent: (id) => `${tag}:campaign:${id}:zone-sent`,
    schedules: `${tag}:schedules`,
    scheduleClaim: (newsletter, date) => `${tag}:schedule:${newsletter}:${date}`,
    scheduleMissed: `${tag}:schedule-missed`,
    scheduleMissedCounts: `${tag}:schedule-missed:counts`,
    readerClicks: (campaignId, subscriberId) => `${tag}:campaign:${campaignId}:reader:${subscriberId}`,
    readerClickEvents: (campaignId, subscriberId) => `${tag}:campaign:${campaignId}:reader:${subscriberId}:events`,
    readerCampaigns: (subscriberId) => `${tag}:reader:${subscriberId}:campaigns`,
    campaigns: `${tag}:campaigns`,
    edition: (id) => `${tag}:edition:${id}`,
    editionRevisions: (id) => `${tag}:edition:${id}:revisions`,
    editionSending: (id) => `${tag}:edition:${id}:sending`,
    editions: `${tag}:editions`,
    newsletterEditions: (newsletterId) => `${tag}:editions:${newsletterId}`,
    sendRate: `${tag}:rate`,
    sendLimits: `${tag}:limits`,
    workers: `${tag}:workers`,
    workersLastSeen: `${tag}:workers:last-seen`,
    sendsInProgress: (subscriberId) => `${tag}:sending:${subscriberId}`,
    apiTokens: `${tag}:api-tokens`,
    apiTokenNames: `${tag}:api-token-names`,
    session: (hash) => `${tag}:session:${hash}`,
    confirmationSent: (subscriberId, listId) => `${tag}:confirm-sent:${listId}:${subscriberId}`,
    accountSession: (account) => `${tag}:account-session:${account}`,
    signInFailures: (account) => `${tag}:signin-failures:${account}`,
    audit: `${tag}:audit`,
    signUpsPending: `${tag}:signups:pending`,
    signUpsInHour: (listId, hour) => `${tag}:signups:${listId}:${hour}`,
    proofOfWorkSpent: (nonce) => `${tag}:pow-spent:${nonce}`,
  };
}

/**
 * A Lua script run by SHA, sent in full only when Redis does not have it cached yet.
 * Scripts build some key names from the prefix they are given; that is safe on Redis Cluster
 * because every key shares the one hash tag, so they all live in the slot of the declared keys.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }

  /**
   * Runs the script once per call in one pipelined round trip; replies (or errors) in order.
   * Calls that meet a Redis that has forgotten the script (a restart flushes the cache) are sent
   * again with the source: EVAL goes where the keys live (a cluster node, too) and caches it there.
   */
  async runMany(redis: RedisClient, calls: readonly { keys: readonly string[]; args: readonly (string | number)[] }[]): Promise<(unknown | Error)[]> {
    const send = async (batch: typeof calls, full: boolean) => {
      const pipeline = redis.pipeline();
      for (const c of batch) {
        if (full) pipeline.eval(this.source, c.keys.length, ...c.keys, ...c.args);
        else pipeline.evalsha(this.sha, c.keys.length, ...c.keys, ...c.args);
      }
      return ((await pipeline.exec()) ?? []).map(([err, reply]) => err ?? reply);
    };
    if (!calls.length) return [];
    const replies = await send(calls, false);
    const missing = replies.flatMap((r, i) => (isNoScript(r) ? [i] : []));
    if (missing.length) {
      const retried = await send(missing.map((i) => calls[i] as (typeof calls)[number]), true);
      missing.forEach((i, j) => (replies[i] = retried[j]));
    }
    return replies;
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * A finished campaign's delivery ledger, made compact (docs/architecture.md, "The delivery ledger
 * after a campaign ends").
 *
 * While a campaign sends, its ledger is the hash `campaign:<id>:d` (campaign.store.ts), one record
 * per recipient. Once it has ended (sent, cancelled, failed), {@link DeliveryLedger.compact}
 * rewrites it into:
 * - `campaign:<id>:lb`  hash: id div 256 → the packed deliveries of those ids (ledger-codec.ts):
 *                       every sent message (time, reply; its Message-ID is derived) and every
 *                       recipient never tried;
 * - `campaign:<id>:lx`  hash: subscriber id → the full record, in the in-flight format, for
 *                       everything else: failures, skips, retried or abandoned claims, a sent
 *                       record whose Message-ID is not the derived one or that was erased;
 * - `campaign:<id>:l`   hash: `base` (ms the times count from), `dom` (the Message-ID domain),
 *                       `exp` (when it all expires, ms; 0 never), `v` (the buckets' format,
 *                       ledger-codec.ts; none is format 1), `t:<n>` reply templates, and while it
 *                       runs `next` (the next bucket) and `cnt` (records done);
 * then sets `ledger = compact` on the campaign hash and drops the in-flight hash (UNLINK: freed
 * off Redis's main thread).
 *
 * Compaction walks the ids in windows of 4,096 and commits each window with one short script
 * that first checks the window's records are still the bytes it read (else it reads again) and
 * that it still holds the campaign's compaction lock: no script ever touches more than one
 * window, and a crash leaves a prefix of windows written, which the next run continues from
 * `next` (rewriting a window is harmless: the same records give the same bytes). Until the
 * marker is set every reader uses the in-flight hash, after it the compact form: one marker, so
 * readers never see half of each. The compact keys expire when the in-flight hash would have
 * (DELIVERY_RETENTION_DAYS after the campaign ended).
 */
import { createHash } from 'node:crypto';
import type { Delivery, DeliveryState } from '../domain/campaign.schema.ts';
import { type CompactEntry, decodeBucket, encodeBucket, IDS_PER_BUCKET, LEDGER_FORMAT, type LedgerFormat, LedgerFormatError, TAG_QUEUED, TAG_SENT, TemplateTable } from './ledger-codec.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';
import { takeLock } from './token-lock.ts';

/** The campaign hash field that says which form the ledger is in. */
export const LEDGER_FIELD = 'ledger';
const COMPACT = 'compact';
/** Buckets per window: 16 × 256 = 4,096 ids read and written per step. */
const BUCKETS_PER_WINDOW = 16;
const LOCK_MS = 120_000;
const ENDED = new Set(['sent', 'cancelled', 'failed']);

// KEYS: in-flight hash, buckets, exceptions, meta, lock. ARGV: lock token, sha1 of the window's
// records as read, number of ids, the ids, number of bucket pairs, the pairs, number of exception
// pairs, the pairs, next bucket, records in the window, expire-at ms (0: none), number of meta
// pairs, the pairs.  → 1 written, 0 the records changed since they were read, -1 lock lost.
const COMMIT_WINDOW = new LuaScript('ledger-commit-window', `
if redis.call('GET', KEYS[5]) ~= ARGV[1] then return -1 end
local i = 3
local n = tonumber(ARGV[i])
local ids = {}
for j = 1, n do ids[j] = ARGV[i + j] end
i = i + n + 1
if n > 0 then
  local vals = redis.call('HMGET', KEYS[1], unpack(ids))
  local parts = {}
  for j = 1, n do parts[j] = vals[j] and ('+' .. vals[j]) or '-' end
  if redis.sha1hex(table.concat(parts, '\\0')) ~= ARGV[2] then return 0 end
end
local function pairs_into(key)
  local m = tonumber(ARGV[i])
  for j = 0, m - 1 do redis.call('HSET', key, ARGV[i + 1 + j * 2], ARGV[i + 2 + j * 2]) end
  i = i + 1 + m * 2
end
pairs_into(KEYS[2])
pairs_into(KEYS[3])
redis.call('HSET', KEYS[4], 'next', ARGV[i])
redis.call('HINCRBY', KEYS[4], 'cnt', ARGV[i + 1])
local exp = tonumber(ARGV[i + 2])
i = i + 3
pairs_into(KEYS[4])
if exp > 0 then
  for k = 2, 4 do if redis.call('EXISTS', KEYS[k]) == 1 then redis.call('PEXPIREAT', KEYS[k], exp) end end
end
redis.call('PEXPIRE', KEYS[5], ARGV[i])
return 1
`);

// KEYS: campaign hash, meta, lock. ARGV: lock token. Switches readers to the compact form.
const SWITCH = new LuaScript('ledger-switch', `
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
redis.call('HSET', KEYS[1], '${LEDGER_FIELD}', '${COMPACT}')
redis.call('HDEL', KEYS[2], 'next')
return 1
`);

// KEYS: buckets, exceptions. ARGV: bucket number, its bytes as read, its new bytes ('' drops it),
// subscriber id, the record to keep in the exceptions.  → 1 written, 0 the bucket changed.
const REWRITE_ENTRY = new LuaScript('ledger-rewrite-entry', `
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
local ttl = redis.call('PTTL', KEYS[1])
redis.call('HSET', KEYS[2], ARGV[4], ARGV[5])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`);

/** What one run of compaction did. */
export type CompactionResult =
  | { state: 'compacted'; records: number; sent: number; queued: number; exceptions: number; ms: number }
  /** Compact already (a leftover in-flight hash, if any, was dropped). */
  | { state: 'already' }
  /** Still sending (or paused, scheduled, a draft): nothing done. */
  | { state: 'not-ended'; status: string }
  /** Another compaction holds the lock, or a claim's lease is still running: try again later. */
  | { state: 'busy'; why: string }
  | { state: 'missing' };

/** A delivery record as stored, with where it was read from (for erasure). */
export interface StoredDelivery {
  campaignId: string;
  /** The record in the in-flight format (a compact entry is written out in it). */
  raw: string;
  form: 'in-flight' | 'compact-entry' | 'compact-exception';
}

interface Meta {
  base: number;
  dom: string;
  templates: TemplateTable;
  format: LedgerFormat;
}

export interface DeliveryLedgerOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** How long a compaction's lock lasts without a window committed (a crashed run's lock runs out). Default 2 min. */
  lockMs?: number;
  /** Fault tests: stop like a crash (lock left held) after this many windows. Default: never. */
  stopAfterWindows?: number;
}

/** Thrown by a run told to stop like a crash ({@link DeliveryLedgerOptions.stopAfterWindows}). */
export class SimulatedCrash extends Error {}

/** The compact form of finished campaigns' ledgers, and every read over it. */
export class DeliveryLedger {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly now: () => number;
  private readonly lockMs: number;
  private readonly stopAfter: number;

  constructor(opts: DeliveryLedgerOptions) {
    this.redis = opts.redis;
    this.keys = opts.keys;
    this.now = opts.now ?? Date.now;
    this.lockMs = opts.lockMs ?? LOCK_MS;
    this.stopAfter = opts.stopAfterWindows ?? Infinity;
  }

  /** True when the campaign's ledger is in the compact form. */
  async isCompact(campaignId: string): Promise<boolean> {
    return (await this.redis.hget(this.keys.campaign(campaignId), LEDGER_FIELD)) === COMPACT;
  }

  private parseMeta(f: Record<string, string>): Meta {
    const templates: [number, string][] = [];
    for (const [k, v] of Object.entries(f)) if (k.startsWith('t:')) templates.push([Number(k.slice(2)), v]);
    const format = Number(f.v ?? 1);
    if (format !== 1 && format !== 2) throw new LedgerFormatError(`format ${f.v} is newer than this code reads`);
    return { base: Number(f.base ?? 0), dom: f.dom ?? '', templates: new TemplateTable(templates), format };
  }

  private async meta(campaignId: string): Promise<Meta> {
    return this.parseMeta(await this.redis.hgetall(this.keys.campaignLedger(campaignId)));
  }

  /** A compact entry as a {@link Delivery}. */
  private toDelivery(campaignId: string, e: CompactEntry, meta: Meta): Delivery {
    if (e.tag === TAG_QUEUED) return { subscriberId: e.id, state: 'queued', attempts: 0 };
    return { subscriberId: e.id, state: 'sent', at: e.at, messageId: messageIdOf(campaignId, e.id, meta.dom), ...(e.reply ? { detail: e.reply } : {}) };
  }

  /** A compact entry in the in-flight record format. */
  private toRaw(campaignId: string, e: CompactEntry, meta: Meta): string {
    return e.tag === TAG_QUEUED ? 'q' : `s|${e.at}|${messageIdOf(campaignId, e.id, meta.dom)}|${e.reply}`;
  }

  /**
   * One delivery, from whichever form the ledger is in (both are read in one transaction, so a
   * compaction switching over meanwhile cannot make it vanish); null when the subscriber was no
   * recipient (or the records expired).
   */
  async delivery(campaignId: string, subscriberId: number, parse: (id: number, raw: string) => Delivery): Promise<Delivery | null> {
    const bucket = Math.floor(subscriberId / IDS_PER_BUCKET);
    const r = await this.redis
      .multi()
      .hget(this.keys.campaign(campaignId), LEDGER_FIELD)
      .hget(this.keys.campaignDeliveries(campaignId), String(subscriberId))
      .hget(this.keys.campaignLedgerExceptions(campaignId), String(subscriberId))
      .hgetBuffer(this.keys.campaignLedgerBuckets(campaignId), String(bucket))
      .hgetall(this.keys.campaignLedger(campaignId))
      .exec();
    const [marker, inFlight, exception, packed, meta] = (r ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    }) as [string | null, string | null, string | null, Buffer | null, Record<string, string>];
    if (marker !== COMPACT) return inFlight === null ? null : parse(subscriberId, inFlight);
    if (exception !== null) return parse(subscriberId, exception);
    if (!packed) return null;
    const m = this.parseMeta(meta);
    const e = decodeBucket(packed, bucket, m.base, m.templates, m.format).find((x) => x.id === subscriberId);
    return e ? this.toDelivery(campaignId, e, m) : null;
  }

  /**
   * Walks a compact ledger (exceptions first, then the packed buckets), optionally only one
   * state, up to `limit`. Failures and skips are all in the exceptions, so asking for them reads
   * nothing else.
   */
  async deliveries(campaignId: string, parse: (id: number, raw: string) => Delivery, opts: { state?: DeliveryState; limit: number }): Promise<Delivery[]> {
    const out: Delivery[] = [];
    const { state, limit } = opts;
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.campaignLedgerExceptions(campaignId), cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length && out.length < limit; i += 2) {
        const d = parse(Number(flat[i]), flat[i + 1] as string);
        if (!state || d.state === state) out.push(d);
      }
    } while (cursor !== '0' && out.length < limit);
    if (out.length >= limit || (state && state !== 'sent' && state !== 'queued')) return out;
    const meta = await this.meta(campaignId);
    const want = state === 'sent' ? TAG_SENT : state === 'queued' ? TAG_QUEUED : undefined;
    cursor = '0';
    do {
      const [next, flat] = await this.redis.hscanBuffer(this.keys.campaignLedgerBuckets(campaignId), cursor, 'COUNT', 100);
      cursor = next.toString();
      for (let i = 0; i + 1 < flat.length && out.length < limit; i += 2) {
        const bucket = Number((flat[i] as Buffer).toString());
        for (const e of decodeBucket(flat[i + 1] as Buffer, bucket, meta.base, meta.templates, meta.format)) {
          if (out.length >= limit) break;
          if (want === undefined || e.tag === want) out.push(this.toDelivery(campaignId, e, meta));
        }
      }
    } while (cursor !== '0' && out.length < limit);
    return out;
  }

  /** One subscriber's records in every campaign that has one, whatever form each ledger is in. */
  async deliveriesOf(subscriberId: number, campaignIds: readonly string[]): Promise<StoredDelivery[]> {
    const sid = String(subscriberId);
    const bucket = String(Math.floor(subscriberId / IDS_PER_BUCKET));
    const pipeline = this.redis.pipeline();
    for (const c of campaignIds) {
      pipeline
        .hget(this.keys.campaign(c), LEDGER_FIELD)
        .hget(this.keys.campaignDeliveries(c), sid)
        .hget(this.keys.campaignLedgerExceptions(c), sid)
        .hgetBuffer(this.keys.campaignLedgerBuckets(c), bucket);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([err, v]) => {
      if (err) throw err;
      return v;
    });
    const out: StoredDelivery[] = [];
    for (const [i, campaignId] of campaignIds.entries()) {
      const [marker, inFlight, exception, packed] = replies.slice(i * 4, i * 4 + 4) as [string | null, string | null, string | null, Buffer | null];
      if (marker !== COMPACT) {
        if (inFlight !== null) out.push({ campaignId, raw: inFlight, form: 'in-flight' });
      } else if (exception !== null) {
        out.push({ campaignId, raw: exception, form: 'compact-exception' });
      } else if (packed) {
        const meta = await this.meta(campaignId);
        const e = decodeBucket(packed, Number(bucket), meta.base, meta.templates, meta.format).find((x) => x.id === subscriberId);
        if (e) out.push({ campaignId, raw: this.toRaw(campaignId, e, meta), form: 'compact-entry' });
      }
    }
    return out;
  }

  /**
   * Replaces one subscriber's record in the compact form with `record` (an erasure's anonymous
   * record), wherever it is written there already — even while a compaction is under way, so
   * a window it committed before the erasure cannot keep the old record: an entry leaves its
   * bucket for the exceptions, an exception is overwritten. The in-flight hash is the caller's.
   * Returns whether a record was replaced.
   */
  async replace(campaignId: string, subscriberId: number, record: string): Promise<boolean> {
    const bucket = Math.floor(subscriberId / IDS_PER_BUCKET);
    const lx = this.keys.campaignLedgerExceptions(campaignId);
    for (let attempt = 0; attempt < 100; attempt++) {
      const [packed, meta] = await Promise.all([
        this.redis.hgetBuffer(this.keys.campaignLedgerBuckets(campaignId), String(bucket)),
        this.meta(campaignId),
      ]);
      const entries = packed ? decodeBucket(packed, bucket, meta.base, meta.templates, meta.format) : [];
      if (!entries.some((e) => e.id === subscriberId)) {
        return Number(await this.redis.eval("if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return 1 end return 0", 1, lx, String(subscriberId), record)) === 1;
      }
      const rest = entries.filter((e) => e.id !== subscriberId);
      const next = rest.length ? encodeBucket(rest, meta.base, meta.templates, meta.format) : Buffer.alloc(0);
      const done = await this.eval(REWRITE_ENTRY, [this.keys.campaignLedgerBuckets(campaignId), lx], [
        String(bucket),
        packed ?? Buffer.alloc(0),
        next,
        String(subscriberId),
        record,
      ]);
      if (Number(done) === 1) return true;
    }
    throw new Error(`ledger of ${campaignId}: bucket ${bucket} kept changing while a record was replaced`);
  }

  /** How long the compact ledger is kept: PTTL of its meta hash (-2 gone, -1 for ever). */
  async pttl(campaignId: string): Promise<number> {
    return this.redis.pttl(this.keys.campaignLedger(campaignId));
  }

  /**
   * Compacts an ended campaign's ledger (see the file header). Idempotent; a run that finds
   * an earlier one's half-done work continues it.
   */
  async compact(campaignId: string): Promise<CompactionResult> {
    const started = performance.now();
    const k = this.keys;
    const ck = k.campaign(campaignId);
    const dk = k.campaignDeliveries(campaignId);
    const [status, marker, startedAt, createdAt, snapshotMaxId] = await this.redis.hmget(ck, 'status', LEDGER_FIELD, 'startedAt', 'createdAt', 'snapshotMaxId');
    if (status === null || status === undefined) return { state: 'missing' };
    if (marker === COMPACT) {
      await this.redis.unlink(dk);
      return { state: 'already' };
    }
    if (!ENDED.has(status)) return { state: 'not-ended', status };

    const lock = await takeLock(this.redis, k.campaignLedgerLock(campaignId), this.lockMs);
    if (!lock) return { state: 'busy', why: 'another compaction of this ledger is running' };
    const { key: lockKey, token } = lock;
    let crashed = false;
    try {
      const metaKey = k.campaignLedger(campaignId);
      const pttl = await this.redis.pttl(dk);
      if (pttl === -2 && !(await this.redis.exists(metaKey))) {
        // Nothing to keep (no recipient, or the records already expired): readers just switch.
        if (Number(await this.eval(SWITCH, [ck, metaKey, lockKey], [token])) !== 1) return { state: 'busy', why: 'the compaction lock ran out' };
        return { state: 'compacted', records: 0, sent: 0, queued: 0, exceptions: 0, ms: performance.now() - started };
      }
      // The compact keys expire when the in-flight hash would have; a resumed run keeps the first run's time.
      const base = Date.parse(startedAt ?? createdAt ?? '') || 0;
      await this.redis
        .multi()
        .hsetnx(metaKey, 'base', String(base))
        .hsetnx(metaKey, 'exp', String(pttl > 0 ? this.now() + pttl : 0))
        .exec();
      const stored = await this.redis.hgetall(metaKey);
      // A run that finds windows written without a format (an earlier run of older code) goes
      // on in format 1, so one ledger's buckets are all in one format.
      if (stored.v === undefined && stored.cnt === undefined) {
        await this.redis.hset(metaKey, 'v', String(LEDGER_FORMAT));
        stored.v = String(LEDGER_FORMAT);
      }
      const meta = this.parseMeta(stored);
      const exp = Number(stored.exp ?? 0);
      if (exp > 0) await this.redis.pexpireat(metaKey, exp);
      const from = Number(stored.next ?? 0);
      const tally = { records: 0, sent: 0, queued: 0, exceptions: 0 };

      const total = pttl === -2 ? 0 : await this.redis.hlen(dk);
      const maxId = Number(snapshotMaxId ?? 0);
      // Dense: walk every bucket up to the snapshot's highest id. Sparse (few recipients among
      // many subscribers) or no snapshot: find the buckets in use first.
      const walk = maxId > 0 && total * 16 >= maxId;
      const buckets = walk ? range(from, Math.floor(maxId / IDS_PER_BUCKET) + 1) : await this.bucketsInUse(dk, from);
      let windows = 0;
      const run = async (list: number[]) => {
        for (let i = 0; i < list.length; i += BUCKETS_PER_WINDOW) {
          if (windows++ >= this.stopAfter) throw new SimulatedCrash(`stopped after ${this.stopAfter} windows`);
          const r = await this.commitWindow(campaignId, list.slice(i, i + BUCKETS_PER_WINDOW), meta, token, exp);
          if (typeof r === 'string') return r;
          tally.records += r.records;
          tally.sent += r.sent;
          tally.queued += r.queued;
          tally.exceptions += r.exceptions;
        }
        return undefined;
      };
      let stop = await run(buckets);
      if (stop === undefined && walk) {
        // Ids past the snapshot (none in normal operation): catch them too before switching.
        const done = Number(await this.redis.hget(metaKey, 'cnt'));
        if (done < total) stop = await run((await this.bucketsInUse(dk, 0)).filter((b) => b > Math.floor(maxId / IDS_PER_BUCKET)));
      }
      if (stop !== undefined) return { state: 'busy', why: stop };
      if (Number(await this.eval(SWITCH, [ck, metaKey, lockKey], [token])) !== 1) return { state: 'busy', why: 'the compaction lock ran out' };
      await this.redis.unlink(dk);
      return { state: 'compacted', ...tally, ms: performance.now() - started };
    } catch (err) {
      crashed = err instanceof SimulatedCrash;
      throw err;
    } finally {
      if (!crashed) await lock.release();
    }
  }

  /** Bucket numbers holding at least one record, from `from` on, ascending (one pass of HSCAN). */
  private async bucketsInUse(dk: string, from: number): Promise<number[]> {
    const seen = new Set<number>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(dk, cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) {
        const b = Math.floor(Number(flat[i]) / IDS_PER_BUCKET);
        if (b >= from) seen.add(b);
      }
    } while (cursor !== '0');
    return [...seen].sort((a, b) => a - b);
  }

  /** Reads, encodes and commits one window of buckets; retries while its records change under it. */
  private async commitWindow(
    campaignId: string,
    buckets: number[],
    meta: Meta,
    token: string,
    exp: number,
  ): Promise<{ records: number; sent: number; queued: number; exceptions: number } | string> {
    const k = this.keys;
    const ids = buckets.flatMap((b) => range(b * IDS_PER_BUCKET, (b + 1) * IDS_PER_BUCKET)).filter((id) => id > 0);
    for (let attempt = 0; attempt < 20; attempt++) {
      const values = ids.length ? await this.redis.hmgetBuffer(k.campaignDeliveries(campaignId), ...ids.map(String)) : [];
      const sha = createHash('sha1');
      values.forEach((v, i) => {
        if (i > 0) sha.update('\0');
        if (v) sha.update('+').update(v);
        else sha.update('-');
      });
      const byBucket = new Map<number, CompactEntry[]>();
      const exceptions: (string | Buffer)[] = [];
      const tally = { records: 0, sent: 0, queued: 0, exceptions: 0 };
      let dom = meta.dom;
      const now = this.now();
      for (const [i, v] of values.entries()) {
        if (!v) continue;
        const id = ids[i] as number;
        const raw = v.toString('utf8');
        tally.records++;
        if (raw.startsWith('p|')) {
          // A claim: finished with once its lease ran out (the job that held it is gone).
          const lease = Number(raw.split('|')[3]);
          if (lease > now) return `subscriber ${id} is still claimed by a send until ${new Date(lease).toISOString()}`;
        }
        const entry = compactable(campaignId, id, raw, dom);
        if (entry && !dom && entry.dom) dom = entry.dom;
        if (entry && Buffer.from(raw, 'utf8').equals(v)) {
          const list = byBucket.get(Math.floor(id / IDS_PER_BUCKET)) ?? [];
          list.push(entry.entry);
          byBucket.set(Math.floor(id / IDS_PER_BUCKET), list);
          if (entry.entry.tag === TAG_SENT) tally.sent++;
          else tally.queued++;
        } else {
          exceptions.push(String(id), v);
          tally.exceptions++;
        }
      }
      const bucketPairs: (string | Buffer)[] = [];
      for (const [b, entries] of byBucket) bucketPairs.push(String(b), encodeBucket(entries, meta.base, meta.templates, meta.format));
      const fresh = meta.templates.takeNew();
      const metaPairs: string[] = fresh.flatMap(([n, text]) => [`t:${n}`, text]);
      if (dom !== meta.dom) metaPairs.push('dom', dom);
      const last = buckets[buckets.length - 1] as number;
      const r = Number(
        await this.eval(
          COMMIT_WINDOW,
          [k.campaignDeliveries(campaignId), k.campaignLedgerBuckets(campaignId), k.campaignLedgerExceptions(campaignId), k.campaignLedger(campaignId), k.campaignLedgerLock(campaignId)],
          [
            token,
            sha.digest('hex'),
            String(ids.length),
            ...ids.map(String),
            String(bucketPairs.length / 2),
            ...bucketPairs,
            String(exceptions.length / 2),
            ...exceptions,
            String(last + 1),
            String(tally.records),
            String(exp),
            String(metaPairs.length / 2),
            ...metaPairs,
            String(this.lockMs),
          ],
        ),
      );
      if (r === 1) {
        meta.dom = dom;
        return tally;
      }
      meta.templates.giveBack(fresh);
      if (r === -1) return 'the compaction lock ran out';
    }
    return 'the records kept changing during compaction';
  }

  private eval(script: LuaScript, keys: string[], args: (string | Buffer)[]): Promise<unknown> {
    const redis = this.redis as RedisClient & { evalsha(...a: (string | Buffer | number)[]): Promise<unknown>; eval(...a: (string | Buffer | number)[]): Promise<unknown> };
    return redis.evalsha(script.sha, keys.length, ...keys, ...args).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(script.source, keys.length, ...keys, ...args);
    });
  }
}

/** The Message-ID the send path writes (message.preparer.ts): `<campaign id>.<subscriber id>@domain`. */
export function messageIdOf(campaignId: string, subscriberId: number, domain: string): string {
  return `<${campaignId}.${subscriberId}@${domain}>`;
}

/**
 * The compact entry for an in-flight record, when it has one: a sent record whose Message-ID is
 * the derived one (with `dom` learnt from it when none is known yet) and which writes back to
 * exactly the same text, or a bare `q`. Anything else stays a full record.
 */
export function compactable(campaignId: string, id: number, raw: string, dom: string): { entry: CompactEntry; dom?: string } | null {
  if (raw === 'q') return { entry: { id, tag: TAG_QUEUED } };
  if (!raw.startsWith('s|')) return null;
  const parts = raw.split('|');
  if (parts.length < 4) return null;
  const at = Number(parts[1]);
  const mid = parts[2] as string;
  const prefix = `<${campaignId}.${id}@`;
  if (!Number.isSafeInteger(at) || !mid.startsWith(prefix) || !mid.endsWith('>')) return null;
  const found = mid.slice(prefix.length, -1);
  if (!found || (dom && found !== dom)) return null;
  const reply = parts.slice(3).join('|');
  if (`s|${at}|${messageIdOf(campaignId, id, found)}|${reply}` !== raw) return null;
  return { entry: { id, tag: TAG_SENT, at, reply }, dom: found };
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

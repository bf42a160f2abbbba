/**
 * Campaigns and their deliveries in Redis.
 *
 * Layout (all under the installation's hash tag, so every script is Redis-Cluster safe):
 * - `campaign:<id>`            hash: the campaign's fields and counters
 * - `campaign:<id>:content`    string: JSON of the compiled email and the newsletter, frozen at create
 * - `campaign:<id>:d`          hash: subscriber id → delivery record (see {@link parseDelivery})
 * - `campaign:<id>:sent-minutes` hash: epoch minute → messages sent (the report's timeline)
 * - `campaigns`                sorted set: campaign ids by creation time
 * - `campaign:<id>:l`, `:lb`, `:lx`  the ledger's compact form once the campaign has ended (delivery-ledger.ts)
 *
 * The campaign hash also holds `lastSentAt` (ms), which aggregate click tracking reads.
 *
 * Every state change of a delivery is one Lua script, so two workers can never both claim,
 * and the campaign turns `sent` exactly once: in the script that records its last delivery.
 * The send path claims and settles a chunk of deliveries per script (delivery-chunks.ts, same
 * record encodings, same finish check); the one-delivery scripts here serve everything else.
 */
import { z } from 'zod';
import {
  Campaign,
  type CampaignCounts,
  type CampaignStatus,
  CampaignStatus as CampaignStatusSchema,
  type Delivery,
  type DeliveryState,
  type SkipReason,
} from '../domain/campaign.schema.ts';
import { CompiledEmail } from '../domain/compiled-email.ts';
import { NotFoundError } from '../domain/errors.ts';
import { Newsletter } from '../domain/newsletter.schema.ts';
import { CampaignTracking } from '../domain/tracking.schema.ts';
import { DeliveryLedger } from './delivery-ledger.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/**
 * What a campaign sends, frozen when it is created: later edits of the file change nothing.
 * `tracking`: the click/open mode and the link table, when the newsletter tracks anything.
 */
export const CampaignContent = z.strictObject({ compiled: CompiledEmail, newsletter: Newsletter, tracking: CampaignTracking.optional() });
export type CampaignContent = z.infer<typeof CampaignContent>;

/** The answer to "may I send to this recipient now?". */
export type ClaimResult =
  | { kind: 'claimed'; attempts: number }
  /** Already sent, failed or skipped: nothing to do. */
  | { kind: 'done' }
  /** Another live job holds it (its lease has not run out). */
  | { kind: 'held' }
  /** The campaign is not sending (paused, cancelled, …). */
  | { kind: 'not-sending'; status: CampaignStatus }
  /** The caller's job lock is gone (it expired, or another run of the job holds it now): stop. */
  | { kind: 'lost-lock' };

/** A delivery's final outcome, as the send step records it. */
export type DeliveryOutcome =
  | { state: 'sent'; messageId: string; reply: string }
  | { state: 'failed'; reply: string }
  | { state: 'skipped'; reason: SkipReason };

// The finish check shared by every script that can complete a campaign. Runs inside the script
// that changes the last counter, so exactly one caller sees `1`. The finished campaign's delivery
// records (dk) start their retention then, in the same step, so no crash can leave them forever.
// Shared with the chunk scripts of delivery-chunks.store.ts.
export const FINISH = `
local function finish_if_done(ck, dk, now, keep_ms)
  local f = redis.call('HMGET', ck, 'status', 'fanoutDone', 'total', 'sent', 'failed', 'skipped')
  if (f[1] == 'sending' or f[1] == 'paused') and f[2] == '1'
     and tonumber(f[3]) == tonumber(f[4]) + tonumber(f[5]) + tonumber(f[6]) then
    redis.call('HSET', ck, 'status', 'sent', 'finishedAt', now)
    if tonumber(keep_ms) > 0 then redis.call('PEXPIRE', dk, keep_ms) end
    return 1
  end
  return 0
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

// KEYS: campaign hash, deliveries hash. ARGV: subscriber ids…  → how many were new. A campaign
// that has ended (cancelled while its fan-out was under way, failed) takes no more recipients.
const REGISTER = new LuaScript('campaign-register', `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'cancelled' or status == 'failed' or status == 'sent' then return 0 end
local added = 0
for i = 1, #ARGV do
  added = added + redis.call('HSETNX', KEYS[2], ARGV[i], 'q')
end
if added > 0 then redis.call('HINCRBY', KEYS[1], 'total', added) end
return added
`);

// KEYS: campaign hash, deliveries hash, [the job's lock key]. ARGV: subscriber id, job id, job token,
// lease ms, [the token the lock must hold].
const CLAIM = new LuaScript('campaign-claim', `${FINISH}
-- A run whose job lock has lapsed (Redis was away, the process stalled) may have been replaced by
-- a new run of the same job, which takes over this job's claims: the old run must claim nothing more.
if KEYS[3] and redis.call('GET', KEYS[3]) ~= ARGV[5] then return {'lost-lock'} end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'sending' then return {'not-sending', status or 'missing'} end
local v = redis.call('HGET', KEYS[2], ARGV[1])
local now = now_ms()
local attempts = 0
if v == false or string.sub(v, 1, 1) == 'q' then
  if v and #v > 1 then attempts = tonumber(string.match(v, '^q|(%d+)')) or 0 end
elseif string.sub(v, 1, 1) == 'p' then
  -- p|jobId|token|leaseUntil|attempts: a claim nobody released. Take it over when it is our own job
  -- (BullMQ gave up the earlier run's lock, so that run is gone) or when its lease ran out.
  local job, lease, a = string.match(v, '^p|([^|]*)|[^|]*|(%d+)|(%d+)$')
  if job ~= ARGV[2] and tonumber(lease) > now then return {'held'} end
  attempts = tonumber(a) or 0
else
  return {'done'}
end
redis.call('HSET', KEYS[2], ARGV[1], 'p|' .. ARGV[2] .. '|' .. ARGV[3] .. '|' .. (now + tonumber(ARGV[4])) .. '|' .. attempts)
return {'claimed', tostring(attempts)}
`);

// KEYS: campaign hash, deliveries hash, sent-per-minute hash. ARGV: subscriber id, counter field,
// record, finish time, retention ms, now in ms. A send also notes the campaign's last send time
// (the aggregate click tracker's delivery window) and counts the minute (the report's timeline).
const RECORD = new LuaScript('campaign-record', `${FINISH}
local v = redis.call('HGET', KEYS[2], ARGV[1])
if v == false then return -1 end
local kind = string.sub(v, 1, 1)
if kind == 's' or kind == 'f' or kind == 'k' then return -1 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
if ARGV[2] == 'sent' then
  redis.call('HSET', KEYS[1], 'lastSentAt', ARGV[6])
  redis.call('HINCRBY', KEYS[3], tostring(math.floor(tonumber(ARGV[6]) / 60000)), 1)
end
return finish_if_done(KEYS[1], KEYS[2], ARGV[4], ARGV[5])
`);

// KEYS: campaign hash, deliveries hash. ARGV: subscriber id, reply. Puts a claimed delivery back
// in the queue after a transient failure, counting the attempt.
const RELEASE = new LuaScript('campaign-release', `
local v = redis.call('HGET', KEYS[2], ARGV[1])
if v == false or string.sub(v, 1, 1) ~= 'p' then return 0 end
local a = tonumber(string.match(v, '|(%d+)$')) or 0
redis.call('HSET', KEYS[2], ARGV[1], 'q|' .. (a + 1) .. '|' .. ARGV[2])
return 1
`);

// KEYS: campaign hash, deliveries hash. ARGV: finish time, retention ms, why a campaign of nobody failed.
// A fan-out that found no recipient ends the campaign `failed` (2): "sent, 0 of 0" hides a mistake.
const FINISH_FANOUT = new LuaScript('campaign-finish-fanout', `${FINISH}
redis.call('HSET', KEYS[1], 'fanoutDone', '1')
local f = redis.call('HMGET', KEYS[1], 'status', 'total')
if (f[1] == 'sending' or f[1] == 'paused') and tonumber(f[2] or '0') == 0 then
  redis.call('HSET', KEYS[1], 'status', 'failed', 'finishedAt', ARGV[1], 'error', ARGV[3])
  return 2
end
return finish_if_done(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
`);

/** How a finished fan-out left the campaign: `sent` (this call completed it), `no-recipients` (failed: nobody to send to), `open` (deliveries still to go, or already ended). */
export type FanoutEnd = 'sent' | 'no-recipients' | 'open';

// KEYS: campaign hash, deliveries hash. ARGV: new status, retention ms to start on the deliveries
// (0: none), the number of field/value pairs, the pairs, then the allowed current statuses.
const TRANSITION = new LuaScript('campaign-transition', `
local status = redis.call('HGET', KEYS[1], 'status')
if status == false then return {0, 'missing'} end
local pairs_n = tonumber(ARGV[3])
local first_from = 4 + pairs_n * 2
for i = first_from, #ARGV do
  if ARGV[i] == status then
    redis.call('HSET', KEYS[1], 'status', ARGV[1])
    for j = 0, pairs_n - 1 do
      redis.call('HSET', KEYS[1], ARGV[4 + j * 2], ARGV[5 + j * 2])
    end
    -- An end (cancelled, failed) starts the delivery records' retention in the same step.
    if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
    return {1, status}
  end
end
return {0, status}
`);

const STATE_BY_CODE: Record<string, DeliveryState> = { q: 'queued', p: 'sending', s: 'sent', f: 'failed', k: 'skipped' };

/**
 * Reads a delivery record. Encodings (the last field may itself contain `|`):
 * `q` · `q|attempts|lastReply` · `p|jobId|token|leaseUntil|attempts` · `s|at|messageId|reply` ·
 * `f|at|reply` · `k|at|reason`.
 */
export function parseDelivery(subscriberId: number, raw: string): Delivery {
  const code = raw[0] ?? 'q';
  const state = STATE_BY_CODE[code] ?? 'queued';
  const fields = raw.split('|');
  const rest = (from: number) => fields.slice(from).join('|') || undefined;
  switch (code) {
    case 'q':
      return { subscriberId, state, attempts: Number(fields[1] ?? 0), detail: rest(2) };
    case 'p':
      return { subscriberId, state, attempts: Number(fields[4] ?? 0) };
    case 's':
      return { subscriberId, state, at: Number(fields[1]), messageId: fields[2], detail: rest(3) };
    default:
      return { subscriberId, state, at: Number(fields[1]), detail: rest(2) };
  }
}

/** One reader's delivery in one campaign, as `subscribers show` and `subscribers data` give it. */
export interface ReaderDelivery {
  campaignId: string;
  state: Delivery['state'];
  /** When it was sent, failed or skipped (ISO), or null while it is under way. */
  at: string | null;
  messageId: string | null;
  /** The server's reply (sent, failed) or the reason (skipped). */
  detail: string | null;
}

export function readerDelivery(campaignId: string, d: Delivery): ReaderDelivery {
  return { campaignId, state: d.state, at: d.at ? new Date(d.at).toISOString() : null, messageId: d.messageId ?? null, detail: d.detail ?? null };
}

/** Who claims a delivery: a job run, named by its job id and BullMQ job lock token. */
export interface ClaimHolder {
  jobId: string;
  lockToken: string;
  /** How long the claim keeps other jobs off the delivery. */
  leaseMs: number;
  /**
   * The job's lock key, which must still hold `lockToken` for the claim to go through. Same hash tag
   * as every other key (the BullMQ prefix is `{prefix}:bull`), so the script stays cluster-safe.
   */
  lockKey?: string | undefined;
}

export interface CampaignStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /**
   * How long a campaign that finished, was cancelled or failed keeps its per-recipient delivery
   * records, in ms (its counts and summary stay for good). 0 keeps them for ever. Default 0.
   */
  deliveryRetentionMs?: number;
}

/** Whether a campaign's per-recipient delivery records are still kept, and until when. */
export interface DeliveryRecords {
  kept: boolean;
  /** Unset while kept without end (still sending, or retention off). */
  until?: Date;
}

/**
 * How a status report states the records' lifetime: when they go (null: not set to go), and
 * whether they are already gone — so an empty `failures` list is not read as "no failures".
 */
export function recordsLifetime(campaign: Campaign, records: DeliveryRecords): { deliveryRecordsUntil: string | null; deliveryRecordsRemoved: boolean } {
  return { deliveryRecordsUntil: records.until?.toISOString() ?? null, deliveryRecordsRemoved: !records.kept && campaign.counts.total > 0 };
}

/** Campaigns, their frozen content and their deliveries. */
export class CampaignStore {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly retentionMs: number;
  /** The ledger's compact form, once a campaign has ended (delivery-ledger.ts). */
  readonly ledger: DeliveryLedger;

  constructor(opts: CampaignStoreOptions) {
    this.redis = opts.redis;
    this.keys = opts.keys;
    this.retentionMs = opts.deliveryRetentionMs ?? 0;
    this.ledger = new DeliveryLedger({ redis: opts.redis, keys: opts.keys });
  }

  private hashKey(id: string): string {
    return this.keys.campaign(id);
  }

  private deliveriesKey(id: string): string {
    return this.keys.campaignDeliveries(id);
  }

  /** Stores a new campaign with its content. Fails if the id exists. */
  async create(campaign: Campaign, content: CampaignContent): Promise<void> {
    const key = this.hashKey(campaign.id);
    const created = await this.redis.hsetnx(key, 'id', campaign.id);
    if (!created) throw new Error(`campaign ${campaign.id} already exists`);
    await this.redis
      .multi()
      .hset(key, toFields(campaign))
      .set(this.keys.campaignContent(campaign.id), JSON.stringify(CampaignContent.parse(content)))
      .zadd(this.keys.campaigns, Date.parse(campaign.createdAt), campaign.id)
      .exec();
  }

  /** The campaign, or null when there is none with that id. */
  async find(id: string): Promise<Campaign | null> {
    const fields = await this.redis.hgetall(this.hashKey(id));
    return fields.status ? fromFields(fields) : null;
  }

  /**
   * When each campaign started and last finished, and the edition revision it froze, in one
   * pipelined read; null for a campaign that is not there.
   */
  async startTimes(ids: readonly string[]): Promise<Array<{ startedAt?: string; finishedAt?: string; editionRevision?: number } | null>> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.hashKey(id), 'status', 'startedAt', 'finishedAt', 'editionRevision');
    return ((await pipeline.exec()) ?? []).map(([err, reply]) => {
      if (err) throw err;
      const [status, startedAt, finishedAt, editionRevision] = reply as (string | null)[];
      if (!status) return null;
      return { ...(startedAt ? { startedAt } : {}), ...(finishedAt ? { finishedAt } : {}), ...(editionRevision ? { editionRevision: Number(editionRevision) } : {}) };
    });
  }

  /** The campaign; throws NotFoundError when there is none. */
  async get(id: string): Promise<Campaign> {
    const c = await this.find(id);
    if (!c) throw new NotFoundError('campaign', id);
    return c;
  }

  /** Just the status (one field read, for loops that only ask "still sending?"). */
  async status(id: string): Promise<CampaignStatus> {
    const status = await this.redis.hget(this.hashKey(id), 'status');
    if (status === null) throw new NotFoundError('campaign', id);
    return CampaignStatusSchema.parse(status);
  }

  /** The compiled email and newsletter frozen with the campaign. */
  async content(id: string): Promise<CampaignContent> {
    const raw = await this.redis.get(this.keys.campaignContent(id));
    if (!raw) throw new NotFoundError('campaign', id);
    return CampaignContent.parse(JSON.parse(raw));
  }

  /** Campaigns, newest first. */
  async list(limit = 50): Promise<Campaign[]> {
    const ids = await this.redis.zrevrange(this.keys.campaigns, 0, limit - 1);
    const found = await Promise.all(ids.map((id) => this.find(id)));
    return found.filter((c): c is Campaign => c !== null);
  }

  /**
   * Every campaign, newest first, read in pages (one pipelined round trip per 500): the duplicate
   * guard and "which campaigns use this list" look at all of them.
   */
  async all(): Promise<Campaign[]> {
    const out: Campaign[] = [];
    for (let start = 0; ; start += 500) {
      const ids = await this.redis.zrevrange(this.keys.campaigns, start, start + 499);
      if (!ids.length) return out;
      const pipeline = this.redis.pipeline();
      for (const id of ids) pipeline.hgetall(this.hashKey(id));
      for (const [err, fields] of (await pipeline.exec()) ?? []) {
        if (err) throw err;
        const f = fields as Record<string, string>;
        if (f.status) out.push(fromFields(f));
      }
      if (ids.length < 500) return out;
    }
  }

  /**
   * Moves the campaign to `to` if its status is one of `from`, setting `fields` in the same step.
   * Returns whether it moved and the status it had.
   */
  async transition(
    id: string,
    from: readonly CampaignStatus[],
    to: CampaignStatus,
    fields: Record<string, string | number> = {},
  ): Promise<{ moved: boolean; previous: CampaignStatus | 'missing' }> {
    const pairs = Object.entries(fields).flatMap(([k, v]) => [k, String(v)]);
    const ends = to === 'cancelled' || to === 'failed';
    const [moved, previous] = (await TRANSITION.run(
      this.redis,
      [this.hashKey(id), this.deliveriesKey(id)],
      [to, ends ? this.retentionMs : 0, pairs.length / 2, ...pairs, ...from],
    )) as [number, string];
    return { moved: moved === 1, previous: previous === 'missing' ? 'missing' : CampaignStatusSchema.parse(previous) };
  }

  /** Sets plain fields (e.g. the fan-out cursor) without touching the status. */
  async setFields(id: string, fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.hashKey(id), fields);
  }

  /** Records subscriber ids as queued deliveries; ids already known are left alone. Returns how many were new. */
  async registerDeliveries(id: string, subscriberIds: readonly number[]): Promise<number> {
    if (subscriberIds.length === 0) return 0;
    return Number(await REGISTER.run(this.redis, [this.hashKey(id), this.deliveriesKey(id)], [...subscriberIds]));
  }

  /**
   * Marks the fan-out complete: `sent` when that completed the campaign (every delivery was
   * already final), `no-recipients` when it had none (the campaign is then `failed` with
   * `noRecipientsReason` as its error), `open` otherwise.
   */
  async finishFanout(id: string, now = new Date(), noRecipientsReason = 'no recipients: its lists had no active members'): Promise<FanoutEnd> {
    const r = Number(await FINISH_FANOUT.run(this.redis, [this.hashKey(id), this.deliveriesKey(id)], [now.toISOString(), this.retentionMs, noRecipientsReason]));
    return r === 1 ? 'sent' : r === 2 ? 'no-recipients' : 'open';
  }

  /**
   * Whether the campaign's delivery records are still here and until when: `until` is unset while
   * they are kept without end (a campaign still sending, or retention off).
   */
  async deliveryRecords(id: string): Promise<DeliveryRecords> {
    const ms = (await this.ledger.isCompact(id)) ? await this.ledger.pttl(id) : await this.redis.pttl(this.deliveriesKey(id));
    if (ms === -2) return { kept: false };
    return ms >= 0 ? { kept: true, until: new Date(Date.now() + ms) } : { kept: true };
  }

  /**
   * Claims a delivery for sending: atomically checks the campaign is sending and the delivery is
   * not final or held by another live job, and marks it `sending` with a lease.
   * With `holder.lockKey`, also checks that key still holds `holder.lockToken` (the BullMQ job lock).
   */
  async claim(id: string, subscriberId: number, holder: ClaimHolder): Promise<ClaimResult> {
    const keys = [this.hashKey(id), this.deliveriesKey(id)];
    const args: (string | number)[] = [subscriberId, holder.jobId, holder.lockToken.replaceAll('|', '_'), holder.leaseMs];
    if (holder.lockKey) {
      keys.push(holder.lockKey);
      args.push(holder.lockToken);
    }
    const r = (await CLAIM.run(this.redis, keys, args)) as string[];
    switch (r[0]) {
      case 'lost-lock':
        return { kind: 'lost-lock' };
      case 'claimed':
        return { kind: 'claimed', attempts: Number(r[1]) };
      case 'held':
        return { kind: 'held' };
      case 'not-sending':
        return { kind: 'not-sending', status: r[1] === 'missing' ? 'cancelled' : CampaignStatusSchema.parse(r[1]) };
      default:
        return { kind: 'done' };
    }
  }

  /**
   * Records a final outcome for a delivery and counts it. Returns `finished: true` for exactly one
   * caller: the one whose record completed the campaign. A delivery already final is left alone.
   */
  async record(id: string, subscriberId: number, outcome: DeliveryOutcome, now = new Date()): Promise<{ recorded: boolean; finished: boolean }> {
    const at = now.getTime();
    const [counter, value] = encodeOutcome(outcome, at);
    const r = Number(
      await RECORD.run(
        this.redis,
        [this.hashKey(id), this.deliveriesKey(id), this.keys.campaignSentMinutes(id)],
        [subscriberId, counter, value, now.toISOString(), this.retentionMs, at],
      ),
    );
    return { recorded: r >= 0, finished: r === 1 };
  }

  /** Puts a claimed delivery back after a transient failure, keeping the reply and counting the attempt. */
  async release(id: string, subscriberId: number, reply: string): Promise<void> {
    await RELEASE.run(this.redis, [this.hashKey(id), this.deliveriesKey(id)], [subscriberId, oneLine(reply)]);
  }

  /** One delivery's record, or null when the subscriber is not a recipient. */
  async delivery(id: string, subscriberId: number): Promise<Delivery | null> {
    return this.ledger.delivery(id, subscriberId, parseDelivery);
  }

  /**
   * One subscriber's records in the newest `campaigns` campaigns, newest first, in-flight or
   * compact: "did this reader get it, and what did the server say?" in one pipelined read.
   */
  async deliveriesOf(subscriberId: number, opts: { campaigns: number }): Promise<ReaderDelivery[]> {
    // ZREVRANGE 0 -1 would be every campaign.
    if (!Number.isInteger(opts.campaigns) || opts.campaigns < 1) throw new RangeError(`campaigns must be a whole number ≥ 1, got ${opts.campaigns}`);
    const ids = await this.redis.zrevrange(this.keys.campaigns, 0, opts.campaigns - 1);
    const found = await this.ledger.deliveriesOf(subscriberId, ids);
    return found.map(({ campaignId, raw }) => readerDelivery(campaignId, parseDelivery(subscriberId, raw)));
  }

  /**
   * Walks the deliveries (HSCAN), optionally only those in one state. `limit` caps the result; the
   * walk itself reads in pages so memory stays bounded.
   */
  async deliveries(id: string, opts: { state?: DeliveryState; limit?: number } = {}): Promise<Delivery[]> {
    const limit = opts.limit ?? 100;
    if (await this.ledger.isCompact(id)) return this.ledger.deliveries(id, parseDelivery, { ...opts, limit });
    const out: Delivery[] = [];
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.deliveriesKey(id), cursor, 'COUNT', 1000);
      cursor = next;
      for (let i = 0; i + 1 < flat.length && out.length < limit; i += 2) {
        const d = parseDelivery(Number(flat[i]), flat[i + 1] as string);
        if (!opts.state || d.state === opts.state) out.push(d);
      }
    } while (cursor !== '0' && out.length < limit);
    // A compaction that switched over during the walk dropped the hash under it: read the compact form.
    if (out.length < limit && (await this.ledger.isCompact(id))) return this.ledger.deliveries(id, parseDelivery, { ...opts, limit });
    return out;
  }

  /** Removes everything stored for the campaign (tests and `campaign delete`). */
  async delete(id: string): Promise<void> {
    await this.redis
      .multi()
      .del(
        this.hashKey(id),
        this.deliveriesKey(id),
        this.keys.campaignContent(id),
        this.keys.campaignClicks(id),
        this.keys.campaignClickHours(id),
        this.keys.campaignSentMinutes(id),
        this.keys.campaignLedger(id),
        this.keys.campaignLedgerBuckets(id),
        this.keys.campaignLedgerExceptions(id),
      )
      .zrem(this.keys.campaigns, id)
      .exec();
  }
}

/** A final outcome as its campaign counter and its delivery record (see {@link parseDelivery}). */
export function encodeOutcome(outcome: DeliveryOutcome, at: number): ['sent' | 'failed' | 'skipped', string] {
  return outcome.state === 'sent'
    ? ['sent', `s|${at}|${outcome.messageId}|${oneLine(outcome.reply)}`]
    : outcome.state === 'failed'
      ? ['failed', `f|${at}|${oneLine(outcome.reply)}`]
      : ['skipped', `k|${at}|${outcome.reason}`];
}

/** SMTP replies can span lines; a record keeps one. */
export function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim().slice(0, 500);
}

function toFields(c: Campaign): Record<string, string> {
  const f: Record<string, string> = {
    id: c.id,
    status: c.status,
    newsletterId: c.newsletterId,
    editionDate: c.editionDate,
    subject: c.subject,
    lists: JSON.stringify(c.lists),
    createdAt: c.createdAt,
    scheduledAt: c.scheduledAt,
    cursor: String(c.cursor),
    fanoutDone: c.fanoutDone ? '1' : '0',
    total: String(c.counts.total),
    sent: String(c.counts.sent),
    failed: String(c.counts.failed),
    skipped: String(c.counts.skipped),
  };
  for (const k of ['startedAt', 'pausedAt', 'pauseReason', 'finishedAt', 'error', 'contentHash'] as const) if (c[k] !== undefined) f[k] = c[k] as string;
  if (c.snapshotMaxId !== undefined) f.snapshotMaxId = String(c.snapshotMaxId);
  if (c.editionId !== undefined) f.editionId = c.editionId;
  if (c.editionRevision !== undefined) f.editionRevision = String(c.editionRevision);
  if (c.localSend !== undefined) f.localSend = JSON.stringify(c.localSend);
  return f;
}

function fromFields(f: Record<string, string>): Campaign {
  const n = (k: string) => Number(f[k] ?? 0);
  const counts: CampaignCounts = {
    total: n('total'),
    sent: n('sent'),
    failed: n('failed'),
    skipped: n('skipped'),
    // A cancelled campaign has nothing pending: what was left is cancelled (see progressOf).
    pending: f.status === 'cancelled' ? 0 : Math.max(0, n('total') - n('sent') - n('failed') - n('skipped')),
  };
  return Campaign.parse({
    id: f.id,
    status: f.status,
    newsletterId: f.newsletterId,
    editionDate: f.editionDate,
    subject: f.subject,
    lists: JSON.parse(f.lists ?? '[]'),
    createdAt: f.createdAt,
    scheduledAt: f.scheduledAt,
    startedAt: f.startedAt,
    pausedAt: f.pausedAt,
    // Cleared to '' by a resume or an editor's pause (a transition sets fields, it removes none).
    pauseReason: f.pauseReason || undefined,
    finishedAt: f.finishedAt,
    snapshotMaxId: f.snapshotMaxId === undefined ? undefined : Number(f.snapshotMaxId),
    cursor: n('cursor'),
    fanoutDone: f.fanoutDone === '1',
    counts,
    error: f.error,
    contentHash: f.contentHash,
    editionId: f.editionId,
    localSend: f.localSend ? JSON.parse(f.localSend) : undefined,
    editionRevision: f.editionRevision === undefined ? undefined : Number(f.editionRevision),
  });
}

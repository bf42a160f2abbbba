/**
 * The send path's Redis work, a chunk of recipients at a time (docs/architecture.md, "The send
 * path"): one script claims a chunk, and one settles what became of it.
 *
 * Claiming a chunk does, for each recipient and in one atomic step, what the send loop used to do
 * in four round trips: claim the delivery (the campaign must be sending, the job's lock must still
 * be its own, the delivery neither final nor held by another job's live lease), check the
 * subscriber may be mailed (a record, active, on one of the campaign's lists, not suppressed) and
 * note the send as in progress (sends-in-progress.store.ts). A recipient who may not be mailed is
 * recorded `skipped` in the same step, so a chunk of skips costs no second trip. Because note and
 * check are one script, an unsubscribe runs wholly before it (and is seen) or wholly after it (and
 * finds the note, and waits).
 *
 * Settling a chunk records final outcomes, puts transient failures and unsent claims back in the
 * queue, and ends their in-progress notes, again in one script; it answers with the campaign's
 * status and whether the job still holds its lock, so the send loop learns of a pause, a cancel or
 * a lost lock from the same round trip that recorded its last message.
 *
 * Every key is under the installation's hash tag (redis.ts), and each is declared, so both scripts
 * are Redis-Cluster safe.
 */
import { type CampaignStatus, CampaignStatus as CampaignStatusSchema, type SkipReason, SkipReason as SkipReasonSchema } from '../domain/campaign.schema.ts';
import { normalizeEmail } from '../domain/subscriber.schema.ts';
import { type ClaimHolder, type DeliveryOutcome, encodeOutcome, FINISH, oneLine } from './campaign.store.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';
import { readSuppression } from './suppression.store.ts';

// KEYS: campaign hash, deliveries hash, suppression hash, the job's lock key (or any key when there
// is no lock to check), the campaign's list member bitmaps, then per recipient its record bucket and
// its in-progress note. ARGV: job id, job lock token ('|'-free), lease ms, the token the lock must
// hold ('' = no check), campaign id, note until (ms, the worker's clock, as SendsInProgress.begin),
// hold ms, number of lists, record time (ms), retention ms, finish time, then the subscriber ids.
// Returns {'lost-lock'} | {'not-sending', status} | {'ok', finished, entries}; an entry is one of
// {'send', attempts, listIndex, checkSuppression, email[, name]} · {'skip', reason} ·
// {'failed', reply} · {'done'} · {'held'}.
const CLAIM_CHUNK = new LuaScript('campaign-claim-chunk', `${FINISH}
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[4] then return {'lost-lock'} end
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'sending' then return {'not-sending', status or 'missing'} end
local now = now_ms()
local lease_until = now + tonumber(ARGV[3])
local nlists = tonumber(ARGV[8])
local at = ARGV[9]
local first_key = 5 + nlists
local first_id = 12
local out = {}
local ended = 0
-- Only 'active' is mailed; any other known status is itself the skip reason (domain/subscriber-status.ts).
local SKIP_STATUS = { unconfirmed = true, unsubscribed = true, bounced = true, complained = true }
for i = first_id, #ARGV do
  local sid = ARGV[i]
  local bucket = KEYS[first_key + (i - first_id) * 2]
  local note = KEYS[first_key + (i - first_id) * 2 + 1]
  local v = redis.call('HGET', KEYS[2], sid)
  local attempts = -1
  local code = v and string.sub(v, 1, 1)
  if v == false or code == 'q' then
    attempts = 0
    if v and #v > 1 then attempts = tonumber(string.match(v, '^q|(%d+)')) or 0 end
  elseif code == 'p' then
    -- A claim nobody settled: ours to take over when it is this job's (an earlier run of it is
    -- gone) or its lease ran out; otherwise another live job holds it.
    local job, lease, a = string.match(v, '^p|([^|]*)|[^|]*|(%d+)|(%d+)$')
    if job ~= ARGV[1] and tonumber(lease) > now then out[#out + 1] = {'held'} else attempts = tonumber(a) or 0 end
  else
    out[#out + 1] = {'done'}
  end
  if attempts >= 0 then
    local raw = redis.call('HGET', bucket, sid)
    local reason, broken, email, name, list_index, check_suppression
    if raw == false then
      reason = 'deleted'
    else
      local ok, r = pcall(cjson.decode, raw)
      if not ok or type(r) ~= 'table' or type(r.e) ~= 'string' or type(r.s) ~= 'string' then
        broken = true
      elseif r.s ~= 'active' then
        if SKIP_STATUS[r.s] then reason = r.s else broken = true end
      else
        email = r.e
        if type(r.n) == 'string' then name = r.n end
        for j = 1, nlists do
          if redis.call('GETBIT', KEYS[4 + j], sid) == 1 then list_index = j break end
        end
        if not list_index then
          reason = 'left-list'
        elseif string.find(email, '[\\128-\\255]') then
          -- Lower case beyond ASCII is JavaScript's to decide (normalizeEmail): the caller looks
          -- the address up itself, after this note is written.
          check_suppression = 1
        else
          local normalized = string.lower(string.match(email, '^%s*(.-)%s*$'))
          if redis.call('HEXISTS', KEYS[3], normalized) == 1
             or redis.call('HEXISTS', KEYS[3], 'erased:' .. redis.sha1hex('newsdesk-erased:' .. normalized)) == 1 then
            reason = 'suppressed'
          end
        end
      end
    end
    if broken then
      redis.call('HSET', KEYS[2], sid, 'f|' .. at .. '|not sent: the subscriber record is unreadable')
      redis.call('HINCRBY', KEYS[1], 'failed', 1)
      ended = ended + 1
      out[#out + 1] = {'failed', 'not sent: the subscriber record is unreadable'}
    elseif reason then
      redis.call('HSET', KEYS[2], sid, 'k|' .. at .. '|' .. reason)
      redis.call('HINCRBY', KEYS[1], 'skipped', 1)
      ended = ended + 1
      out[#out + 1] = {'skip', reason}
    else
      redis.call('HSET', KEYS[2], sid, 'p|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. lease_until .. '|' .. attempts)
      redis.call('HSET', note, ARGV[5], ARGV[6])
      redis.call('PEXPIRE', note, ARGV[7])
      out[#out + 1] = {'send', attempts, list_index, check_suppression or 0, email, name}
    end
  end
end
local finished = 0
if ended > 0 then finished = finish_if_done(KEYS[1], KEYS[2], ARGV[11], ARGV[10]) end
return {'ok', finished, out}
`);

// KEYS: campaign hash, deliveries hash, sent-per-minute hash, the job's lock key (or any key), then
// per item the subscriber's in-progress note. ARGV: campaign id, finish time, retention ms, the
// token the lock must hold ('' = no check), now in ms, the job's token as written in its claims,
// then per item: subscriber id, op (sent | failed | skipped | retry | unsent), value (the record,
// or the reply of a retry). A final record lands on a delivery not yet final; retry and unsent
// touch only a claim of this run (its token), retry counting the attempt; an item's note ends when
// the claim was this run's.
// Returns {finished, status, lock held (1/0)}.
const SETTLE_CHUNK = new LuaScript('campaign-settle-chunk', `${FINISH}
local first_key, first_arg = 5, 7
local sent, changed = 0, 0
for i = first_arg, #ARGV, 3 do
  local sid, op, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local v = redis.call('HGET', KEYS[2], sid)
  local code = v and string.sub(v, 1, 1)
  -- Still this run's claim? (A new run of the job, or another job after the lease ran out, may
  -- have taken it over: then its record and its note are that run's to settle.)
  local ours = code == 'p' and string.match(v, '^p|[^|]*|([^|]*)|') == ARGV[6]
  if op == 'sent' or op == 'failed' or op == 'skipped' then
    if code == 'q' or code == 'p' then
      redis.call('HSET', KEYS[2], sid, value)
      redis.call('HINCRBY', KEYS[1], op, 1)
      changed = changed + 1
      if op == 'sent' then sent = sent + 1 end
    end
  elseif ours then
    local a = tonumber(string.match(v, '|(%d+)$')) or 0
    if op == 'retry' then
      redis.call('HSET', KEYS[2], sid, 'q|' .. (a + 1) .. '|' .. value)
    elseif a > 0 then
      redis.call('HSET', KEYS[2], sid, 'q|' .. a)
    else
      redis.call('HSET', KEYS[2], sid, 'q')
    end
  end
  if ours then redis.call('HDEL', KEYS[first_key + (i - first_arg) / 3], ARGV[1]) end
end
if sent > 0 then
  redis.call('HSET', KEYS[1], 'lastSentAt', ARGV[5])
  redis.call('HINCRBY', KEYS[3], tostring(math.floor(tonumber(ARGV[5]) / 60000)), sent)
end
local finished = 0
if changed > 0 then finished = finish_if_done(KEYS[1], KEYS[2], ARGV[2], ARGV[3]) end
local held = 1
if ARGV[4] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[4] then held = 0 end
return {finished, redis.call('HGET', KEYS[1], 'status') or 'missing', held}
`);

/** A chunk of one campaign's recipients to claim for one job run. */
export interface ChunkRequest {
  campaignId: string;
  /** The campaign's lists: a recipient must still be on one of them. */
  lists: readonly string[];
  subscriberIds: readonly number[];
  holder: ClaimHolder;
  /** How long an in-progress note stands if nobody ends it (its sender died): longer than a send takes. */
  holdMs: number;
}

/** One recipient of a claimed chunk. */
export type ChunkEntry =
  /** Claimed, may be mailed, noted as in progress: send, then settle. */
  | { kind: 'send'; subscriberId: number; attempts: number; email: string; name?: string | undefined; listId: string }
  /** May not be mailed: recorded `skipped` already. */
  | { kind: 'skipped'; subscriberId: number; reason: SkipReason }
  /** Could not be sent at all (an unreadable subscriber record): recorded `failed` already. */
  | { kind: 'failed'; subscriberId: number; reply: string }
  /** Final already, or held by another live job: nothing to do here. */
  | { kind: 'done' | 'held'; subscriberId: number };

/** The answer to "may I send to this chunk now?". */
export type ChunkClaim =
  /** `finished`: a skip or failure recorded here completed the campaign (exactly one caller sees it). */
  | { kind: 'claimed'; entries: ChunkEntry[]; finished: boolean }
  /** The campaign is not sending (paused, cancelled, …): nothing was claimed. */
  | { kind: 'not-sending'; status: CampaignStatus }
  /** The caller's job lock is gone: nothing was claimed; stop. */
  | { kind: 'lost-lock' };

/** What became of one claimed recipient. */
export interface Settlement {
  subscriberId: number;
  /**
   * A final outcome; `retry`: a transient failure, back in the queue with the attempt counted;
   * `unsent`: never attempted (the run stopped first), back in the queue as it was.
   */
  outcome: DeliveryOutcome | { state: 'retry'; reply: string } | { state: 'unsent' };
  /** When the outcome happened (final outcomes record it). Default: now. */
  at?: number;
}

/** What settling told the run about its campaign and its lock. */
export interface SettleResult {
  /** This call recorded the campaign's last delivery (exactly one caller sees it). */
  finished: boolean;
  status: CampaignStatus | 'missing';
  /** False once the job's lock holds another run's token, or none: stop claiming and sending. */
  lockHeld: boolean;
}

export interface DeliveryChunkDeps {
  redis: RedisClient;
  keys: Keys;
  retentionMs: number;
  /** Clock in ms for records and notes. Default `Date.now`. */
  now?: () => number;
}

/** The token as written into a claim record (`|` separates its fields). */
const claimToken = (holder: ClaimHolder) => holder.lockToken.replaceAll('|', '_');

/** Claims a chunk (see the file's header). */
export async function claimChunk(deps: DeliveryChunkDeps, req: ChunkRequest): Promise<ChunkClaim> {
  const { redis, keys } = deps;
  const now = (deps.now ?? Date.now)();
  const campaignKey = keys.campaign(req.campaignId);
  const lockKeys = [campaignKey, keys.campaignDeliveries(req.campaignId), keys.suppression, req.holder.lockKey ?? campaignKey];
  const scriptKeys = [...lockKeys, ...req.lists.map((l) => keys.listMembers(l))];
  for (const id of req.subscriberIds) scriptKeys.push(keys.subscriberBucket(id), keys.sendsInProgress(id));
  const r = (await CLAIM_CHUNK.run(redis, scriptKeys, [
    req.holder.jobId,
    claimToken(req.holder),
    req.holder.leaseMs,
    req.holder.lockKey ? req.holder.lockToken : '',
    req.campaignId,
    now + req.holdMs,
    req.holdMs,
    req.lists.length,
    now,
    deps.retentionMs,
    new Date(now).toISOString(),
    ...req.subscriberIds,
  ])) as [string, ...unknown[]];
  if (r[0] === 'lost-lock') return { kind: 'lost-lock' };
  if (r[0] === 'not-sending') {
    const status = r[1] as string;
    return { kind: 'not-sending', status: status === 'missing' ? 'cancelled' : CampaignStatusSchema.parse(status) };
  }
  let finished = r[1] === 1;
  const raw = r[2] as unknown[][];
  const entries: ChunkEntry[] = raw.map((e, i) => {
    const subscriberId = req.subscriberIds[i] as number;
    switch (e[0]) {
      case 'send': {
        const [, attempts, listIndex, , email, name] = e as [string, number, number, number, string, string | undefined];
        return { kind: 'send', subscriberId, attempts, email, name, listId: req.lists[listIndex - 1] as string };
      }
      case 'skip':
        return { kind: 'skipped', subscriberId, reason: SkipReasonSchema.parse(e[1]) };
      case 'failed':
        return { kind: 'failed', subscriberId, reply: String(e[1]) };
      default:
        return { kind: e[0] === 'held' ? 'held' : 'done', subscriberId };
    }
  });
  // Addresses beyond ASCII: the suppression look-up the script left to normalizeEmail. Their notes
  // are written already, so an unsubscribe that lands now still waits for them.
  const toCheck = raw.flatMap((e, i) => (e[0] === 'send' && e[3] === 1 ? [i] : []));
  if (toCheck.length) {
    const late: Settlement[] = [];
    for (const i of toCheck) {
      const entry = entries[i] as Extract<ChunkEntry, { kind: 'send' }>;
      if (!(await readSuppression(redis, keys, normalizeEmail(entry.email)))) continue;
      entries[i] = { kind: 'skipped', subscriberId: entry.subscriberId, reason: 'suppressed' };
      late.push({ subscriberId: entry.subscriberId, outcome: { state: 'skipped', reason: 'suppressed' }, at: now });
    }
    if (late.length) finished = (await settleChunk(deps, req.campaignId, late, req.holder)).finished || finished;
  }
  return { kind: 'claimed', entries, finished };
}

/** Settles claimed recipients of one chunk or more (see the file's header). */
export async function settleChunk(deps: DeliveryChunkDeps, campaignId: string, items: readonly Settlement[], holder: ClaimHolder): Promise<SettleResult> {
  const { redis, keys } = deps;
  const now = (deps.now ?? Date.now)();
  const campaignKey = keys.campaign(campaignId);
  const scriptKeys = [campaignKey, keys.campaignDeliveries(campaignId), keys.campaignSentMinutes(campaignId), holder.lockKey ?? campaignKey];
  const args: (string | number)[] = [campaignId, new Date(now).toISOString(), deps.retentionMs, holder.lockKey ? holder.lockToken : '', now, claimToken(holder)];
  for (const item of items) {
    scriptKeys.push(keys.sendsInProgress(item.subscriberId));
    const o = item.outcome;
    if (o.state === 'retry') args.push(item.subscriberId, 'retry', oneLine(o.reply));
    else if (o.state === 'unsent') args.push(item.subscriberId, 'unsent', '');
    else args.push(item.subscriberId, ...encodeOutcome(o, item.at ?? now));
  }
  const [finished, status, held] = (await SETTLE_CHUNK.run(redis, scriptKeys, args)) as [number, string, number];
  return { finished: finished === 1, status: status === 'missing' ? 'missing' : CampaignStatusSchema.parse(status), lockHeld: held === 1 };
}

/** {@link claimChunk} and {@link settleChunk} over one connection: the send job's port. */
export class DeliveryChunks {
  constructor(private readonly deps: DeliveryChunkDeps) {}

  claim(req: ChunkRequest): Promise<ChunkClaim> {
    return claimChunk(this.deps, req);
  }

  settle(campaignId: string, items: readonly Settlement[], holder: ClaimHolder): Promise<SettleResult> {
    return settleChunk(this.deps, campaignId, items, holder);
  }
}

/**
 * Return mail in Redis: what was processed (for idempotence and audit), the soft-bounce window
 * per subscriber, and each campaign's return counters.
 *
 * Layout (under the installation's hash tag):
 * - `inbound:seen:<sha1 of dedupe key>`  string with a TTL: this report was processed
 * - `inbound:log`                         stream: one {@link InboundRecord} per report, trimmed by age
 * - `inbound:soft:<subscriber id>`        sorted set: soft bounces by time, trimmed to the window
 * - `campaign:<id>` fields `ret:hard|soft|complaint|unsubscribe|blocked|breaker`  counters and the breaker's reason
 * - `campaign:<id>:returns`               hash: subscriber id → the delivery's return annotation
 * - `campaign:<id>:counted`               set: `<counter>|<subscriber id>`, each delivery counted once per counter
 * - `campaign:<id>:blocks`                hash: mailbox provider → blocks about the sender
 *
 * Recording a report is one script: the dedupe mark, the audit entry and the counters change
 * together or not at all, so a report retried after Redis went away is counted once. The dedupe
 * key (the report's Message-ID) only stops the *same* message twice; a report sent again under a
 * new Message-ID is still one delivery, so every counter — and the soft-bounce window, which
 * holds one entry per campaign — counts a delivery once.
 */
import { createHash } from 'node:crypto';
import { InboundRecord } from '../domain/inbound-record.schema.ts';
import type { ReturnTotals } from '../domain/return-report.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/** Per-campaign return counters, as kept on the campaign's hash. */
export interface ReturnCounts {
  hard: number;
  soft: number;
  complaint: number;
  unsubscribe: number;
  /** Blocks about the sender (policy, reputation, authentication): never a reader's fault. */
  blocked: number;
}

export type ReturnCounter = keyof ReturnCounts;

/** A campaign's stored return counters (see campaignReturns in domain/return-report.ts). */
export type ReturnCampaignStats = ReturnTotals;

/** What {@link ReturnStore.record} writes besides the audit entry. */
export interface ReturnEffects {
  campaignId?: string | undefined;
  subscriberId?: number | undefined;
  /** The campaign counter to raise, once per delivery. */
  counter?: ReturnCounter | undefined;
  /** `kind|at|status|detail`, written to the delivery's annotation (`campaign:<id>:returns`). */
  annotation?: string | undefined;
  /** Count a soft bounce in the subscriber's window of this many ms; the result says how many are in it. */
  softWindowMs?: number | undefined;
  /** Count a block about the sender for this provider (with the `blocked` counter, once per delivery). */
  provider?: string | undefined;
}

export interface ReturnStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** How long audit entries and dedupe marks are kept, ms; 0 keeps them for ever. Default 30 days. */
  retentionMs?: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
}

const FIELD: Record<ReturnCounter, string> = {
  hard: 'ret:hard',
  soft: 'ret:soft',
  complaint: 'ret:complaint',
  unsubscribe: 'ret:unsubscribe',
  blocked: 'ret:blocked',
};

// KEYS: seen, log, campaign hash, returns hash, soft zset, blocks hash, counted set.
// ARGV: retention ms, now ms, entry JSON, counter field, subscriber id, annotation, soft window ms,
// provider, campaign id (the soft window's member).  → {1 | 0 (seen before), soft bounces in the window, the campaign's figures}
const RECORD = new LuaScript('return-record', `
local keep = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
local fresh
if keep > 0 then fresh = redis.call('SET', KEYS[1], '1', 'NX', 'PX', keep) else fresh = redis.call('SET', KEYS[1], '1', 'NX') end
if not fresh then return {0, 0, '', '0', '0', '0', ''} end
if keep > 0 then
  redis.call('XADD', KEYS[2], 'MINID', '~', tostring(now - keep), '*', 'e', ARGV[3])
else
  redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[4], ARGV[5], ARGV[6])
  if keep > 0 then redis.call('PEXPIRE', KEYS[4], keep) end
end
-- A delivery counts once per counter: two reports of one bounce (or one report sent again under
-- a new Message-ID) are one bounce, whatever came in between.
local count = ARGV[4] ~= ''
if count and ARGV[5] ~= '0' then
  count = redis.call('SADD', KEYS[7], ARGV[4] .. '|' .. ARGV[5]) == 1
  if keep > 0 then redis.call('PEXPIRE', KEYS[7], keep) end
end
if count then redis.call('HINCRBY', KEYS[3], ARGV[4], 1) end
local soft = 0
local window = tonumber(ARGV[7])
if window > 0 then
  redis.call('ZADD', KEYS[5], now, ARGV[9])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - window)
  redis.call('PEXPIRE', KEYS[5], window)
  soft = redis.call('ZCARD', KEYS[5])
end
if ARGV[8] ~= '' and count then
  redis.call('HINCRBY', KEYS[6], ARGV[8], 1)
  if keep > 0 then redis.call('PEXPIRE', KEYS[6], keep) end
end
-- The campaign's figures after this report, for the reputation breaker (no second round trip).
local c = redis.call('HMGET', KEYS[3], 'status', 'sent', 'ret:hard', 'ret:complaint', 'ret:breaker')
return {1, soft, c[1] or '', c[2] or '0', c[3] or '0', c[4] or '0', c[5] or ''}
`);

/** What recording a report did, with the campaign's figures right after it (for the breaker). */
export interface RecordResult {
  /** False when the dedupe key was seen before: nothing was written. */
  fresh: boolean;
  /** Soft bounces in the subscriber's window, when one was counted. */
  softCount: number;
  campaign: { status: string; sent: number; hard: number; complaint: number; breaker: string | undefined };
}

/** A delivery's annotation, read back: the last kind of return mail about it. */
export interface ReturnedAnnotation {
  kind: string;
  at: string;
  status: string | undefined;
  detail: string | undefined;
}

export interface ReturnStore {
  /** True when a report with this dedupe key was processed before. */
  seen(dedupeKey: string): Promise<boolean>;
  /**
   * Records a processed report and its effects at once, unless its dedupe key was seen (then
   * nothing changes and `fresh` is false). `softCount`: soft bounces in the window, when counted.
   */
  record(entry: InboundRecord, effects: ReturnEffects): Promise<RecordResult>;
  /** The newest audit entries first, at most `limit`. */
  recent(limit: number): Promise<InboundRecord[]>;
  /** A campaign's return counters, blocks by provider and breaker reason. */
  campaignStats(campaignId: string): Promise<ReturnCampaignStats>;
  /** Notes the breaker's reason on the campaign; false when it had tripped before (it trips once). */
  tripBreaker(campaignId: string, reason: string): Promise<boolean>;
  /** Every campaign id (the lookup for return tokens' campaign references). */
  campaignIds(): Promise<string[]>;
  /** The delivery's return annotation (`kind|at|status|diagnostic`), if any. */
  annotation(campaignId: string, subscriberId: number): Promise<string | null>;
  /** What came back for these deliveries (in the order given; null where nothing did). */
  returned(campaignId: string, subscriberIds: readonly number[]): Promise<(ReturnedAnnotation | null)[]>;
}

export function createReturnStore(options: ReturnStoreOptions): ReturnStore {
  const { redis, keys } = options;
  const tag = keys.tag;
  const now = options.now ?? Date.now;
  const retentionMs = options.retentionMs ?? 30 * 86_400_000;
  const seenKey = (dedupeKey: string) => `${tag}:inbound:seen:${createHash('sha1').update(dedupeKey).digest('hex')}`;
  const logKey = `${tag}:inbound:log`;
  const returnsKey = (id: string) => `${keys.campaign(id)}:returns`;
  const blocksKey = (id: string) => `${keys.campaign(id)}:blocks`;

  return {
    async seen(dedupeKey) {
      return (await redis.exists(seenKey(dedupeKey))) === 1;
    },

    async record(entry, effects) {
      const campaign = effects.campaignId ?? '-';
      const sid = effects.subscriberId ?? 0;
      const [fresh, soft, status, sent, hard, complaint, breaker] = (await RECORD.run(
        redis,
        [seenKey(entry.dedupeKey), logKey, keys.campaign(campaign), returnsKey(campaign), `${tag}:inbound:soft:${sid}`, blocksKey(campaign), `${keys.campaign(campaign)}:counted`],
        [
          retentionMs,
          now(),
          JSON.stringify(InboundRecord.parse(entry)),
          effects.counter && effects.campaignId ? FIELD[effects.counter] : '',
          sid,
          effects.annotation && effects.campaignId && effects.subscriberId ? effects.annotation : '',
          effects.softWindowMs && effects.subscriberId ? effects.softWindowMs : 0,
          effects.provider && effects.campaignId ? effects.provider : '',
          campaign,
        ],
      )) as [number, number, string, string, string, string, string];
      return {
        fresh: fresh === 1,
        softCount: Number(soft),
        campaign: { status, sent: Number(sent), hard: Number(hard), complaint: Number(complaint), breaker: breaker || undefined },
      };
    },

    async recent(limit) {
      const rows = (await redis.xrevrange(logKey, '+', '-', 'COUNT', String(limit))) as [string, string[]][];
      const out: InboundRecord[] = [];
      for (const [, fields] of rows) {
        const parsed = InboundRecord.safeParse(JSON.parse(fields[1] ?? 'null'));
        if (parsed.success) out.push(parsed.data);
      }
      return out;
    },

    async campaignStats(campaignId) {
      const [values, blocks] = await Promise.all([
        redis.hmget(keys.campaign(campaignId), ...Object.values(FIELD), 'ret:breaker'),
        redis.hgetall(blocksKey(campaignId)),
      ]);
      const n = (i: number) => Number(values[i] ?? 0);
      return {
        counts: { hard: n(0), soft: n(1), complaint: n(2), unsubscribe: n(3), blocked: n(4) },
        blocksByProvider: Object.fromEntries(Object.entries(blocks).map(([k, v]) => [k, Number(v)])),
        breaker: values[5] ?? undefined,
      };
    },

    async tripBreaker(campaignId, reason) {
      return (await redis.hsetnx(keys.campaign(campaignId), 'ret:breaker', reason)) === 1;
    },

    async campaignIds() {
      return redis.zrange(keys.campaigns, '0', '-1');
    },

    async annotation(campaignId, subscriberId) {
      return redis.hget(returnsKey(campaignId), String(subscriberId));
    },

    async returned(campaignId, subscriberIds) {
      if (!subscriberIds.length) return [];
      const values = await redis.hmget(returnsKey(campaignId), ...subscriberIds.map(String));
      return values.map((v) => {
        if (!v) return null;
        const [kind = '', at = '', status, ...rest] = v.split('|');
        return { kind, at, status: status || undefined, detail: rest.join('|') || undefined };
      });
    },
  };
}

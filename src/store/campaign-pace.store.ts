/**
 * A sending campaign's recent pace: messages finished per second, for the ETA of `campaign status`
 * (README, "Operating"). The campaign's own counters say how far it is; the pace says how fast it
 * is going *now*, so a start-up, a slower stretch or a pause earlier in the send does not skew the
 * estimate.
 *
 * Workers take samples (`sample`, at most one a second per campaign, whoever comes first); each
 * appends the interval since the last one (its length and the messages finished in it) to a short
 * log, and adds its length to the seconds of sending seen. The pace ({@link recentPace}) is the
 * messages over the seconds of the latest intervals, weighted towards the last
 * {@link PACE_TAU_MS}, and over the *latter half* of the sending seen so far only: a send speeds
 * up over its first seconds (cold worker processes: docs/scale.md, "Why the start is slow"), and
 * an average over all of it would count that start; the latter half leaves it out once the send
 * has run twice as long. Kept in the
 * campaign hash (`paceAt`, `paceDone`, `paceLog`, `paceSpan`), so it goes with the campaign.
 */
import type { CampaignPace } from '../domain/campaign.schema.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/** How quickly older sending stops counting: its weight falls to 1/e after this long. */
export const PACE_TAU_MS = 10_000;
/** The pace never rests on more than this much of the latest sending (older weighs < 5 % anyway). */
export const PACE_HORIZON_MS = 30_000;
/** Nor, once there is this much, on less: one interval alone is lumpy (the counters move a chunk at a time). */
export const PACE_MIN_WINDOW_MS = 2_000;
/** Samples closer together than this are skipped (several workers sample the same campaign). */
const MIN_INTERVAL_MS = 1_000;
/** A gap longer than this between samples (every worker gone, a stall) is left out, like a pause. */
const MAX_GAP_MS = 60_000;

// KEYS: campaign hash. ARGV: horizon ms, min interval ms, max gap ms, now ms ('' = Redis's clock).
// Outside `sending` (paused, …) the interval is dropped, so a pause does not count as slow sending.
// `paceLog`: "ms:messages" per interval, oldest first, trimmed to the last horizon's worth (plus the
// interval that crosses it); `paceSpan`: ms of sending sampled, pauses and gaps left out.
const SAMPLE = new LuaScript('campaign-pace-sample', `
local f = redis.call('HMGET', KEYS[1], 'status', 'sent', 'failed', 'skipped', 'paceAt', 'paceDone', 'paceLog', 'paceSpan')
if f[1] ~= 'sending' then
  if f[5] then redis.call('HDEL', KEYS[1], 'paceAt', 'paceDone') end
  return 0
end
local now = tonumber(ARGV[4])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local done = (tonumber(f[2]) or 0) + (tonumber(f[3]) or 0) + (tonumber(f[4]) or 0)
local at = tonumber(f[5])
if at == nil or now - at > tonumber(ARGV[3]) or now < at then
  redis.call('HSET', KEYS[1], 'paceAt', now, 'paceDone', done)
  return 1
end
local dt = now - at
if dt < tonumber(ARGV[2]) then return 0 end
local log, total = {}, 0
for ms, n in string.gmatch(f[7] or '', '(%d+):(%d+)') do
  log[#log + 1] = {tonumber(ms), tonumber(n)}
  total = total + tonumber(ms)
end
log[#log + 1] = {dt, math.max(0, done - (tonumber(f[6]) or done))}
total = total + dt
local first = 1
while total - log[first][1] >= tonumber(ARGV[1]) do
  total = total - log[first][1]
  first = first + 1
end
local parts = {}
for i = first, #log do parts[#parts + 1] = string.format('%d:%d', log[i][1], log[i][2]) end
redis.call('HSET', KEYS[1], 'paceAt', now, 'paceDone', done, 'paceLog', table.concat(parts, ','), 'paceSpan', (tonumber(f[8]) or 0) + dt)
return 1
`);

/** One interval between two samples: how long it was and the messages finished in it. */
export interface PaceInterval {
  ms: number;
  messages: number;
}

/**
 * The pace from the sampled intervals (oldest first) and the ms of sending sampled in all:
 * the latest intervals covering half of that sending (at least {@link PACE_MIN_WINDOW_MS}, at most
 * {@link PACE_HORIZON_MS}), each weighted by how long ago it ended, in sending time. Undefined
 * before any interval.
 */
export function recentPace(log: readonly PaceInterval[], spanMs: number): CampaignPace | undefined {
  if (log.length === 0 || !(spanMs > 0)) return undefined;
  const window = Math.min(PACE_HORIZON_MS, Math.max(PACE_MIN_WINDOW_MS, spanMs / 2));
  let messages = 0;
  let ms = 0;
  let covered = 0;
  for (let i = log.length - 1; i >= 0 && covered < window; i--) {
    const interval = log[i] as PaceInterval;
    const weight = Math.exp(-covered / PACE_TAU_MS);
    messages += interval.messages * weight;
    ms += interval.ms * weight;
    covered += interval.ms;
  }
  return ms > 0 ? { perSecond: (messages * 1000) / ms, seconds: spanMs / 1000 } : undefined;
}

/** `paceLog` as stored: "ms:messages" per interval. */
function parseLog(text: string): PaceInterval[] {
  return text
    .split(',')
    .map((entry) => entry.split(':').map(Number))
    .filter(([ms, n]) => Number.isFinite(ms) && Number.isFinite(n))
    .map(([ms, n]) => ({ ms: ms as number, messages: n as number }));
}

export interface CampaignPaces {
  /** Takes a sample of a sending campaign's progress (a no-op when one was taken within a second). */
  sample(campaignId: string): Promise<void>;
  /** The recent pace, or undefined before two samples were taken. */
  read(campaignId: string): Promise<CampaignPace | undefined>;
}

/**
 * `minIntervalMs`: samples closer than this are skipped (default 1 s; tests use less).
 * `clock`: the sample's time in ms (tests); by default Redis's, one clock for every worker.
 */
export function createCampaignPaces(opts: { redis: RedisClient; keys: Keys; minIntervalMs?: number; clock?: () => number }): CampaignPaces {
  const { redis, keys, clock } = opts;
  const minInterval = opts.minIntervalMs ?? MIN_INTERVAL_MS;
  return {
    async sample(campaignId) {
      await SAMPLE.run(redis, [keys.campaign(campaignId)], [PACE_HORIZON_MS, minInterval, MAX_GAP_MS, clock ? Math.round(clock()) : '']);
    },
    async read(campaignId) {
      const [log, span] = await redis.hmget(keys.campaign(campaignId), 'paceLog', 'paceSpan');
      return log ? recentPace(parseLog(log), Number(span)) : undefined;
    },
  };
}

/**
 * A sending campaign's recent pace: messages finished per second, weighted towards the last
 * ten seconds or so, for the ETA of `campaign status` (README, "Operating"). The campaign's own
 * counters say how far it is; the pace says how fast it is going *now*, so a start-up, a slower
 * stretch or a pause earlier in the send does not skew the estimate.
 *
 * Workers take samples (`sample`, at most one a second per campaign, whoever comes first); each
 * adds the messages finished since the last sample and the time that took to two sums that decay
 * with a time constant of {@link PACE_TAU_MS}: `pace = messages / seconds`. Early on (less sending
 * seen than the time constant) that is the plain average since the first sample. Kept in the
 * campaign hash (`paceAt`, `paceDone`, `paceMsgs`, `paceSecs`), so it goes with the campaign.
 */
import type { CampaignPace } from '../domain/campaign.schema.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/** How quickly older sending stops counting: its weight falls to 1/e after this long. */
export const PACE_TAU_MS = 10_000;
/** Samples closer together than this are skipped (several workers sample the same campaign). */
const MIN_INTERVAL_MS = 1_000;
/** A gap longer than this between samples (every worker gone, a stall) starts the pace again. */
const MAX_GAP_MS = 60_000;

// KEYS: campaign hash. ARGV: tau ms, min interval ms, max gap ms. Outside `sending` (paused, …)
// the interval is dropped, so a pause does not count as slow sending.
const SAMPLE = new LuaScript('campaign-pace-sample', `
local f = redis.call('HMGET', KEYS[1], 'status', 'sent', 'failed', 'skipped', 'paceAt', 'paceDone', 'paceMsgs', 'paceSecs')
if f[1] ~= 'sending' then
  if f[5] then redis.call('HDEL', KEYS[1], 'paceAt', 'paceDone') end
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local done = (tonumber(f[2]) or 0) + (tonumber(f[3]) or 0) + (tonumber(f[4]) or 0)
local at = tonumber(f[5])
if at == nil or now - at > tonumber(ARGV[3]) or now < at then
  redis.call('HSET', KEYS[1], 'paceAt', now, 'paceDone', done)
  return 1
end
local dt = now - at
if dt < tonumber(ARGV[2]) then return 0 end
local decay = math.exp(-dt / tonumber(ARGV[1]))
local msgs = (tonumber(f[7]) or 0) * decay + math.max(0, done - (tonumber(f[6]) or done))
local secs = (tonumber(f[8]) or 0) * decay + dt / 1000
redis.call('HSET', KEYS[1], 'paceAt', now, 'paceDone', done, 'paceMsgs', tostring(msgs), 'paceSecs', tostring(secs))
return 1
`);

export interface CampaignPaces {
  /** Takes a sample of a sending campaign's progress (a no-op when one was taken within a second). */
  sample(campaignId: string): Promise<void>;
  /** The recent pace, or undefined before two samples were taken. */
  read(campaignId: string): Promise<CampaignPace | undefined>;
}

/** `minIntervalMs`: samples closer than this are skipped (default 1 s; tests use less). */
export function createCampaignPaces(opts: { redis: RedisClient; keys: Keys; minIntervalMs?: number }): CampaignPaces {
  const { redis, keys } = opts;
  const minInterval = opts.minIntervalMs ?? MIN_INTERVAL_MS;
  return {
    async sample(campaignId) {
      await SAMPLE.run(redis, [keys.campaign(campaignId)], [PACE_TAU_MS, minInterval, MAX_GAP_MS]);
    },
    async read(campaignId) {
      const [msgs, secs] = await redis.hmget(keys.campaign(campaignId), 'paceMsgs', 'paceSecs');
      const seconds = Number(secs);
      if (!msgs || !secs || !(seconds > 0)) return undefined;
      return { perSecond: Number(msgs) / seconds, seconds };
    },
  };
}

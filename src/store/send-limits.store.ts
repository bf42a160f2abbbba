/**
 * The send limits every worker obeys, stored once in Redis (`newsdesk limits set`), so the global
 * rate is one number and not whatever each worker's environment says. SEND_RATE_PER_SECOND and
 * SEND_RATE_PER_HOUR only seed it while nothing is stored.
 */
import { z } from 'zod';
import { NewsdeskError } from '../domain/errors.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';

/** Messages per second and per clock hour across all workers; 0 is no limit. */
export const SendLimits = z.strictObject({
  perSecond: z.number().int().min(0).max(1_000_000),
  perHour: z.number().int().min(0).max(1_000_000_000),
});
export type SendLimits = z.infer<typeof SendLimits>;

// KEYS: the limits hash. ARGV: perSecond, perHour. Stores them only when nothing is stored yet;
// returns what is stored afterwards.
const SEED = new LuaScript('send-limits-seed', `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'perSecond', ARGV[1], 'perHour', ARGV[2])
end
return redis.call('HMGET', KEYS[1], 'perSecond', 'perHour')
`);

export interface SendLimitsStore {
  /** The stored limits, or null when none were ever stored. */
  get(): Promise<SendLimits | null>;
  /** Stores new limits (what `limits set` and `PUT /api/limits` do); workers follow within seconds. */
  set(limits: SendLimits): Promise<SendLimits>;
  /** Stores `limits` only if nothing is stored; returns what is stored then. */
  seed(limits: SendLimits): Promise<SendLimits>;
}

function parse(raw: (string | null)[]): SendLimits {
  const parsed = SendLimits.safeParse({ perSecond: Number(raw[0] ?? 0), perHour: Number(raw[1] ?? 0) });
  if (!parsed.success) throw new NewsdeskError('record_corrupt', 'the stored send limits are unreadable; set them again with newsdesk limits set');
  return parsed.data;
}

export function createSendLimitsStore(opts: { redis: RedisClient; keys: Keys }): SendLimitsStore {
  const { redis, keys } = opts;
  return {
    async get() {
      const raw = await redis.hmget(keys.sendLimits, 'perSecond', 'perHour');
      return raw[0] === null && raw[1] === null ? null : parse(raw);
    },
    async set(limits) {
      const valid = SendLimits.parse(limits);
      await redis.hset(keys.sendLimits, { perSecond: String(valid.perSecond), perHour: String(valid.perHour) });
      return valid;
    },
    async seed(limits) {
      const valid = SendLimits.parse(limits);
      return parse((await SEED.run(redis, [keys.sendLimits], [valid.perSecond, valid.perHour])) as (string | null)[]);
    },
  };
}

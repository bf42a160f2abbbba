/**
 * Daily schedules in Redis, beside their BullMQ job schedulers (README.md, "The daily schedule"):
 * the settings of each (`{p}:schedules`), the claim that makes a slot's campaign happen once per
 * newsletter and date (`{p}:schedule:<newsletter>:<date>`), and the missed slots the dashboard
 * and /metrics show.
 *
 * A claim goes `claimed` (by one slot job) → `created` (with the campaign id) or `missed` (with
 * the reason). Only the job that claimed may finish it; the same job run again after a crash
 * finds its own claim and finishes the work, any other job finds it taken.
 */
import { MissedSlot, type MissedReason, Schedule } from '../domain/schedule.schema.ts';
import { LuaScript, type Keys, type RedisClient } from './redis.ts';

/** Claims outlive any retry and any "was it sent?" question by weeks, then go. */
const CLAIM_TTL_MS = 40 * 86_400_000;

const CLAIM = new LuaScript(
  'schedule-claim',
  `
if redis.call('HSETNX', KEYS[1], 'owner', ARGV[1]) == 1 then
  redis.call('HSET', KEYS[1], 'state', 'claimed', 'slot', ARGV[2], 'claimedAt', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  return {'won'}
end
local r = redis.call('HMGET', KEYS[1], 'state', 'owner', 'campaignId', 'reason')
if r[1] == 'claimed' and r[2] == ARGV[1] then return {'resume'} end
return {r[1] or '', r[2] or '', r[3] or '', r[4] or ''}
`,
);

const FINISH = new LuaScript(
  'schedule-finish',
  `
local r = redis.call('HMGET', KEYS[1], 'state', 'owner')
if r[1] ~= 'claimed' or r[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], ARGV[3], ARGV[4], 'finishedAt', ARGV[5])
return 1
`,
);

/** What a slot job learns when it tries to claim its newsletter's date. */
export type ClaimResult =
  | { kind: 'won' }
  /** This job claimed it before and did not finish (a crash, a retry): finish the work. */
  | { kind: 'resume' }
  /** Another job holds it: it is creating the campaign now, or did. */
  | { kind: 'taken'; state: 'claimed' | 'created' | 'missed'; owner: string; campaignId?: string | undefined; reason?: string | undefined };

export type ClaimOutcome = { state: 'created'; campaignId: string } | { state: 'missed'; reason: MissedReason };

/** A claim as stored, for status and tests. */
export interface ClaimRecord {
  state: 'claimed' | 'created' | 'missed';
  owner: string;
  slot: string;
  claimedAt: string;
  campaignId?: string | undefined;
  reason?: string | undefined;
}

export interface ScheduleStore {
  get(newsletter: string): Promise<Schedule | null>;
  all(): Promise<Schedule[]>;
  put(schedule: Schedule): Promise<void>;
  /** @returns false when there was none. */
  remove(newsletter: string): Promise<boolean>;
  /** Claims `<newsletter>:<date>` for the slot job `owner` (atomic; see the module comment). */
  claim(newsletter: string, date: string, owner: string, slot: Date, now: Date): Promise<ClaimResult>;
  /** Ends `owner`'s claim; false when it is not (or no longer) theirs to end. */
  finish(newsletter: string, date: string, owner: string, outcome: ClaimOutcome, now: Date): Promise<boolean>;
  claimOf(newsletter: string, date: string): Promise<ClaimRecord | null>;
  /** Records a missed slot: the banner (latest per newsletter) and the counter. */
  recordMissed(missed: MissedSlot): Promise<void>;
  /** A slot of `newsletter` sent: its banner goes. */
  clearMissed(newsletter: string): Promise<void>;
  /** The banners, newest first. */
  missed(): Promise<MissedSlot[]>;
  /** Slots missed, by newsletter and reason, since the installation began. */
  missedCounts(): Promise<Array<{ newsletter: string; reason: string; count: number }>>;
}

export function createScheduleStore(opts: { redis: RedisClient; keys: Keys }): ScheduleStore {
  const { redis, keys } = opts;
  return {
    async get(newsletter) {
      const raw = await redis.hget(keys.schedules, newsletter);
      return raw ? Schedule.parse(JSON.parse(raw)) : null;
    },
    async all() {
      const all = await redis.hgetall(keys.schedules);
      return Object.values(all)
        .map((raw) => Schedule.parse(JSON.parse(raw)))
        .sort((a, b) => a.newsletter.localeCompare(b.newsletter));
    },
    async put(schedule) {
      await redis.hset(keys.schedules, schedule.newsletter, JSON.stringify(Schedule.parse(schedule)));
    },
    async remove(newsletter) {
      const [[, removed]] = (await redis.multi().hdel(keys.schedules, newsletter).hdel(keys.scheduleMissed, newsletter).exec()) as [[Error | null, number]];
      return removed === 1;
    },
    async claim(newsletter, date, owner, slot, now) {
      const r = (await CLAIM.run(redis, [keys.scheduleClaim(newsletter, date)], [owner, slot.toISOString(), now.toISOString(), CLAIM_TTL_MS])) as string[];
      const kind = r[0];
      if (kind === 'won' || kind === 'resume') return { kind };
      return { kind: 'taken', state: (kind || 'claimed') as 'claimed' | 'created' | 'missed', owner: r[1] ?? '', campaignId: r[2] || undefined, reason: r[3] || undefined };
    },
    async finish(newsletter, date, owner, outcome, now) {
      const [field, value] = outcome.state === 'created' ? ['campaignId', outcome.campaignId] : ['reason', outcome.reason];
      const done = await FINISH.run(redis, [keys.scheduleClaim(newsletter, date)], [owner, outcome.state, field, value, now.toISOString()]);
      return done === 1;
    },
    async claimOf(newsletter, date) {
      const h = await redis.hgetall(keys.scheduleClaim(newsletter, date));
      if (!h.state) return null;
      return {
        state: h.state as ClaimRecord['state'],
        owner: h.owner ?? '',
        slot: h.slot ?? '',
        claimedAt: h.claimedAt ?? '',
        campaignId: h.campaignId,
        reason: h.reason,
      };
    },
    async recordMissed(missed) {
      const m = MissedSlot.parse(missed);
      await redis
        .multi()
        .hset(keys.scheduleMissed, m.newsletter, JSON.stringify(m))
        .hincrby(keys.scheduleMissedCounts, `${m.newsletter}|${m.reason}`, 1)
        .exec();
    },
    async clearMissed(newsletter) {
      await redis.hdel(keys.scheduleMissed, newsletter);
    },
    async missed() {
      const all = await redis.hgetall(keys.scheduleMissed);
      return Object.values(all)
        .flatMap((raw) => {
          const p = MissedSlot.safeParse(JSON.parse(raw));
          return p.success ? [p.data] : [];
        })
        .sort((a, b) => b.at.localeCompare(a.at));
    },
    async missedCounts() {
      const all = await redis.hgetall(keys.scheduleMissedCounts);
      return Object.entries(all).map(([k, v]) => {
        const [newsletter = '', reason = ''] = k.split('|');
        return { newsletter, reason, count: Number(v) };
      });
    },
  };
}

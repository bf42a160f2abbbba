/**
 * A local-time campaign's zone buckets in Redis (`{p}:campaign:<id>:zones`, see
 * src/queue/zone-buckets.ts): one field per fan-out page and zone, so a page done twice after a
 * crash counts once; each bucket's sent count (`{p}:campaign:<id>:zone-sent`, zone → sent,
 * src/queue/zone-progress.ts); and readers' `timezone` attributes, read in one round trip per page.
 */
import { TIMEZONE_ATTRIBUTE } from '../domain/subscriber.schema.ts';
import type { Keys, RedisClient } from './redis.ts';
import type { SubscriberStore } from './subscriber.store.ts';

/** Kept as long as anyone asks how a campaign went out; then Redis drops them. */
const ZONES_TTL_MS = 60 * 86_400_000;

export interface CampaignZones {
  zonesOf(ids: readonly number[]): Promise<Array<string | undefined>>;
  recordPage(campaignId: string, pageCursor: number, buckets: ReadonlyArray<{ zone: string; at: string; readers: number }>): Promise<void>;
  /** Each bucket with the messages sent to it so far, by time. */
  buckets(campaignId: string): Promise<Array<{ zone: string; at: string; readers: number; sent: number }>>;
  /** Adds `n` sends to a bucket's count (one round trip per batch). */
  addSent(campaignId: string, zone: string, n: number): Promise<void>;
}

export function createCampaignZones(opts: { redis: RedisClient; keys: Keys; subscribers: Pick<SubscriberStore, 'getMany'> }): CampaignZones {
  const { redis, keys } = opts;
  return {
    async zonesOf(ids) {
      const found = await opts.subscribers.getMany(ids);
      return found.map((s) => {
        const tz = s?.attributes[TIMEZONE_ATTRIBUTE];
        return typeof tz === 'string' ? tz : undefined;
      });
    },
    async recordPage(campaignId, pageCursor, buckets) {
      if (!buckets.length) return;
      const key = keys.campaignZones(campaignId);
      const fields: Record<string, string> = {};
      for (const b of buckets) fields[`${b.zone}\t${pageCursor}`] = JSON.stringify({ at: b.at, readers: b.readers });
      await redis.multi().hset(key, fields).pexpire(key, ZONES_TTL_MS).exec();
    },
    async addSent(campaignId, zone, n) {
      if (n <= 0) return;
      const key = keys.campaignZoneSent(campaignId);
      await redis.multi().hincrby(key, zone, n).pexpire(key, ZONES_TTL_MS).exec();
    },
    async buckets(campaignId) {
      const [all, sent] = await Promise.all([redis.hgetall(keys.campaignZones(campaignId)), redis.hgetall(keys.campaignZoneSent(campaignId))]);
      const byZone = new Map<string, { zone: string; at: string; readers: number; sent: number }>();
      for (const [field, raw] of Object.entries(all)) {
        const zone = field.split('\t')[0] as string;
        const { at, readers } = JSON.parse(raw) as { at: string; readers: number };
        const b = byZone.get(zone) ?? { zone, at, readers: 0, sent: Number(sent[zone] ?? 0) };
        b.readers += readers;
        byZone.set(zone, b);
      }
      return [...byZone.values()].sort((a, b) => a.at.localeCompare(b.at) || a.zone.localeCompare(b.zone));
    },
  };
}

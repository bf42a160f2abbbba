/**
 * A local-time campaign's zone buckets in Redis (`{p}:campaign:<id>:zones`, see
 * src/queue/zone-buckets.ts): one field per fan-out page and zone, so a page done twice after a
 * crash counts once; and readers' `timezone` attributes, read in one round trip per page.
 */
import { TIMEZONE_ATTRIBUTE } from '../domain/subscriber.schema.ts';
import type { Keys, RedisClient } from './redis.ts';
import type { SubscriberStore } from './subscriber.store.ts';

/** Kept as long as anyone asks how a campaign went out; then Redis drops them. */
const ZONES_TTL_MS = 60 * 86_400_000;

export interface CampaignZones {
  zonesOf(ids: readonly number[]): Promise<Array<string | undefined>>;
  recordPage(campaignId: string, pageCursor: number, buckets: ReadonlyArray<{ zone: string; at: string; readers: number }>): Promise<void>;
  buckets(campaignId: string): Promise<Array<{ zone: string; at: string; readers: number }>>;
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
    async buckets(campaignId) {
      const all = await redis.hgetall(keys.campaignZones(campaignId));
      const byZone = new Map<string, { zone: string; at: string; readers: number }>();
      for (const [field, raw] of Object.entries(all)) {
        const zone = field.split('\t')[0] as string;
        const { at, readers } = JSON.parse(raw) as { at: string; readers: number };
        const b = byZone.get(zone) ?? { zone, at, readers: 0 };
        b.readers += readers;
        byZone.set(zone, b);
      }
      return [...byZone.values()].sort((a, b) => a.at.localeCompare(b.at) || a.zone.localeCompare(b.zone));
    },
  };
}

/**
 * Counting clicks and opens of tracked links (README.md, "What readers did with it"), and what is
 * held per reader in per-reader mode. A click is one Redis call ({@link RECORD_CLICK}); the link
 * table of a campaign is read once per process and kept (it never changes after create).
 *
 * Keys: see {@link Keys} `campaignClicks`, `campaignClickHours`, `readerClicks`,
 * `readerClickEvents`, `readerCampaigns`.
 */
import { boundedMemo } from '../bounded-memo.ts';
import type { ClickClass, ClickTracking } from '../domain/tracking.schema.ts';
import { redirectTarget } from '../domain/redirect-target.ts';
import type { CampaignStore } from './campaign.store.ts';
import { RECORD_CLICK } from './click.scripts.ts';
import type { Keys, RedisClient } from './redis.ts';

/** A campaign's tracking as the redirect needs it. */
export interface CampaignLinks {
  clicks: ClickTracking;
  opensOn: boolean;
  /** Per link number: the redirect's Location, or null (untracked, or not an http(s) address). */
  targets: (string | null)[];
  /** Tracked links, which the burst rule needs all of. */
  trackedCount: number;
}

/** One click or open to count. */
export interface ClickInput {
  campaignId: string;
  kind: 'click' | 'open';
  /** The link number (clicks). */
  link?: number | undefined;
  /** Per-reader mode only. */
  subscriberId?: number | undefined;
  /** Already known to be software (HEAD, a scanner's User-Agent or network). */
  machine: boolean;
}

/** Figures of one campaign, as counted. */
export interface ClickCounts {
  byLink: { human: number; machine: number }[];
  opens: { human: number; machine: number };
  /** Readers with at least one human click (per-reader mode; 0 otherwise). */
  readers: number;
}

export interface ClickStoreOptions {
  redis: RedisClient;
  keys: Keys;
  campaigns: Pick<CampaignStore, 'content'>;
  /** TRACKING_SCANNER_WINDOW_SECONDS in ms: requests this soon after delivery are machine. 0 turns the rule off. */
  windowMs: number;
  /** TRACKING_BURST_SECONDS in ms: the largest gap between clicks of one burst. */
  burstMs: number;
  /** TRACKING_RETENTION_DAYS in ms: how long per-reader click events are kept. */
  retentionMs: number;
  /** Clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Campaign link tables kept in memory. Default 500. */
  cacheSize?: number;
}

export interface ClickStore {
  /** The campaign's tracking, or null when it has none (or does not exist). */
  campaignLinks(campaignId: string): Promise<CampaignLinks | null>;
  /** Counts one click or open; returns how it was classified and why. */
  record(input: ClickInput): Promise<{ class: ClickClass; reason: string }>;
  /** The campaign's counters. */
  counts(campaignId: string, linkCount: number): Promise<ClickCounts>;
  /** Human clicks and opens per epoch hour. */
  hours(campaignId: string): Promise<{ clicks: Map<number, number>; opens: Map<number, number> }>;
  /** Messages sent per epoch minute. */
  sentMinutes(campaignId: string): Promise<Map<number, number>>;
  /** Every click and open event kept about a reader (per-reader mode), by campaign. */
  readerEvents(subscriberId: number): Promise<{ campaignId: string; events: { at: string; what: string; class: ClickClass }[] }[]>;
  /** Deletes every click and open event and click state kept about a reader. Returns keys removed. */
  eraseReader(subscriberId: number): Promise<number>;
  /** Counts an unsubscribe that came through a campaign's link: RFC 8058 one-click or the page's buttons. */
  countUnsubscribe(campaignId: string, via: 'oneClick' | 'page'): Promise<void>;
  /** The campaign's unsubscribes by way. */
  unsubscribes(campaignId: string): Promise<{ oneClick: number; page: number }>;
}

export function createClickStore(opts: ClickStoreOptions): ClickStore {
  const { redis, keys } = opts;
  const now = opts.now ?? Date.now;
  const cacheSize = opts.cacheSize ?? 500;

  async function load(campaignId: string): Promise<CampaignLinks | null> {
    let content;
    try {
      content = await opts.campaigns.content(campaignId);
    } catch {
      return null;
    }
    const t = content.tracking;
    if (!t) return null;
    const fill = { campaign: campaignId, date: content.compiled.editionDate };
    const tracked = t.clicks !== 'off';
    return {
      clicks: t.clicks,
      opensOn: t.opens === 'on',
      targets: t.links.map((l) => (tracked && l.track ? redirectTarget(l.url, t.utm, fill) : null)),
      trackedCount: tracked ? t.links.filter((l) => l.track).length : 0,
    };
  }

  // Only found tables stay: a campaign created a moment later must not be remembered as missing.
  const campaignLinks = boundedMemo(cacheSize, load, (links) => links !== null);

  const toMap = (flat: Record<string, string>, prefix: string) => {
    const m = new Map<number, number>();
    for (const [k, v] of Object.entries(flat)) if (k.startsWith(prefix)) m.set(Number(k.slice(prefix.length)), Number(v));
    return m;
  };

  return {
    campaignLinks,

    async record(input) {
      const links = await this.campaignLinks(input.campaignId);
      const perReader = input.subscriberId !== undefined && links?.clicks === 'per-reader';
      const id = input.campaignId;
      const ks = [keys.campaignClicks(id), keys.campaign(id), keys.campaignClickHours(id)];
      if (perReader) {
        const sid = input.subscriberId as number;
        ks.push(keys.campaignDeliveries(id), keys.readerClicks(id, sid), keys.readerClickEvents(id, sid), keys.readerCampaigns(sid));
      }
      const [cls, reason] = (await RECORD_CLICK.run(redis, ks, [
        input.kind === 'open' ? 'o' : 'c',
        input.link ?? 0,
        input.machine ? 1 : 0,
        now(),
        opts.windowMs,
        opts.burstMs,
        links?.trackedCount ?? 0,
        perReader ? 1 : 0,
        perReader ? (input.subscriberId as number) : 0,
        opts.retentionMs,
        id,
      ])) as [string, string];
      return { class: cls === 'm' ? 'machine' : 'human', reason };
    },

    async counts(campaignId, linkCount) {
      const f = await redis.hgetall(keys.campaignClicks(campaignId));
      const n = (k: string) => Number(f[k] ?? 0);
      return {
        byLink: Array.from({ length: linkCount }, (_, i) => ({ human: n(`h:l${i}`), machine: n(`m:l${i}`) })),
        opens: { human: n('h:o'), machine: n('m:o') },
        readers: n('readers'),
      };
    },

    async hours(campaignId) {
      const f = await redis.hgetall(keys.campaignClickHours(campaignId));
      return { clicks: toMap(f, 'c:'), opens: toMap(f, 'o:') };
    },

    async sentMinutes(campaignId) {
      return toMap(await redis.hgetall(keys.campaignSentMinutes(campaignId)), '');
    },

    async readerEvents(subscriberId) {
      const campaignIds = (await redis.smembers(keys.readerCampaigns(subscriberId))).sort();
      const out = [];
      for (const campaignId of campaignIds) {
        const raw = await redis.lrange(keys.readerClickEvents(campaignId, subscriberId), 0, -1);
        const events = raw.map((e) => {
          const [at, what, cls] = e.split('|') as [string, string, string];
          return { at: new Date(Number(at)).toISOString(), what: what === 'o' ? 'open' : `click on link ${what.slice(1)}`, class: (cls === 'm' ? 'machine' : 'human') as ClickClass };
        });
        if (events.length) out.push({ campaignId, events });
      }
      return out;
    },

    async countUnsubscribe(campaignId, via) {
      await redis.hincrby(keys.campaignClicks(campaignId), `unsub:${via}`, 1);
    },

    async unsubscribes(campaignId) {
      const [oneClick, page] = await redis.hmget(keys.campaignClicks(campaignId), 'unsub:oneClick', 'unsub:page');
      return { oneClick: Number(oneClick ?? 0), page: Number(page ?? 0) };
    },

    async eraseReader(subscriberId) {
      const campaignIds = await redis.smembers(keys.readerCampaigns(subscriberId));
      const doomed = [keys.readerCampaigns(subscriberId), ...campaignIds.flatMap((c) => [keys.readerClicks(c, subscriberId), keys.readerClickEvents(c, subscriberId)])];
      return redis.del(...doomed);
    },
  };
}

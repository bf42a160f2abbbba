/**
 * Sending at the reader's local time (a schedule's `--local-time`, README.md "The daily
 * schedule"): a campaign with `localSend` fans out in zone buckets. Each reader with a valid
 * `timezone` attribute gets the edition at `localSend.time` on the edition's date in that zone;
 * the rest at that time in `localSend.zone` (the schedule's). A bucket whose time has passed
 * goes at once. Batches of a bucket are BullMQ jobs delayed to its time, so pause and cancel
 * reach them like any batch (a delayed batch that comes due during a pause is parked; after a
 * cancel it sends nothing). Each bucket's size and time are kept for `campaign status`.
 */
import type { Campaign } from '../domain/campaign.schema.ts';
import { isTimeZone, resolveLocalTime } from '../domain/time-zone.ts';
import { type SendBatchJob, sendBatchJobId } from './queues.ts';

/** A campaign's zone bucket as `campaign status` shows it. */
export interface ZoneBucket {
  zone: string;
  /** When its batches go (ISO, UTC). */
  at: string;
  readers: number;
}

/** Where fan-out learns readers' zones and records the buckets. */
export interface ReaderZones {
  /** The `timezone` attribute of each id (undefined: none, or not a subscriber any more). */
  zonesOf(ids: readonly number[]): Promise<Array<string | undefined>>;
  /**
   * Records one fan-out page's buckets under the page's starting cursor, so a page done again
   * after a crash replaces its own figures instead of adding to them.
   */
  recordPage(campaignId: string, pageCursor: number, buckets: readonly ZoneBucket[]): Promise<void>;
  /** The campaign's buckets, by time. */
  buckets(campaignId: string): Promise<ZoneBucket[]>;
}

/** The instant `time` (HH:MM) on `date` (YYYY-MM-DD) in `zone`; a time the clocks skip goes an hour later. */
export function localSendTime(date: string, time: string, zone: string): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const r = resolveLocalTime({ year, month, day, hour, minute, second: 0 }, zone);
  if (r.kind === 'instant') return r.at;
  const later = resolveLocalTime({ year, month, day, hour: hour + 1, minute, second: 0 }, zone);
  if (later.kind === 'instant') return later.at;
  throw new Error(`no ${time} on ${date} in ${zone}`);
}

/**
 * Splits one fan-out page into delayed batches by zone. `ids` ascending; `zones[i]` is `ids[i]`'s
 * attribute. Deterministic: the same page makes the same jobs, so a re-run fan-out adds nothing.
 */
export function zoneBatches(
  campaign: Pick<Campaign, 'id' | 'editionDate'> & { localSend: { time: string; zone: string } },
  ids: readonly number[],
  zones: ReadonlyArray<string | undefined>,
  batchSize: number,
  now: Date,
): { batches: Array<{ jobId: string; data: SendBatchJob; delay: number }>; buckets: ZoneBucket[] } {
  const byZone = new Map<string, number[]>();
  ids.forEach((id, i) => {
    const own = zones[i];
    const zone = own !== undefined && isTimeZone(own) ? own : campaign.localSend.zone;
    let list = byZone.get(zone);
    if (!list) byZone.set(zone, (list = []));
    list.push(id);
  });
  const batches: Array<{ jobId: string; data: SendBatchJob; delay: number }> = [];
  const buckets: ZoneBucket[] = [];
  for (const [zone, members] of [...byZone].sort(([a], [b]) => a.localeCompare(b))) {
    const at = localSendTime(campaign.editionDate, campaign.localSend.time, zone);
    const delay = Math.max(0, at.getTime() - now.getTime());
    buckets.push({ zone, at: at.toISOString(), readers: members.length });
    for (let i = 0; i < members.length; i += batchSize) {
      const subscriberIds = members.slice(i, i + batchSize);
      batches.push({ jobId: sendBatchJobId(campaign.id, subscriberIds), data: { campaignId: campaign.id, subscriberIds, zone }, delay });
    }
  }
  return { batches, buckets };
}

/** Where a bucket is: `waiting` for its time, `due` (its batches are being sent), or the campaign's own end or pause. */
export function bucketState(bucket: ZoneBucket, campaignStatus: Campaign['status'], now: Date): string {
  if (campaignStatus !== 'sending') return campaignStatus;
  return Date.parse(bucket.at) > now.getTime() ? 'waiting' : 'due';
}

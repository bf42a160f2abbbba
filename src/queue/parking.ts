/**
 * Where send-batch jobs of a paused campaign wait. A job that meets a pause moves itself to the
 * delayed set for a long while and notes its id; `wake` (on resume or cancel) promotes every noted
 * job at once, so a resume takes effect in well under the 2 seconds the product promises, and a
 * pause costs Redis nothing while it lasts. The long delay is only a safety net.
 */
import type { Job, Queue } from 'bullmq';
import type { CampaignStore } from '../store/campaign.store.ts';
import type { Keys, RedisClient } from '../store/redis.ts';
import type { Parking } from './send-batch.job.ts';

/** How long a parked job sleeps if nobody wakes it. */
export const PARK_MS = 10 * 60_000;

export interface JobParkingOptions {
  redis: RedisClient;
  keys: Keys;
  sendQueue: Queue;
  campaigns: CampaignStore;
}

export class JobParking implements Parking {
  constructor(private readonly opts: JobParkingOptions) {}

  private key(campaignId: string): string {
    return this.opts.keys.campaignParked(campaignId);
  }

  async park(campaignId: string, job: Job, lockToken: string): Promise<void> {
    await this.opts.redis.sadd(this.key(campaignId), job.id as string);
    await job.moveToDelayed(Date.now() + PARK_MS, lockToken);
    // A resume may have run between our status check and the park: then nobody would wake us.
    const status = await this.opts.campaigns.status(campaignId);
    if (status !== 'paused') await promote(job);
  }

  /** Wakes every parked job of the campaign. Returns how many were woken. */
  async wake(campaignId: string): Promise<number> {
    let woken = 0;
    for (;;) {
      const ids = await this.opts.redis.spop(this.key(campaignId), 500);
      if (ids.length === 0) return woken;
      for (const id of ids) {
        const job = await this.opts.sendQueue.getJob(id);
        if (job && (await promote(job))) woken++;
      }
    }
  }
}

/** Promotes a delayed job; false when it was not delayed (already woken, or running). */
async function promote(job: Job): Promise<boolean> {
  try {
    await job.promote();
    return true;
  } catch {
    return false;
  }
}

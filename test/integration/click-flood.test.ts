/**
 * A flood of 100,000 clicks through the click store (the redirect's counting path): every click
 * counted exactly once, human and machine apart, and nothing grows with the number of clicks —
 * not the keys or fields in Redis, not this process's heap.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignContent } from '../../src/store/campaign.store.ts';
import { createClickStore } from '../../src/store/click.store.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';
import { keysWithPrefix, openTestRedis, type TestRedis } from '../support/redis.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const LINKS = 9;
const CLICKS = 100_000;
const CONCURRENT = 500;

let t: TestRedis;
beforeEach(async () => {
  t = await openTestRedis();
});
afterEach(async () => t.cleanup());

describe('click flood', () => {
  it('counts 100,000 concurrent clicks exactly, with flat Redis and heap', async () => {
    const { compiled, newsletter } = await compiledExampleEdition();
    const links = Array.from({ length: LINKS }, (_, i) => ({ url: `https://news.example.com/${i}`, section: 'watching' as const, label: `${i}`, track: true }));
    const content: CampaignContent = { compiled, newsletter, tracking: { clicks: 'aggregate', opens: 'off', links } };
    const store = createClickStore({ redis: t.redis, keys: t.keys, campaigns: { content: async () => content }, windowMs: 0, burstMs: 1000, retentionMs: 86_400_000 });
    const campaignId = 'daily-2025-02-13-flood1';
    const isMachine = (i: number) => i % 7 === 0;

    let footprint: { keys: number; fields: number } | undefined;
    let heapAtStart = 0;
    for (let from = 0; from < CLICKS; from += CONCURRENT) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENT, CLICKS - from) }, (_, j) => {
          const i = from + j;
          return store.record({ campaignId, kind: 'click', link: i % LINKS, machine: isMachine(i) });
        }),
      );
      if (from === 10 * CONCURRENT) {
        footprint = { keys: (await keysWithPrefix(t.redis, t.prefix)).length, fields: await t.redis.hlen(t.keys.campaignClicks(campaignId)) };
        gc();
        heapAtStart = process.memoryUsage().heapUsed;
      }
    }
    gc();
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapAtStart) / 1024 / 1024;

    const counts = await store.counts(campaignId, LINKS);
    const want = Array.from({ length: LINKS }, () => ({ human: 0, machine: 0 }));
    for (let i = 0; i < CLICKS; i++) (want[i % LINKS] as { human: number; machine: number })[isMachine(i) ? 'machine' : 'human']++;
    expect(counts.byLink).toEqual(want);
    expect(counts.byLink.reduce((s, l) => s + l.human + l.machine, 0)).toBe(CLICKS);
    expect({ keys: (await keysWithPrefix(t.redis, t.prefix)).length, fields: await t.redis.hlen(t.keys.campaignClicks(campaignId)) }).toEqual(footprint);
    expect(heapGrowthMb).toBeLessThan(16);
  }, 300_000);
});

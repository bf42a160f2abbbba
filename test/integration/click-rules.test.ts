/**
 * The machine-click rules over real Redis, fed with recorded request patterns
 * (test/fixtures/click-patterns.json): the request rules (HEAD, User-Agent, network) decide in
 * the classifier, the timing rules (delivery window, every link at once) in the store's script.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRequestClassifier } from '../../src/domain/click-classifier.ts';
import type { CampaignContent } from '../../src/store/campaign.store.ts';
import { MAX_EVENTS_PER_READER } from '../../src/store/click.scripts.ts';
import { createClickStore, type ClickStore } from '../../src/store/click.store.ts';
import { compiledExampleEdition } from '../support/pipeline.ts';
import { repoPath } from '../support/editions.ts';
import { openTestRedis, type TestRedis } from '../support/redis.ts';

interface Recorded {
  at: number;
  method: string;
  ua: string;
  ip: string;
  what: number | 'open';
  expect: 'human' | 'machine';
}
const fixture = JSON.parse(readFileSync(repoPath('test/fixtures/click-patterns.json'), 'utf8')) as {
  message: { links: number };
  patterns: { name: string; requests: Recorded[] }[];
};

const T0 = Date.parse('2025-02-13T11:00:00Z');
const classify = createRequestClassifier();

let t: TestRedis;
let clock = T0;
beforeEach(async () => {
  t = await openTestRedis();
  clock = T0;
});
afterEach(async () => t.cleanup());

async function storeFor(clicks: 'aggregate' | 'per-reader'): Promise<ClickStore> {
  const { compiled, newsletter } = await compiledExampleEdition();
  const links = Array.from({ length: fixture.message.links }, (_, i) => ({ url: `https://news.example.com/story-${i}`, section: 'watching' as const, label: `Story ${i}`, track: true }));
  const content: CampaignContent = { compiled, newsletter, tracking: { clicks, opens: 'on', links } };
  return createClickStore({
    redis: t.redis,
    keys: t.keys,
    campaigns: { content: async () => content },
    windowMs: 10_000,
    burstMs: 1_000,
    retentionMs: 90 * 86_400_000,
    now: () => clock,
  });
}

/** Plays a pattern as one message (campaign `c-<n>`, reader 7) and returns the counts. */
async function play(store: ClickStore, campaignId: string, requests: Recorded[], perReader: boolean) {
  for (const r of requests) {
    clock = T0 + r.at;
    const v = classify({ method: r.method, userAgent: r.ua, ip: r.ip, kind: r.what === 'open' ? 'open' : 'click' });
    await store.record({
      campaignId,
      kind: r.what === 'open' ? 'open' : 'click',
      link: r.what === 'open' ? undefined : r.what,
      subscriberId: perReader ? 7 : undefined,
      machine: v.machine,
    });
  }
  return store.counts(campaignId, fixture.message.links);
}

function expected(requests: Recorded[]) {
  const byLink = Array.from({ length: fixture.message.links }, () => ({ human: 0, machine: 0 }));
  const opens = { human: 0, machine: 0 };
  for (const r of requests) (r.what === 'open' ? opens : (byLink[r.what] as { human: number; machine: number }))[r.expect]++;
  return { byLink, opens };
}

describe('machine clicks, per reader (delivery time known)', () => {
  fixture.patterns.forEach((pattern, n) => {
    it(pattern.name, async () => {
      const store = await storeFor('per-reader');
      const campaignId = `c-${n}-per-reader`;
      // The message to reader 7 was accepted by the SMTP server at T0.
      await t.redis.hset(t.keys.campaignDeliveries(campaignId), '7', `s|${T0}|<m@x>|250 ok`);
      const counts = await play(store, campaignId, pattern.requests, true);
      const want = expected(pattern.requests);
      expect({ byLink: counts.byLink, opens: counts.opens }).toEqual(want);
      expect(counts.readers).toBe(want.byLink.some((l) => l.human > 0) ? 1 : 0);
    });
  });

  it('moves a burst that covers every link to machine, also clicks counted human before it was complete', async () => {
    const store = await storeFor('per-reader');
    await t.redis.hset(t.keys.campaignDeliveries('c-burst'), '7', `s|${T0}|<m@x>|250 ok`);
    const human = { method: 'GET', ua: 'Mozilla/5.0 (Windows NT 10.0) Chrome/124.0', ip: '192.0.2.9' };
    const partial = await play(store, 'c-burst', [0, 1, 2].map((what, i) => ({ ...human, at: 60_000 + i * 300, what, expect: 'human' as const })), true);
    expect(partial.byLink.map((l) => l.human)).toEqual([1, 1, 1, 0]);
    expect(partial.readers).toBe(1);
    const done = await play(store, 'c-burst', [{ ...human, at: 60_900, what: 3, expect: 'machine' }], true);
    expect(done.byLink).toEqual([0, 1, 2, 3].map(() => ({ human: 0, machine: 1 })));
    expect(done.readers).toBe(0);
    const hours = await store.hours('c-burst');
    expect([...hours.clicks.values()].reduce((a, b) => a + b, 0)).toBe(0);
  });
});

describe('per-reader state under a flood from one copy', () => {
  it('counts every click, keeps the latest events only and the burst state bounded', async () => {
    const store = await storeFor('per-reader');
    await t.redis.hset(t.keys.campaignDeliveries('c-flood'), '7', `s|${T0}|<m@x>|250 ok`);
    for (let from = 0; from < 3000; from += 250) {
      await Promise.all(
        Array.from({ length: 250 }, (_, j) => {
          clock = T0 + 60_000 + from + j;
          return store.record({ campaignId: 'c-flood', kind: 'click', link: (from + j) % 2, subscriberId: 7, machine: false });
        }),
      );
    }
    const counts = await store.counts('c-flood', fixture.message.links);
    expect(counts.byLink.slice(0, 2).map((l) => l.human + l.machine)).toEqual([1500, 1500]);
    expect(await t.redis.llen(t.keys.readerClickEvents('c-flood', 7))).toBe(MAX_EVENTS_PER_READER);
    const state = await t.redis.hgetall(t.keys.readerClicks('c-flood', 7));
    expect((state.bh ?? '').length).toBeLessThan(100);
  });
});

describe('machine clicks, aggregate (no identity: only the campaign\'s last send is known)', () => {
  it('counts a click within the window of the campaign\'s last send as machine, later ones by the request rules', async () => {
    const store = await storeFor('aggregate');
    await t.redis.hset(t.keys.campaign('c-agg'), 'lastSentAt', String(T0));
    const ua = 'Mozilla/5.0 (Macintosh) Safari/605.1.15';
    const counts = await play(
      store,
      'c-agg',
      [
        { at: 3_000, method: 'GET', ua, ip: '192.0.2.1', what: 0, expect: 'machine' },
        { at: 10_000, method: 'GET', ua, ip: '192.0.2.1', what: 0, expect: 'machine' },
        { at: 10_001, method: 'GET', ua, ip: '192.0.2.1', what: 0, expect: 'human' },
        { at: 20_000, method: 'HEAD', ua, ip: '192.0.2.1', what: 1, expect: 'machine' },
      ],
      false,
    );
    expect(counts.byLink[0]).toEqual({ human: 1, machine: 2 });
    expect(counts.byLink[1]).toEqual({ human: 0, machine: 1 });
    expect(counts.readers).toBe(0);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Campaign, Delivery } from '../../src/domain/campaign.schema.ts';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import { Newsletter } from '../../src/domain/newsletter.schema.ts';
import { CampaignStore, parseDelivery } from '../../src/store/campaign.store.ts';
import { DeliveryLedger } from '../../src/store/delivery-ledger.ts';
import { decodeBucket, encodeBucket, TemplateTable } from '../../src/store/ledger-codec.ts';
import { createReaderData } from '../../src/store/reader-data.ts';
import { createClickStore } from '../../src/store/click.store.ts';
import { fillLedger, realisticRecord, REPLY_STYLES, type ReplyStyle } from '../support/ledger-fixtures.ts';
import { type TestRedis, openTestRedis } from '../support/redis.ts';
import { campaignFixture } from '../support/store-fixtures.ts';

const compiled: CompiledEmail = {
  newsletterId: 'daily',
  editionDate: '2025-02-13',
  subject: { parts: ['Hello'], slots: [] },
  preheader: 'pre',
  html: { parts: ['<p>Hi</p>'], slots: [] },
  text: { parts: ['Hi'], slots: [] },
  greetingFallback: 'there',
  compiledAt: '2025-02-13T05:00:00.000Z',
};
const newsletter = Newsletter.parse({
  id: 'daily',
  name: 'The Daily',
  from: { name: 'The Daily', address: 'daily@news.example.com' },
  postalAddress: '1 Main St',
  website: 'https://news.example.com',
});
const DAY = 86_400_000;

function campaign(id: string, over: Partial<Campaign> = {}): Campaign {
  return campaignFixture(id, { status: 'sent', startedAt: '2025-11-24T16:00:00.000Z', fanoutDone: true, ...over });
}

/** Compacts once the lock of a run that died has run out (it lasts the dead run's lockMs). */
async function compactOnceFree(store: CampaignStore, id: string) {
  for (;;) {
    const r = await store.ledger.compact(id);
    if (r.state !== 'busy' || !/another compaction/.test(r.why)) return r;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const byId = (a: Delivery, b: Delivery) => a.subscriberId - b.subscriberId;
/** Every answer the ledger gives about a campaign: each delivery, and the listing by state. */
async function answers(store: CampaignStore, id: string, ids: readonly number[]) {
  const one = await Promise.all(ids.map((s) => store.delivery(id, s)));
  const listed: Record<string, Delivery[]> = {};
  for (const state of ['sent', 'failed', 'skipped', 'queued', 'sending', undefined] as const) {
    listed[state ?? 'all'] = (await store.deliveries(id, { ...(state ? { state } : {}), limit: 1_000_000 })).sort(byId);
  }
  // An absent optional field and one set to undefined are the same answer.
  return JSON.parse(JSON.stringify({ one, listed })) as unknown;
}

/** Odd records: everything that must survive compaction as it was. */
function oddRecords(cid: string, now: number): Record<number, string> {
  return {
    // Sent, but under another Message-ID (not derivable) and erased (no Message-ID at all).
    3: `s|${now - 5000}|<other.3@elsewhere.example>|250 ok`,
    4: `s|${now - 4000}||erased`,
    // A reply quoting the address is kept verbatim, never as a shared template.
    5: `s|${now - 3000}|<${cid}.5@news.example.com>|250 2.1.5 <reader5@example.org> ok: queued as 8F2A9`,
    // Retried, then never finished; an abandoned claim whose lease ran out; never tried.
    6: `q|2|421 4.7.0 try again later`,
    7: `p|job-1|tok|${now - 60_000}|1`,
    8: 'q',
    // A reply with a | in it, an empty reply, and non-ASCII text.
    9: `s|${now - 2000}|<${cid}.9@news.example.com>|250 ok | queued 77AB12`,
    10: `s|${now - 1000}|<${cid}.10@news.example.com>|`,
    11: `s|${now - 900}|<${cid}.11@news.example.com>|250 Nachricht angenommen – Wärme 4711`,
  };
}

describe('compact delivery ledger', () => {
  let t: TestRedis;
  let store: CampaignStore;
  beforeEach(async () => {
    t = await openTestRedis();
    store = new CampaignStore({ redis: t.redis, keys: t.keys, deliveryRetentionMs: 30 * DAY });
  });
  afterEach(() => t.cleanup());

  async function seed(id: string, ids: number[], over: Partial<Campaign> = {}, extra: Record<number, string> = {}) {
    await store.create(campaign(id, over), { compiled, newsletter });
    await fillLedger(t.redis, t.keys, id, ids, (sid, n) => extra[sid] ?? realisticRecord(id, sid, n, { failed: 0.05, skipped: 0.05 }));
    await t.redis.pexpire(t.keys.campaignDeliveries(id), 30 * DAY);
  }

  it('answers every question the same after compaction, from a fraction of the memory', async () => {
    const cid = 'daily-2025-11-24-aaaaaa';
    const ids = [...Array.from({ length: 12 }, (_, i) => i + 1), ...Array.from({ length: 9000 }, (_, i) => 20 + i * 2)];
    await seed(cid, ids, { snapshotMaxId: 20 + 9000 * 2 }, oddRecords(cid, Date.now()));
    const asked = [...ids.filter((id, i) => id < 20 || i % 5 === 0), 13, 21, 99_999];
    const before = await answers(store, cid, asked);
    const lifetime = await store.deliveryRecords(cid);
    const bytesBefore = Number(await t.redis.memory('USAGE', t.keys.campaignDeliveries(cid), 'SAMPLES', 0));

    const r = await store.ledger.compact(cid);
    expect(r).toMatchObject({ state: 'compacted', records: ids.length });
    expect(await t.redis.exists(t.keys.campaignDeliveries(cid))).toBe(0);
    expect(await store.ledger.isCompact(cid)).toBe(true);
    expect(await answers(store, cid, asked)).toEqual(before);

    // Failures and skips keep their full records, and so do 3, 4, 6 and 7 of the odd ones; the rest is packed.
    const exceptions = await t.redis.hlen(t.keys.campaignLedgerExceptions(cid));
    const failedOrSkipped = (before as { listed: Record<string, unknown[]> }).listed;
    expect(exceptions).toBe((failedOrSkipped.failed?.length ?? 0) + (failedOrSkipped.skipped?.length ?? 0) + 4);
    let bytesAfter = 0;
    for (const k of [t.keys.campaignLedger(cid), t.keys.campaignLedgerBuckets(cid), t.keys.campaignLedgerExceptions(cid)]) {
      bytesAfter += Number(await t.redis.memory('USAGE', k, 'SAMPLES', 0));
    }
    expect(bytesAfter).toBeLessThan(bytesBefore / 3);

    // Retention: the compact keys go when the in-flight hash would have.
    const after = await store.deliveryRecords(cid);
    expect(after.kept).toBe(true);
    expect(Math.abs((after.until as Date).getTime() - (lifetime.until as Date).getTime())).toBeLessThan(5_000);
    for (const k of [t.keys.campaignLedger(cid), t.keys.campaignLedgerBuckets(cid), t.keys.campaignLedgerExceptions(cid)]) {
      expect(await t.redis.pttl(k)).toBeGreaterThan(29 * DAY);
    }
    // The summary counts live on the campaign hash, untouched.
    expect((await store.get(cid)).status).toBe('sent');
  });

  it('finishes a compaction that crashed half way, and readers keep the in-flight answers until the switch', async () => {
    const cid = 'daily-2025-11-24-bbbbbb';
    const ids = Array.from({ length: 20_000 }, (_, i) => i + 1);
    await seed(cid, ids, { snapshotMaxId: 20_000 });
    const sample = [1, 4096, 4097, 12_345, 20_000];
    const before = await answers(store, cid, sample);

    // A "crash": the lock of a run that died stays until it runs out, and the run wrote some windows.
    const dying = new DeliveryLedger({ redis: t.redis, keys: t.keys, lockMs: 2000, stopAfterWindows: 2 });
    await expect(dying.compact(cid)).rejects.toThrow(/stopped after 2 windows/);
    expect(await store.ledger.compact(cid)).toMatchObject({ state: 'busy', why: expect.stringMatching(/another compaction/) });
    expect(Number(await t.redis.hget(t.keys.campaignLedger(cid), 'next'))).toBe(32);
    expect(await t.redis.hlen(t.keys.campaignLedgerBuckets(cid))).toBe(32);
    expect(await store.ledger.isCompact(cid)).toBe(false);
    expect(await answers(store, cid, sample)).toEqual(before);

    // Once the dead run's lock has run out, the next run continues from where it stopped.
    const r = await compactOnceFree(store, cid);
    expect(r).toMatchObject({ state: 'compacted', records: 20_000 - (32 * 256 - 1) });
    expect(await answers(store, cid, sample)).toEqual(before);
  });

  it('is idempotent: a second run changes nothing, and rewriting windows gives the same bytes', async () => {
    const cid = 'daily-2025-11-24-cccccc';
    const ids = Array.from({ length: 6000 }, (_, i) => i + 1);
    await seed(cid, ids, { snapshotMaxId: 6000 });
    const before = await answers(store, cid, ids.filter((id) => id % 11 === 0));
    // A run that stopped after one window, then a whole run that starts over from the first.
    const partial = new DeliveryLedger({ redis: t.redis, keys: t.keys, lockMs: 1000, stopAfterWindows: 1 });
    await expect(partial.compact(cid)).rejects.toThrow(/stopped/);
    const firstWindow = await t.redis.hgetallBuffer(t.keys.campaignLedgerBuckets(cid));
    expect(Object.keys(firstWindow).length).toBe(16);
    await t.redis.hdel(t.keys.campaignLedger(cid), 'next');
    expect((await compactOnceFree(store, cid)).state).toBe('compacted');
    const all = await t.redis.hgetallBuffer(t.keys.campaignLedgerBuckets(cid));
    for (const [b, bytes] of Object.entries(firstWindow)) expect(all[b]?.equals(bytes)).toBe(true);
    expect(await store.ledger.compact(cid)).toEqual({ state: 'already' });
    expect(await answers(store, cid, ids.filter((id) => id % 11 === 0))).toEqual(before);
  });

  it('reads, erases in and finishes a ledger begun in format 1, while new ledgers are written in format 2', async () => {
    const styles = Object.keys(REPLY_STYLES) as ReplyStyle[];
    const ids = Array.from({ length: 6000 }, (_, i) => i + 1);
    const fill = async (cid: string) => {
      await store.create(campaign(cid, { snapshotMaxId: 6000 }), { compiled, newsletter });
      await fillLedger(t.redis, t.keys, cid, ids, (sid, n) => realisticRecord(cid, sid, n, { style: styles[sid % styles.length] as ReplyStyle, start: Date.parse('2025-11-24T16:00:00.000Z') }));
      await t.redis.pexpire(t.keys.campaignDeliveries(cid), 30 * DAY);
    };
    const asked = ids.filter((id) => id % 7 === 0);

    // Written now: format 2, every style's replies read back as they were.
    const fresh = 'daily-2025-11-24-kkkkkk';
    await fill(fresh);
    const freshBefore = await answers(store, fresh, asked);
    expect((await store.ledger.compact(fresh)).state).toBe('compacted');
    expect(await t.redis.hget(t.keys.campaignLedger(fresh), 'v')).toBe('2');
    expect(await answers(store, fresh, asked)).toEqual(freshBefore);

    // Begun by older code: its first window in format 1, no `v`, and its lock still held.
    const cid = 'daily-2025-11-24-jjjjjj';
    await fill(cid);
    const before = await answers(store, cid, asked);
    const dying = new DeliveryLedger({ redis: t.redis, keys: t.keys, lockMs: 1000, stopAfterWindows: 1 });
    await expect(dying.compact(cid)).rejects.toThrow(/stopped/);
    const metaKey = t.keys.campaignLedger(cid);
    const meta = await t.redis.hgetall(metaKey);
    const base = Number(meta.base);
    const two = new TemplateTable(Object.entries(meta).filter(([k]) => k.startsWith('t:')).map(([k, v]) => [Number(k.slice(2)), v]));
    const one = new TemplateTable();
    const written = await t.redis.hgetallBuffer(t.keys.campaignLedgerBuckets(cid));
    for (const [b, bytes] of Object.entries(written)) {
      await t.redis.hset(t.keys.campaignLedgerBuckets(cid), b, encodeBucket(decodeBucket(bytes, Number(b), base, two, 2), base, one, 1));
    }
    await t.redis.hdel(metaKey, 'v', ...Object.keys(meta).filter((k) => k.startsWith('t:')));
    await t.redis.hset(metaKey, ...one.takeNew().flatMap(([n, text]) => [`t:${n}`, text]));

    expect((await compactOnceFree(store, cid)).state).toBe('compacted');
    expect(await t.redis.hget(metaKey, 'v')).toBeNull();
    expect(await answers(store, cid, asked)).toEqual(before);

    // An erasure rewrites a format 1 bucket in format 1: its neighbours still read.
    const sent = (before as { one: (Delivery | null)[] }).one.filter((d) => d?.state === 'sent').slice(0, 2) as Delivery[];
    for (const d of sent) expect(await store.ledger.replace(cid, d.subscriberId, `s|${d.at}||erased`)).toBe(true);
    const after = await answers(store, cid, asked);
    const erased = new Set(sent.map((d) => d.subscriberId));
    const unchanged = (x: unknown) => (x as { one: (Delivery | null)[] }).one.filter((d) => d && !erased.has(d.subscriberId));
    expect(unchanged(after)).toEqual(unchanged(before));
    for (const d of sent) expect(await store.delivery(cid, d.subscriberId)).toEqual(parseDelivery(d.subscriberId, `s|${d.at}||erased`));
  });

  it('compacts a cancelled campaign once no claim is live, keeping who was never tried', async () => {
    const cid = 'daily-2025-11-24-dddddd';
    const now = Date.now();
    const extra: Record<number, string> = { 7: `p|job-9|tok|${now + 60_000}|0` };
    for (let i = 100; i < 400; i++) extra[i] = 'q';
    const ids = Array.from({ length: 400 }, (_, i) => i + 1);
    await seed(cid, ids, { status: 'cancelled' }, extra);
    const before = await answers(store, cid, ids);
    // A send still holds its claim: not yet.
    expect(await store.ledger.compact(cid)).toMatchObject({ state: 'busy', why: expect.stringMatching(/subscriber 7 is still claimed/) });
    expect(await store.ledger.isCompact(cid)).toBe(false);
    // Its lease runs out (the job is gone): the claim is kept as it was.
    await t.redis.hset(t.keys.campaignDeliveries(cid), '7', `p|job-9|tok|${now - 1}|0`);
    const stillSending = await store.delivery(cid, 7);
    expect(await store.ledger.compact(cid)).toMatchObject({ state: 'compacted', queued: 300 });
    const after = await answers(store, cid, ids);
    expect(after).toEqual({ ...(before as object), one: (before as { one: unknown[] }).one.map((d, i) => (i === 6 ? JSON.parse(JSON.stringify(stillSending)) : d)) });
    expect((await store.deliveries(cid, { state: 'queued', limit: 1000 })).length).toBe(300);
  });

  it('leaves a campaign that is still sending alone', async () => {
    const cid = 'daily-2025-11-24-eeeeee';
    await seed(cid, [1, 2, 3], { status: 'sending' });
    expect(await store.ledger.compact(cid)).toEqual({ state: 'not-ended', status: 'sending' });
    expect(await t.redis.hlen(t.keys.campaignDeliveries(cid))).toBe(3);
  });

  it('finds sparse recipients without a snapshot, and switches a campaign with no records at once', async () => {
    const cid = 'daily-2025-11-24-ffffff';
    const ids = [1, 70_000, 5_000_001];
    await seed(cid, ids);
    const before = await answers(store, cid, ids);
    expect(await store.ledger.compact(cid)).toMatchObject({ state: 'compacted', records: 3 });
    expect(await answers(store, cid, ids)).toEqual(before);

    await store.create(campaign('daily-2025-11-24-gggggg', { status: 'failed' }), { compiled, newsletter });
    expect(await store.ledger.compact('daily-2025-11-24-gggggg')).toMatchObject({ state: 'compacted', records: 0 });
    expect(await store.deliveryRecords('daily-2025-11-24-gggggg')).toEqual({ kept: false });
  });

  it("lists a reader's deliveries and erases their personal parts from the compact form too", async () => {
    const email = 'jane@example.com';
    await t.stores.lists.create({ id: 'daily' });
    const [joined] = await t.stores.subscribers.joinList('daily', [{ email, name: 'Jane', attributes: {} }], { via: 'admin' });
    const id = (joined as { id: number }).id;
    const cid = 'daily-2025-11-24-hhhhhh';
    const other = 'daily-2025-11-24-iiiiii';
    await seed(cid, [id, id + 1], { startedAt: '2025-11-24T16:00:00.000Z' }, { [id]: `s|1764000001000|<${cid}.${id}@news.example.com>|${REPLY_STYLES.postfix(1)}` });
    await seed(other, [id], {}, { [id]: `k|1764000002000|unsubscribed` });
    const clickStore = createClickStore({ redis: t.redis, keys: t.keys, campaigns: store, windowMs: 0, burstMs: 1000, retentionMs: DAY });
    const readerData = createReaderData({ redis: t.redis, keys: t.keys, stores: t.stores, clickStore });
    const before = (await readerData.export(email)).deliveries;
    expect(before.map((d) => d.campaignId).sort()).toEqual([cid, other]);
    await store.ledger.compact(cid);
    await store.ledger.compact(other);
    expect((await readerData.export(email)).deliveries).toEqual(before);
    expect(before.find((d) => d.campaignId === cid)).toMatchObject({ state: 'sent', messageId: `<${cid}.${id}@news.example.com>`, detail: REPLY_STYLES.postfix(1) });

    await readerData.erase(email);
    expect(await store.delivery(cid, id)).toEqual(parseDelivery(id, 's|1764000001000||erased'));
    // Nothing of the reply is left anywhere in the compact form; the neighbour keeps theirs.
    const packed = Object.values(await t.redis.hgetallBuffer(t.keys.campaignLedgerBuckets(cid))).map((b) => b.toString('latin1')).join('');
    expect(packed).not.toContain(REPLY_STYLES.postfix(1).slice(-5));
    expect(await store.delivery(cid, id + 1)).toMatchObject({ state: 'sent' });
  });
});

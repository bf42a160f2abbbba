/**
 * Ledger and subscriber memory benchmark: Redis bytes per delivery of a finished campaign before
 * and after its ledger is compacted, how long compaction takes, and Redis bytes per subscriber.
 *
 *   npx tsx bench/ledger.ts                                  # --n 100000 --subscribers 20000
 *   npx tsx bench/ledger.ts --n 1000000 --style all --subscribers 0
 *
 * --n N            deliveries in the campaign (default 100000): 96 % sent, 1 % failed, 3 % skipped
 * --style S        the SMTP server's reply style: postfix (default), exim, ses, gmail, or all
 * --density D      share of subscriber ids up to the highest that are recipients (default 0.9)
 * --subscribers M  subscribers to import for the per-subscriber figure (default 20000; 0 skips it)
 *
 * The in-flight ledger is filled directly with records as the send path writes them
 * (test/support/ledger-fixtures.ts); the subscribers go through the import code path
 * (`joinList`, as `newsdesk subscribers import` does). Figures are MEMORY USAGE … SAMPLES 0 of
 * every key the run made, under a random `bench-…` prefix deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.ts';
import { Newsletter } from '../src/domain/newsletter.schema.ts';
import { CampaignStore } from '../src/store/campaign.store.ts';
import { connectRedis, createKeys, type Keys } from '../src/store/redis.ts';
import { createStores } from '../src/store/stores.ts';
import { fillLedger, realisticRecord, REPLY_STYLES, type ReplyStyle } from '../test/support/ledger-fixtures.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    style: { type: 'string', default: 'postfix' },
    density: { type: 'string', default: '0.9' },
    subscribers: { type: 'string', default: '20000' },
  },
});
const n = Number(values.n.replace(/_/g, ''));
const density = Number(values.density);
const subscriberCount = Number(values.subscribers.replace(/_/g, ''));
if (!Number.isInteger(n) || n < 1) throw new Error(`--n: expected a positive integer, got ${values.n}`);
if (!(density > 0 && density <= 1)) throw new Error(`--density: expected a number in (0, 1], got ${values.density}`);
if (!Number.isInteger(subscriberCount) || subscriberCount < 0) throw new Error(`--subscribers: expected a whole number, got ${values.subscribers}`);
const styles = values.style === 'all' ? (Object.keys(REPLY_STYLES) as ReplyStyle[]) : [values.style as ReplyStyle];
for (const s of styles) if (!(s in REPLY_STYLES)) throw new Error(`--style: expected one of ${Object.keys(REPLY_STYLES).join(', ')} or all, got ${s}`);

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function usage(redis: Redis, keys: string[]): Promise<number> {
  const pipeline = redis.pipeline();
  for (const k of keys) pipeline.memory('USAGE', k, 'SAMPLES', 0);
  let bytes = 0;
  for (const [err, b] of (await pipeline.exec()) ?? []) if (!err && b !== null) bytes += Number(b);
  return bytes;
}

/** Every key a campaign keeps (besides the sorted set of all campaigns). */
const campaignKeys = (k: Keys, id: string) => [
  k.campaign(id),
  k.campaignContent(id),
  k.campaignSentMinutes(id),
  k.campaignDeliveries(id),
  k.campaignLedger(id),
  k.campaignLedgerBuckets(id),
  k.campaignLedgerExceptions(id),
];

const newsletter = Newsletter.parse({
  id: 'daily',
  name: 'The Daily',
  from: { name: 'The Daily', address: 'daily@news.example.com' },
  postalAddress: '1 Main St',
  website: 'https://news.example.com',
});

const config = loadConfig();
const redis = await connectRedis(new Redis(config.redis.url, { db: config.redis.db, lazyConnect: true }), config.redis.url);
console.log(`newsdesk ledger benchmark, Redis ${config.redis.url}, Node ${process.version}`);
try {
  for (const style of styles) {
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const keys = createKeys(prefix);
    const store = new CampaignStore({ redis, keys, deliveryRetentionMs: 30 * 86_400_000 });
    const id = 'daily-2025-11-24-bench1';
    try {
      const start = Date.parse('2025-11-24T16:00:00.000Z');
      // Recipients: `density` of the ids up to the highest, spread evenly.
      const ids = Array.from({ length: n }, (_, i) => 1 + Math.floor(i / density));
      const maxId = ids[ids.length - 1] as number;
      await store.create(
        {
          id,
          status: 'sent',
          newsletterId: 'daily',
          editionDate: '2025-11-24',
          subject: 'The Daily, 24 November',
          lists: ['daily'],
          createdAt: '2025-11-24T15:00:00.000Z',
          scheduledAt: '2025-11-24T16:00:00.000Z',
          startedAt: new Date(start).toISOString(),
          finishedAt: new Date(start + n * 3.3).toISOString(),
          snapshotMaxId: maxId,
          cursor: maxId,
          fanoutDone: true,
          counts: { total: n, sent: 0, failed: 0, skipped: 0, pending: 0 },
        },
        {
          compiled: {
            newsletterId: 'daily',
            editionDate: '2025-11-24',
            subject: { parts: ['The Daily'], slots: [] },
            preheader: '',
            html: { parts: ['<p>…</p>'], slots: [] },
            text: { parts: ['…'], slots: [] },
            greetingFallback: 'there',
            compiledAt: '2025-11-24T15:00:00.000Z',
          },
          newsletter,
        },
      );
      await fillLedger(redis, keys, id, ids, (sid, i) => realisticRecord(id, sid, i, { style, start }));
      await redis.pexpire(keys.campaignDeliveries(id), 30 * 86_400_000);
      // The send timeline, one field a minute, as the send path leaves it.
      const minutes: string[] = [];
      for (let m = Math.floor(start / 60000); m <= Math.floor((start + n * 3.3) / 60000); m++) minutes.push(String(m), '18000');
      await redis.hset(keys.campaignSentMinutes(id), ...minutes);

      const ledgerBefore = await usage(redis, [keys.campaignDeliveries(id)]);
      const allBefore = await usage(redis, campaignKeys(keys, id));
      const r = await store.ledger.compact(id);
      if (r.state !== 'compacted') throw new Error(`compaction did not run: ${JSON.stringify(r)}`);
      const ledgerAfter = await usage(redis, [keys.campaignLedger(id), keys.campaignLedgerBuckets(id), keys.campaignLedgerExceptions(id)]);
      const allAfter = await usage(redis, campaignKeys(keys, id));
      const sample = (await redis.hget(keys.campaignLedgerExceptions(id), String(ids[0]))) ?? (await store.delivery(id, ids[0] as number))?.detail;
      console.log(`\n${fmt(n)} deliveries, ${style} replies (e.g. "${REPLY_STYLES[style](12345)}"; first: ${JSON.stringify(sample)}), ids ${fmt(density * 100)} % dense`);
      console.log(`  before: ledger hash ${fmt(ledgerBefore / n, 1)} B/delivery; everything the campaign keeps ${fmt(allBefore / n, 1)} B/delivery (${fmt(allBefore / 1_048_576, 1)} MB)`);
      console.log(`  after:  compact ledger ${fmt(ledgerAfter / n, 1)} B/delivery; everything the campaign keeps ${fmt(allAfter / n, 1)} B/delivery (${fmt(allAfter / 1_048_576, 2)} MB)`);
      console.log(`  compaction: ${fmt(r.ms / 1000, 2)} s (${fmt(n / (r.ms / 1000))} deliveries/s): ${fmt(r.sent)} sent packed, ${fmt(r.exceptions)} kept as full records`);
    } finally {
      await deleteKeysWithPrefix(redis, prefix);
    }
  }

  if (subscriberCount > 0) {
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const stores = createStores({ redis, prefix });
    const keys = createKeys(prefix);
    try {
      await stores.lists.create({ id: 'bench', name: 'Benchmark' });
      const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Ken', 'Frances', 'Dennis', 'Radia'];
      const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Liskov', 'Thompson', 'Allen', 'Ritchie', 'Perlman'];
      const CITIES = ['Paris', 'Lagos', 'Lima', 'Osaka', 'Berlin', 'Toronto', 'Nairobi', 'Santiago'];
      for (let i = 0; i < subscriberCount; i += 1000) {
        const rows = [];
        for (let j = i; j < Math.min(subscriberCount, i + 1000); j++) {
          const first = FIRST[j % FIRST.length] as string;
          const last = LAST[Math.floor(j / FIRST.length) % LAST.length] as string;
          rows.push({ email: `${first}.${last}${j}@example${j % 97}.com`, name: `${first} ${last}`, attributes: { city: CITIES[j % CITIES.length] as string, plan: j % 5 ? 'free' : 'pro' } });
        }
        await stores.subscribers.joinList('bench', rows, { via: 'import' });
      }
      const byKind = new Map<string, number>();
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', keys.pattern, 'COUNT', 1000);
        cursor = next;
        const pipeline = redis.pipeline();
        for (const k of found) pipeline.memory('USAGE', k, 'SAMPLES', 0);
        ((await pipeline.exec()) ?? []).forEach(([err, b], i) => {
          if (err) return;
          const kind = (found[i] as string).split(':')[1] as string;
          byKind.set(kind, (byKind.get(kind) ?? 0) + Number(b));
        });
      } while (cursor !== '0');
      const total = [...byKind.values()].reduce((a, b) => a + b, 0);
      const parts = [...byKind].sort((a, b) => b[1] - a[1]).map(([k, b]) => `${k} ${fmt(b / subscriberCount, 1)}`);
      console.log(`\n${fmt(subscriberCount)} subscribers imported: ${fmt(total / subscriberCount, 1)} B/subscriber (${parts.join(', ')})`);
    } finally {
      await deleteKeysWithPrefix(redis, prefix);
    }
  }
} finally {
  redis.disconnect();
}

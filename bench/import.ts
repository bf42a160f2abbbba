/**
 * Import benchmark: generates a CSV of N subscribers, imports it with the real CLI in a child
 * process, and prints rows per second, the importer's peak RSS and Redis bytes per subscriber.
 *
 *   npx tsx bench/import.ts                      # 200,000 rows
 *   npx tsx bench/import.ts --rows 100000,1000000 --again
 *
 * --rows N[,N…]  sizes to run (default 200000); with several, peak RSS is compared to the first
 * --again        import the same file a second time (nothing changes; measures the re-import)
 * --keep         keep the generated file and the Redis keys (prefix printed)
 *
 * Uses REDIS_URL like everything else, under a random `bench-…` prefix deleted afterwards.
 * Redis is shared with other work, so the INFO memory delta can carry noise; the MEMORY USAGE
 * sum over this run's own keys is printed beside it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.ts';
import { connectRedis, createKeys } from '../src/store/redis.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';
import { createStores } from '../src/store/stores.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    again: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const sizes = values.rows.split(',').map((s) => Number(s.replace(/_/g, '')));
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--rows: expected positive integers, got ${values.rows}`);

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Alan', 'Barbara', 'Ken', 'Frances', 'Dennis', 'Radia'];
const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Turing', 'Liskov', 'Thompson', 'Allen', 'Ritchie', 'Perlman'];
const CITIES = ['Paris', 'Lagos', 'Lima', 'Osaka', 'Berlin', 'Toronto', 'Nairobi', 'Santiago'];

/** Writes `rows` subscribers: email, name and two attributes, like a real export. */
async function generate(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('email,name,city,plan\n');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const first = FIRST[i % FIRST.length] as string;
    const last = LAST[Math.floor(i / FIRST.length) % LAST.length] as string;
    chunk += `${first}.${last}${i}@example${i % 97}.com,${first} ${last},${CITIES[i % CITIES.length]},${i % 5 ? 'free' : 'pro'}\n`;
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  out.end();
  await once(out, 'finish');
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
}

/** Sum of MEMORY USAGE over every key of the prefix: this run's footprint only. */
async function keyMemory(redis: Redis, prefix: string): Promise<{ bytes: number; keys: number }> {
  let cursor = '0';
  let bytes = 0;
  let keys = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', createKeys(prefix).pattern, 'COUNT', 1000);
    cursor = next;
    const pipeline = redis.pipeline();
    for (const k of found) pipeline.memory('USAGE', k, 'SAMPLES', 0);
    for (const [err, n] of (await pipeline.exec()) ?? []) if (!err) bytes += Number(n);
    keys += found.length;
  } while (cursor !== '0');
  return { bytes, keys };
}

interface ChildRun {
  code: number;
  wallMs: number;
  mainMs: number;
  maxRssKb: number;
  summary: Record<string, unknown>;
}

/** Runs `newsdesk subscribers import` in a child process and collects its figures. */
function importInChild(file: string, prefix: string): Promise<ChildRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'cli-rss.ts'), 'subscribers', 'import', file, '--list', 'bench', '--json'], {
    env: { ...process.env, NEWSDESK_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const figures = /BENCH (\{.*\})/.exec(stderr);
      if (code !== 0 || !figures) return reject(new Error(`importer exited ${code}:\n${stderr}`));
      const { maxRssKb, mainMs } = JSON.parse(figures[1] as string) as { maxRssKb: number; mainMs: number };
      resolve({ code, wallMs: performance.now() - started, mainMs, maxRssKb, summary: JSON.parse(stdout) as Record<string, unknown> });
    });
  });
}

function printRun(label: string, rows: number, run: ChildRun): void {
  const s = run.summary;
  console.log(`  ${label}: ${fmt(run.mainMs / 1000, 2)} s in the importer (${fmt(rows / (run.mainMs / 1000))} rows/s); ` +
    `${fmt(run.wallMs / 1000, 2)} s wall with process start (${fmt(rows / (run.wallMs / 1000))} rows/s)`);
  console.log(`  peak RSS of the importer: ${fmt(run.maxRssKb / 1024, 1)} MB`);
  console.log(`  summary: added ${s.added}, alreadyMember ${s.alreadyMember}, updated ${s.updated}, invalid ${s.invalid}, duplicates ${s.duplicates}`);
}

const config = loadConfig();
// One server: the INFO and MEMORY figures below are per server, not per cluster.
const redis = await connectRedis(new Redis(config.redis.url, { db: config.redis.db, lazyConnect: true }), config.redis.url);
const dir = await mkdtemp(join(tmpdir(), 'newsdesk-bench-'));
const peaks: number[] = [];
try {
  console.log(`newsdesk import benchmark, Redis ${config.redis.url}, Node ${process.version}`);
  for (const rows of sizes) {
    const prefix = `bench-${randomBytes(4).toString('hex')}`;
    const file = join(dir, `subscribers-${rows}.csv`);
    await generate(file, rows);
    console.log(`\n${fmt(rows)} rows (${fmt((await stat(file)).size / 1_048_576, 1)} MB of CSV), prefix ${prefix}`);
    const stores = createStores({ redis, prefix });
    try {
      await stores.lists.create({ id: 'bench', name: 'Benchmark' });
      const before = await usedMemory(redis);
      const run = await importInChild(file, prefix);
      const after = await usedMemory(redis);
      if (run.summary.added !== rows) throw new Error(`expected ${rows} added, got ${JSON.stringify(run.summary)}`);
      printRun('import', rows, run);
      const own = await keyMemory(redis, prefix);
      console.log(
        `  Redis: INFO used_memory +${fmt((after - before) / 1_048_576, 1)} MB = ${fmt((after - before) / rows, 1)} B/subscriber; ` +
          `MEMORY USAGE of this run's ${fmt(own.keys)} keys = ${fmt(own.bytes / rows, 1)} B/subscriber`,
      );
      peaks.push(run.maxRssKb);
      if (values.again) printRun('re-import', rows, await importInChild(file, prefix));
    } finally {
      if (values.keep) console.log(`  kept: ${file}, keys {${prefix}}:*`);
      else await deleteKeysWithPrefix(redis, prefix);
    }
    if (!values.keep) await rm(file);
  }
  if (peaks.length > 1) {
    const base = peaks[0] as number;
    console.log(`\npeak RSS relative to ${fmt(sizes[0] as number)} rows: ${peaks.map((p, i) => `${fmt(sizes[i] as number)} → ${fmt(p / base, 2)}×`).join(', ')}`);
  }
} finally {
  if (!values.keep) await rm(dir, { recursive: true, force: true });
  redis.disconnect();
}

/**
 * The public archive of a newsletter with years of sent editions (not a test: it prints figures).
 *
 *   npx tsx bench/archive.ts [--n 1000] [--requests 20] [--json]
 *
 * Stores N sent editions of `daily`, one a day, each with the campaign that sent it (the example
 * edition's frozen content, written straight to Redis: nothing is mailed), then asks the archive's
 * first index page, its last one, and the Atom feed `--requests` times each through the HTTP
 * server in this process. Prints each route's median and slowest time and the bytes Redis sent
 * back per request (its `total_net_output_bytes`, so run it alone), and whether the last page
 * there should be (N / 20) answers and lists the oldest edition.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { buildServer } from '../src/http/server.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';
import { FIRST_SENT_DATE, storeSentEditions } from '../test/support/sent-editions.ts';
import { say } from './lib/campaign-bench.ts';

const { values: args } = parseArgs({
  options: { n: { type: 'string', default: '1000' }, requests: { type: 'string', default: '20' }, json: { type: 'boolean', default: false } },
});
const n = Number(args.n);
const requests = Number(args.requests);
const PAGE_SIZE = 20;

const prefix = `bench-${randomBytes(4).toString('hex')}`;
const config = loadConfig({ PATH: process.env.PATH ?? '', REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', NEWSDESK_PREFIX: prefix, LOG_LEVEL: 'warn' });
const app = await createApp(config, { logger: pino({ level: 'warn' }) });
const server = buildServer(app, { logger: false });

try {
  const t0 = performance.now();
  await storeSentEditions(app, n);
  say(`bench: ${n.toLocaleString('en-US')} sent editions stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const lastPage = Math.ceil(n / PAGE_SIZE);
  const oldest = FIRST_SENT_DATE;
  const redisOut = async () => Number(/total_net_output_bytes:(\d+)/.exec(await app.redis.info('stats'))?.[1] ?? 0);
  const measure = async (url: string) => {
    const times: number[] = [];
    const bytes: number[] = [];
    let body = '';
    let status = 0;
    for (let i = 0; i < requests; i++) {
      const b0 = await redisOut();
      const r0 = performance.now();
      const res = await server.inject({ url });
      times.push(performance.now() - r0);
      bytes.push((await redisOut()) - b0);
      status = res.statusCode;
      body = res.body;
    }
    times.sort((a, b) => a - b);
    bytes.sort((a, b) => a - b);
    const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;
    return { url, status, medianMs: Number(at(times, 0.5).toFixed(1)), slowestMs: Number(at(times, 1).toFixed(1)), redisBytesPerRequest: at(bytes, 0.5), body };
  };
  const pageOne = await measure('/archive/daily');
  const last = await measure(`/archive/daily?page=${lastPage}`);
  const feed = await measure('/archive/daily/feed.xml');
  const result = {
    editions: n,
    lastPage,
    lastPageListsOldest: last.body.includes(`/archive/daily/${oldest}"`),
    routes: [pageOne, last, feed].map(({ body: _body, ...r }) => r),
  };
  if (args.json) console.log(JSON.stringify(result, null, 2));
  else {
    for (const r of result.routes) console.log(`${r.url}: HTTP ${r.status}, median ${r.medianMs} ms, slowest ${r.slowestMs} ms, ${Math.round(r.redisBytesPerRequest / 1024).toLocaleString('en-US')} KB from Redis per request`);
    console.log(`page ${lastPage} lists the oldest edition (${oldest}): ${result.lastPageListsOldest ? 'yes' : 'no'}`);
  }
} finally {
  await server.close();
  await deleteKeysWithPrefix(app.redis, prefix);
  await app.close();
}

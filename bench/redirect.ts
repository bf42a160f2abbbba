/**
 * How fast `GET /c/<token>` answers its 302 with the click counted in Redis (not a test: it
 * prints). The server (as `newsdesk serve` builds it) in this process on loopback, autocannon in
 * a process of its own (so the two do not share one event loop), Redis at REDIS_URL under a
 * private prefix removed afterwards.
 *
 *   npx tsx bench/redirect.ts [--seconds 10] [--connections 50] [--mode aggregate|per-reader]
 *
 * Target (the issue's): ≥ 5,000 redirects/s, p99 under 20 ms. At the end the counter in Redis is
 * compared with the number of 302s autocannon saw: every click counted exactly once.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type autocannon from 'autocannon';
import pino from 'pino';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { buildServer } from '../src/http/server.ts';
import { ClickTracking } from '../src/domain/tracking.schema.ts';
import { compiledExampleEdition } from '../test/support/pipeline.ts';
import { deleteKeysWithPrefix } from '../test/support/redis.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    mode: { type: 'string', default: 'aggregate' },
  },
});
const mode = ClickTracking.exclude(['off']).parse(args.mode);
const say = (line: string) => process.stderr.write(`${line}\n`);

const prefix = `bench-redirect-${randomBytes(4).toString('hex')}`;
const config = loadConfig({
  ...process.env,
  NEWSDESK_PREFIX: prefix,
  PUBLIC_URL: 'http://127.0.0.1',
  NEWSDESK_SECRET: 'bench-secret-that-is-long-enough-for-hmac',
  // Every request comes from loopback with one User-Agent: no rule may call it machine by timing.
  TRACKING_SCANNER_WINDOW_SECONDS: '0',
  LOG_LEVEL: 'silent',
});
const app = await createApp(config, { logger: pino({ level: 'silent' }) });
const server = buildServer(app, { logger: false });
try {
  await app.stores.lists.create({ id: 'bench', name: 'bench', newsletter: 'daily' });
  const { compiled, newsletter, subject } = await compiledExampleEdition();
  const campaign = await app.service.create({
    compiled,
    newsletter: { ...newsletter, tracking: { clicks: mode, opens: 'off' } },
    subject,
    lists: ['bench'],
    at: new Date(Date.now() + 86_400_000),
    again: true,
    confirmDate: true,
  });
  const path = `/c/${app.clicks.linkUrl(campaign.id, 1).split('/c/')[1]}${mode === 'per-reader' ? app.clicks.readerMark(campaign.id, 42) : ''}`;
  const address = await server.listen({ host: '127.0.0.1', port: 0 });
  say(`bench redirect: ${mode}, ${args.connections} connections for ${args.seconds} s against ${address}${path.slice(0, 40)}…`);

  const { stdout } = await promisify(execFile)(
    'node_modules/.bin/autocannon',
    ['--json', '-c', args.connections, '-d', args.seconds, '-H', 'user-agent=Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0', `${address}${path}`],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as autocannon.Result;
  const counts = await app.clickStore.counts(campaign.id, 2);
  const counted = (counts.byLink[1]?.human ?? 0) + (counts.byLink[1]?.machine ?? 0);
  const redirects = result['3xx'];
  console.log(
    `redirect (${mode}): ${Math.round(result.requests.average).toLocaleString('en')} req/s average, ` +
      `latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; ` +
      `${redirects.toLocaleString('en')} redirects, ${result.non2xx - redirects} other non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
  );
  // Answers still on the wire when autocannon stopped are counted by the server but not by autocannon.
  const exact = counted >= redirects && counted <= result.requests.sent;
  console.log(
    `counted in Redis: ${counted.toLocaleString('en')} clicks; autocannon saw ${redirects.toLocaleString('en')} redirects of ` +
      `${result.requests.sent.toLocaleString('en')} requests sent (${exact ? 'consistent' : 'INCONSISTENT'})`,
  );
  console.log(
    `target ≥ 5,000/s and p99 < 20 ms: ${result.requests.average >= 5000 && result.latency.p99 < 20 ? 'met' : 'NOT met'} ` +
      `(a shared 2-core machine: read the range over several runs)`,
  );
} finally {
  await server.close();
  await deleteKeysWithPrefix(app.redis, prefix);
  await app.close();
}

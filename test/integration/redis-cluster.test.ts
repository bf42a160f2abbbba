/**
 * newsdesk on a real Redis Cluster: three masters started here, two `newsdesk worker` processes
 * and one campaign. Every recipient gets the message exactly once, and no Redis command anywhere
 * in the product (store scripts, BullMQ's scripts, pipelines, MULTI) meets CROSSSLOT or a
 * non-local key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { type Pipeline, startPipeline } from '../support/pipeline.ts';
import { type RedisClusterServers, startRedisCluster } from '../support/redis-server.ts';
import { sentBy, spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { keysWithPrefix } from '../support/redis.ts';
import { row } from '../support/store-fixtures.ts';
import { checkRedisSettings } from '../../src/app.ts';
import { runNewsdesk } from '../support/cli.ts';

const newsdesk = (args: string[], env: Record<string, string>) => runNewsdesk(args, { env: { PATH: process.env.PATH ?? '', ...env } });

/** Errors Redis Cluster gives when a command or script spans slots or reaches another node. */
const SLOT_ERRORS = /CROSSSLOT|non local key|MOVED|ASK |All keys in the pipeline should belong to the same slot/i;

describe('Redis Cluster', () => {
  let cluster: RedisClusterServers | undefined;
  let p: Pipeline | undefined;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.kill('SIGKILL')));
    await p?.close();
    await cluster?.stop();
  }, 60_000);

  it('two worker processes send one campaign over a 3-master cluster: every recipient exactly once, no CROSSSLOT', async () => {
    const c0 = cluster as RedisClusterServers;
    p = await startPipeline({
      workers: false,
      redisEnv: { REDIS_CLUSTER_NODES: c0.env },
      smtp: { reply: (e) => (e.stage === 'data' ? { code: 250, delayMs: 2 } : undefined) },
      env: { SEND_BATCH_SIZE: '20', WORKER_LOCK_MS: '2000' },
    });
    expect(p.app.redis).toBeInstanceOf(Cluster);
    const n = 600;
    await p.addSubscribers('daily', n);
    // The store's other scripts too: a second list and a move between them, an unsubscribe.
    await p.addSubscribers('weekend', 50, n - 49);
    const gone = await p.app.stores.subscribers.joinList('daily', [row('gone@example.org')], { via: 'import' });
    const goneId = (gone[0] as { id: number }).id;
    await p.app.stores.subscribers.unsubscribe(goneId);

    const c = await p.createCampaign(['daily', 'weekend']);
    const a = spawnWorker(p.env, ['--exit-when-idle']);
    const b = spawnWorker(p.env, ['--exit-when-idle']);
    workers.push(a, b);
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const done = await p.waitForStatus(c.id, 'sent', 10_000);
    expect(done.counts).toEqual({ total: n, sent: n, failed: 0, skipped: 0, pending: 0 });
    const received = p.received();
    expect(received.size).toBe(n);
    expect([...received.values()].filter((x) => x > 1)).toEqual([]);
    expect(received.has('gone@example.org')).toBe(false);
    expect(sentBy(a) + sentBy(b)).toBe(n);
    expect(sentBy(a)).toBeGreaterThan(0);
    expect(sentBy(b)).toBeGreaterThan(0);
    for (const w of [a, b]) expect(w.output()).not.toMatch(SLOT_ERRORS);

    // The finished ledger compacts on the cluster too (its scripts and transactions stay in the slot).
    const byId = (x: { subscriberId: number }, y: { subscriberId: number }) => x.subscriberId - y.subscriberId;
    const listed = JSON.stringify((await p.app.campaigns.deliveries(c.id, { limit: 1000 })).sort(byId));
    expect(await p.app.campaigns.ledger.compact(c.id)).toMatchObject({ state: 'compacted', records: n, sent: n });
    expect(JSON.stringify((await p.app.campaigns.deliveries(c.id, { limit: 1000 })).sort(byId))).toBe(listed);
    expect(await p.app.campaigns.delivery(c.id, 1)).toMatchObject({ state: 'sent', messageId: `<${c.id}.1@news.example.com>` });

    // Every key of this installation, BullMQ's included, sits in one slot on one master.
    const keys = await keysWithPrefix(p.app.redis, p.t.prefix);
    expect(keys.some((k) => k.includes(':bull:send:'))).toBe(true);
    const slots = new Set(await Promise.all(keys.map((k) => (p as Pipeline).app.redis.cluster('KEYSLOT', k))));
    expect(slots.size).toBe(1);

    // The start-up check asks every master (these run without appendonly), and says it once.
    expect(await checkRedisSettings(p.app.redis)).toEqual([expect.stringMatching(/appendonly is off/)]);
    // A one-shot command (fail-fast options) works on the cluster too.
    const ls = await newsdesk(['lists', 'ls', '--json'], p.env);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout)).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'daily', members: n }), expect.objectContaining({ id: 'weekend', members: 50 })]),
    );
  });
});

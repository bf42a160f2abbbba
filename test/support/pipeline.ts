/**
 * The whole send pipeline for integration tests: real Redis under a fresh prefix, a scriptable
 * SMTP server on loopback, the app with its BullMQ workers, and helpers to fill lists and wait.
 */
import pino from 'pino';
import { type App, createApp, type CreateAppOptions } from '../../src/app.ts';
import { compile } from '../../src/composer/compile.ts';
import { loadConfig } from '../../src/config.ts';
import type { Campaign, CampaignStatus } from '../../src/domain/campaign.schema.ts';
import type { CompiledEmail } from '../../src/domain/compiled-email.ts';
import type { Newsletter } from '../../src/domain/newsletter.schema.ts';
import { SubscriberInput } from '../../src/domain/subscriber.schema.ts';
import { dailyNewsletter, exampleEdition } from './editions.ts';
import { openTestRedis, type TestRedis } from './redis.ts';
import { startTestSmtpServer, type TestSmtpServer, type TestSmtpServerOptions } from './smtp-server.ts';

let compiledExample: Promise<{ compiled: CompiledEmail; newsletter: Newsletter; subject: string }> | undefined;

/** The example edition, compiled once per test file. */
export function compiledExampleEdition(): Promise<{ compiled: CompiledEmail; newsletter: Newsletter; subject: string }> {
  compiledExample ??= (async () => {
    const edition = exampleEdition();
    const newsletter = dailyNewsletter();
    return { compiled: await compile(edition, newsletter), newsletter, subject: edition.subject };
  })();
  return compiledExample;
}

export interface Pipeline {
  t: TestRedis;
  app: App;
  smtp: TestSmtpServer;
  /** Environment for a child process (`newsdesk worker`) joining this pipeline. */
  env: Record<string, string>;
  /** Creates a list (if needed) and `n` subscribers on it, `reader<from+i>@example.org`. Returns their ids. */
  addSubscribers(listId: string, n: number, from?: number): Promise<number[]>;
  /** Creates a campaign of the example edition for `lists`, starting now (or at `at`). */
  createCampaign(lists: string[], at?: Date): Promise<Campaign>;
  /** Polls until the campaign has `status`; throws with the counts after `timeoutMs`. */
  waitForStatus(id: string, status: CampaignStatus, timeoutMs?: number): Promise<Campaign>;
  /** Polls until `predicate(campaign)` holds. */
  waitFor(id: string, predicate: (c: Campaign) => boolean, timeoutMs?: number): Promise<Campaign>;
  /** Addresses the SMTP server accepted, with how many times each. */
  received(): Map<string, number>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  smtp?: TestSmtpServerOptions;
  /** Extra environment (SEND_ATTEMPTS, SEND_RATE_PER_SECOND, …). */
  env?: Record<string, string>;
  /** Start workers in this process. Default true. */
  workers?: boolean;
  concurrency?: number;
  /** Another Redis for this pipeline: `{ REDIS_URL }` of a private server, or `{ REDIS_CLUSTER_NODES }`. */
  redisEnv?: Record<string, string>;
  /** Extra ioredis options for the app's own connection. */
  redisOptions?: CreateAppOptions['redisOptions'];
}

export async function startPipeline(opts: PipelineOptions = {}): Promise<Pipeline> {
  const t = await openTestRedis(opts.redisEnv ? { redisEnv: opts.redisEnv } : {});
  const smtp = await startTestSmtpServer(opts.smtp);
  const env: Record<string, string> = {
    ...t.env,
    SMTP_URL: smtp.url,
    SMTP_POOL_SIZE: '4',
    SEND_BATCH_SIZE: '25',
    SEND_ATTEMPTS: '4',
    SEND_BACKOFF_MS: '50',
    PUBLIC_URL: 'https://news.example.com',
    NEWSDESK_SECRET: 'a-test-secret-that-is-long-enough-for-hmac',
    LOG_LEVEL: 'silent',
    ...opts.env,
  };
  const app = await createApp(loadConfig(env), { logger: pino({ level: 'silent' }), ...(opts.redisOptions ? { redisOptions: opts.redisOptions } : {}) });
  if (opts.workers ?? true) await app.startWorkers({ concurrency: opts.concurrency ?? 4 });

  const waitFor = async (id: string, predicate: (c: Campaign) => boolean, timeoutMs = 20_000): Promise<Campaign> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const c = await app.campaigns.get(id);
      if (predicate(c)) return c;
      if (Date.now() > deadline) throw new Error(`campaign ${id} did not get there in ${timeoutMs} ms: ${c.status} ${JSON.stringify(c.counts)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  return {
    t,
    app,
    smtp,
    env,
    async addSubscribers(listId, n, from = 1) {
      if (!(await app.stores.lists.get(listId))) await app.stores.lists.create({ id: listId, name: listId, newsletter: 'daily' });
      const rows = Array.from({ length: n }, (_, i) => SubscriberInput.parse({ email: `reader${from + i}@example.org`, name: `Reader ${from + i}` }));
      const ids: number[] = [];
      for (let i = 0; i < rows.length; i += 500) {
        const out = await app.stores.subscribers.joinList(listId, rows.slice(i, i + 500), { via: 'import' });
        for (const o of out) if ('id' in o && typeof o.id === 'number') ids.push(o.id);
      }
      return ids;
    },
    async createCampaign(lists, at) {
      const { compiled, newsletter, subject } = await compiledExampleEdition();
      // The example edition is dated 2025-02-13 and tests send it many times: confirm both on purpose.
      return app.service.create({ compiled, newsletter, subject, lists, at, again: true, confirmDate: true });
    },
    waitFor,
    waitForStatus: (id, status, timeoutMs) => waitFor(id, (c) => c.status === status, timeoutMs),
    received() {
      const counts = new Map<string, number>();
      for (const m of smtp.messages) for (const to of m.to) counts.set(to, (counts.get(to) ?? 0) + 1);
      return counts;
    },
    async close() {
      await app.close();
      await smtp.close();
      await t.cleanup();
    },
  };
}

/**
 * The composition root: builds every adapter from config once, hands each part its
 * dependencies, and closes them all in order. The CLI, the workers and the HTTP server start here.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue } from 'bullmq';
import { Cluster } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Config } from './config.ts';
import { trackLinks } from './composer/link-tracking.ts';
import { EditionService } from './editions/edition.service.ts';
import { createClickSigner, type ClickSigner } from './domain/click-links.ts';
import { NewsdeskError } from './domain/errors.ts';
import { createLinkSigner, type LinkSigner } from './domain/links.ts';
import { createReturnAddresser } from './domain/return-token.ts';
import { type ConfiguredMailTransport, createMailTransport } from './mail/create-transport.ts';
import { devOutboxRefusal } from './mail/outbox-policy.ts';
import { POSTMARK_MESSAGE_ID_HEADER } from './mail/esp/postmark.events.ts';
import { type ReturnPathFigures, returnFiguresOf } from './queue/campaign-report.ts';
import { CampaignService } from './queue/campaign.service.ts';
import { ReturnPathService } from './queue/return-path.service.ts';
import { createMediaService, type MediaService } from './media/media.service.ts';
import { createMessagePreparer } from './queue/message.preparer.ts';
import { JobParking } from './queue/parking.ts';
import { queueBatchSink } from './queue/batch-sink.ts';
import { CAMPAIGN_QUEUE, SCHEDULE_QUEUE, type ScheduleSlotJob, SEND_QUEUE, type SendBatchJob, type StartCampaignJob } from './queue/queues.ts';
import { createScheduleAlerts } from './queue/schedule-alert.ts';
import { slotProcessor } from './queue/schedule-runner.ts';
import { runSlot, type SlotDeps, type SlotFiring, type SlotResult } from './queue/schedule-slot.ts';
import { ScheduleService } from './queue/schedule.service.ts';
import { createScheduleStore, type ScheduleStore } from './store/schedule.store.ts';
import { type CampaignZones, createCampaignZones } from './store/campaign-zones.store.ts';
import { createRecipients, type Recipients } from './queue/recipients.adapter.ts';
import type { MessagePreparer } from './queue/send-batch.job.ts';
import { startWorkerPresence } from './queue/worker-presence.ts';
import type { WorkerObserver } from './queue/worker-observer.ts';
import { type RunningWorkers, startWorkers } from './queue/workers.ts';
import { queueLedgerCompaction, scheduleUncompacted } from './queue/ledger-compaction.ts';
import { CampaignStore } from './store/campaign.store.ts';
import { DeliveryChunks } from './store/delivery-chunks.ts';
import { type ClickStore, createClickStore } from './store/click.store.ts';
import { EditionStore } from './store/edition.store.ts';
import { createReaderData, type ReaderDataStore } from './store/reader-data.ts';
import { connectRedis, createRedis, describeRedis, type RedisClient } from './store/redis.ts';
import { createReturnStore, type ReturnStore } from './store/return.store.ts';
import { SendRateLimiter } from './store/send-rate.limiter.ts';
import { createStores, type Stores, storesSettings } from './store/stores.ts';

export interface App {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  stores: Stores;
  campaigns: CampaignStore;
  recipients: Recipients;
  queues: { campaign: Queue<StartCampaignJob>; send: Queue<SendBatchJob>; schedule: Queue<ScheduleSlotJob> };
  /** Daily schedules: set, list, pause, resume, remove (README.md, "The daily schedule"). */
  schedules: ScheduleService;
  /** Schedules' settings, slot claims and missed slots in Redis. */
  scheduleStore: ScheduleStore;
  /** Zone buckets of campaigns sent at readers' local time (src/queue/zone-buckets.ts). */
  campaignZones: CampaignZones;
  /** Runs one slot of a schedule at `now` (the worker's slot jobs do; tests pass a clock). */
  runSlot(firing: SlotFiring, now?: Date): Promise<SlotResult>;
  parking: JobParking;
  /** Signs and reads the links in messages (unsubscribe, view, confirm). */
  links: LinkSigner;
  /** Signs and reads tracked links and open images (`/c/`, `/o/`). */
  clicks: ClickSigner;
  /** Counts clicks and opens; per-reader events. */
  clickStore: ClickStore;
  /** Everything held about one reader: export and erasure. */
  readerData: ReaderDataStore;
  /** Per-campaign bounces, complaints and mailto unsubscribes for reports, from the return store. */
  returnFigures: ReturnPathFigures;
  preparer: MessagePreparer;
  service: CampaignService;
  /** Stored, versioned editions: save, approve, make a campaign of one (README.md, "Stored editions"). */
  editions: EditionService;
  /** Return mail's records and counters (the audit log of `newsdesk inbound ls`). */
  returns: ReturnStore;
  /** The one sink for return mail and provider events (bounces, complaints, unsubscribes). */
  returnPath: ReturnPathService;
  /** Uploaded images: MEDIA_DIR or the S3 bucket (README.md, "Images"). */
  media: MediaService;
  /** The mail transport, opened on first use (the dev outbox starts then). */
  transport(): Promise<ConfiguredMailTransport>;
  /** Starts fan-out and send workers in this process; `observer` counts their work (metrics). */
  startWorkers(opts?: { concurrency?: number | undefined; observer?: WorkerObserver | undefined }): Promise<RunningWorkers>;
  /** Closes workers, queues, transport and Redis, each step even if another fails. Safe twice. */
  close(): Promise<void>;
}

/**
 * What Redis must be set to for a production install (docs/architecture.md, "Redis": BullMQ
 * needs `noeviction`, and `appendonly yes` keeps queued work across a restart). Returns one
 * warning per setting that is off.
 */
export async function checkRedisSettings(redis: RedisClient): Promise<string[]> {
  // A cluster answers CONFIG per node: every master must be set, since any may hold our slot later.
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const warnings = new Set<string>();
  for (const server of servers) {
    const get = async (name: string) => {
      try {
        return ((await server.config('GET', name)) as string[])[1];
      } catch {
        return undefined; // CONFIG may be disabled on managed Redis; nothing to say then.
      }
    };
    const [policy, aof] = await Promise.all([get('maxmemory-policy'), get('appendonly')]);
    if (policy !== undefined && policy !== 'noeviction') {
      warnings.add(`Redis maxmemory-policy is ${policy}: set it to noeviction, or Redis may drop queued jobs and deliveries under memory pressure`);
    }
    if (aof !== undefined && aof !== 'yes') {
      warnings.add('Redis appendonly is off: a Redis restart would lose queued work; set appendonly yes in production');
    }
  }
  return [...warnings];
}

export interface CreateAppOptions {
  logger?: Logger;
  /** Extra ioredis options for the main connection (the CLI fails fast instead of retrying). */
  redisOptions?: Parameters<typeof createRedis>[1];
  /** Wraps the mail transport when it opens, e.g. to count sends for /metrics. Default: none. */
  wrapTransport?: (transport: ConfiguredMailTransport) => ConfiguredMailTransport;
}

/** Builds the app: connects to Redis (clear error if it does not answer); nothing else starts yet. */
export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? pino({ level: config.logLevel }, pino.destination(2));
  const client = createRedis(config.redis, { maxRetriesPerRequest: null, ...opts.redisOptions });
  // Reconnects are ioredis's job; a listener keeps it from printing every failed attempt itself.
  client.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis connection error'));
  const redis = await connectRedis(client, describeRedis(config.redis));
  const stores = createStores({ redis, ...storesSettings(config) });
  const deliveryRetentionMs = config.send.deliveryRetentionDays * 86_400_000;
  const campaigns = new CampaignStore({ redis, keys: stores.keys, deliveryRetentionMs });
  const recipients = createRecipients(stores);
  const clickStore = createClickStore({
    redis,
    keys: stores.keys,
    campaigns,
    windowMs: config.tracking.scannerWindowSeconds * 1000,
    burstMs: config.tracking.burstSeconds * 1000,
    retentionMs: config.tracking.retentionDays * 86_400_000,
  });
  const prefix = stores.keys.queuePrefix;
  const queues = {
    campaign: new Queue<StartCampaignJob>(CAMPAIGN_QUEUE, { connection: redis, prefix }),
    send: new Queue<SendBatchJob>(SEND_QUEUE, { connection: redis, prefix }),
    schedule: new Queue<ScheduleSlotJob>(SCHEDULE_QUEUE, { connection: redis, prefix }),
  };
  for (const q of Object.values(queues)) q.on('error', (err) => logger.error({ err: err.message }, 'queue error'));
  // A finished campaign's ledger is compacted once the click scanner window after its last send is over.
  const ledger = queueLedgerCompaction(queues.campaign, config.tracking.scannerWindowSeconds * 1000 + 10_000);
  const parking = new JobParking({ redis, keys: stores.keys, sendQueue: queues.send, campaigns });
  const links = createLinkSigner({ publicUrl: config.publicUrl, secrets: config.secrets });
  const clicks = createClickSigner({ publicUrl: config.publicUrl, secrets: config.secrets });
  const returnAddresses = createReturnAddresser({ secrets: config.secrets, bounceDomain: config.inbound.bounceDomain });
  const preparer = createMessagePreparer({
    links,
    publicUrl: config.publicUrl,
    returns: returnAddresses,
    // Postmark reports its own message ids; this header comes back in its webhooks' Metadata.
    messageIdEchoHeader: config.webhooks.postmark ? POSTMARK_MESSAGE_ID_HEADER : undefined,
    clicks,
  });

  let transport: Promise<ConfiguredMailTransport> | undefined;
  const getTransport = () =>
    (transport ??= createMailTransport(config, { logger }).then((t) => (opts.wrapTransport ? opts.wrapTransport(t) : t)));
  // Audit entries and dedupe marks live as long as delivery records (30 days when those are kept for ever).
  const returns = createReturnStore({ redis, keys: stores.keys, retentionMs: (config.send.deliveryRetentionDays || 30) * 86_400_000 });
  const service = new CampaignService({
    campaigns,
    lists: recipients,
    campaignQueue: queues.campaign,
    parking,
    ledger,
    transport: getTransport,
    preparer,
    workers: stores.workerHeartbeats,
    paces: stores.campaignPaces,
    trackLinks: (campaignId, compiled, newsletter) => trackLinks(compiled, { campaignId, tracking: newsletter.tracking, signer: clicks }),
    returns,
    senderAlertThreshold: config.inbound.senderAlertThreshold,
    // A draft made from a stored edition starts only while its revision is approved.
    startGate: { hold: (campaign) => editions.hold(campaign), check: (campaign, guards) => editions.check(campaign, guards), started: (campaign) => editions.started(campaign) },
  });
  const editions: EditionService = new EditionService({
    store: new EditionStore({ redis, keys: stores.keys }),
    campaigns: service,
    audit: stores.audit,
    newslettersDir: config.newslettersDir,
  });
  // Loaded on first use, like the edition service's composer: building the app reads no YAML.
  const readNewsletter = async (id: string) => {
    const { loadNewsletter, newsletterDirs } = await import('./composer/newsletter.loader.ts');
    return loadNewsletter(id, { dirs: newsletterDirs(config.newslettersDir) });
  };
  const scheduleStore = createScheduleStore({ redis, keys: stores.keys });
  const schedules = new ScheduleService({
    store: scheduleStore,
    queue: queues.schedule,
    requireNewsletter: (id) => readNewsletter(id),
    listExists: recipients.exists,
  });
  const campaignZones = createCampaignZones({ redis, keys: stores.keys, subscribers: stores.subscribers });
  const slotDeps: SlotDeps = {
    store: scheduleStore,
    editions,
    async startAtLocalTime(campaignId, localSend) {
      await campaigns.setFields(campaignId, { localSend: JSON.stringify(localSend) });
      await service.start(campaignId, { confirmDate: true });
    },
    duplicates: (candidate) => service.duplicatesOf(candidate),
    alert: createScheduleAlerts({
      store: scheduleStore,
      logger,
      transport: getTransport,
      newsletter: (id) => readNewsletter(id),
    }),
    logger,
  };
  const returnPath = new ReturnPathService({
    store: returns,
    subscribers: stores.subscribers,
    lists: stores.lists,
    campaigns,
    secrets: config.secrets,
    links,
    logger,
    softBounce: config.inbound.softBounce,
    senderAlertThreshold: config.inbound.senderAlertThreshold,
  });
  const media = createMediaService(config.media);
  const running: RunningWorkers[] = [];
  const extraConnections: RedisClient[] = [];

  let closing: Promise<void> | undefined;
  return {
    config,
    logger,
    redis,
    stores,
    campaigns,
    recipients,
    queues,
    schedules,
    scheduleStore,
    campaignZones,
    runSlot: (firing, now = new Date()) => runSlot(firing, now, slotDeps),
    parking,
    links,
    clicks,
    clickStore,
    readerData: createReaderData({ redis, keys: stores.keys, stores, clickStore }),
    returnFigures: returnFiguresOf(returns),
    preparer,
    service,
    editions,
    returns,
    returnPath,
    media,
    transport: getTransport,
    async startWorkers(workerOpts = {}) {
      const refusal = devOutboxRefusal(config);
      if (refusal) throw new NewsdeskError('smtp_required', refusal);
      const mail = await getTransport();
      const envLimits = { perSecond: config.send.ratePerSecond, perHour: config.send.ratePerHour };
      const limiter = new SendRateLimiter({ redis, keys: stores.keys, rate: envLimits });
      const presence = await startWorkerPresence({
        workerId: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
        heartbeats: stores.workerHeartbeats,
        limits: stores.sendLimits,
        limiter,
        envLimits,
        logger,
      });
      const workers = startWorkers(
        {
          campaigns,
          logger,
          ledger,
          observer: workerOpts.observer,
          slot: slotProcessor(slotDeps),
          zoneSent: (campaignId, zone, n) => campaignZones.addSent(campaignId, zone, n),
          paces: stores.campaignPaces,
          fanout: {
            members: recipients,
            batchSize: config.send.batchSize,
            zones: campaignZones,
            sink: queueBatchSink(queues.send, { attempts: config.send.attempts, backoffMs: config.send.backoffMs }),
          },
          send: {
            chunks: new DeliveryChunks({ redis, keys: stores.keys, retentionMs: deliveryRetentionMs }),
            gate: recipients,
            preparer,
            transport: mail,
            limiter,
            parking,
            // How long a claim keeps other jobs off a delivery: longer than one SMTP send can take.
            leaseMs: config.send.leaseMs,
          },
        },
        {
          connection: () => {
            const c = createRedis(config.redis, { maxRetriesPerRequest: null });
            extraConnections.push(c);
            return c;
          },
          prefix,
          concurrency: workerOpts.concurrency ?? config.smtp.poolSize,
          lockMs: config.send.lockMs,
          stalledCheckMs: config.send.stalledCheckMs,
        },
      );
      // The heartbeat stops only once the messages in flight are done: until then this worker sends.
      const withPresence: RunningWorkers = {
        ...workers,
        async close() {
          try {
            await workers.close();
          } finally {
            await presence.stop();
          }
        },
      };
      running.push(withPresence);
      // Campaigns that ended while no worker saw it (or before compaction existed) get compacted too.
      void scheduleUncompacted(campaigns, ledger).catch((err: unknown) => logger.warn({ err: String(err) }, 'could not schedule ledger compactions'));
      return withPresence;
    },
    close() {
      closing ??= (async () => {
        const steps: Array<() => Promise<unknown>> = [
          () => Promise.all(running.map((w) => w.close())),
          () => Promise.all(Object.values(queues).map((q) => q.close())),
          async () => transport && (await (await transport).close()),
          async () => extraConnections.forEach((c) => c.disconnect()),
          async () => media.close(),
          () => redis.quit(),
        ];
        for (const step of steps) {
          try {
            await step();
          } catch (err) {
            logger.warn({ err: String(err) }, 'close step failed');
          }
        }
      })();
      return closing;
    },
  };
}

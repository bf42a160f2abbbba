/**
 * Prometheus metrics for `GET /metrics`.
 *
 * Workers usually run in other processes, so most figures are read from Redis when Prometheus
 * scrapes: campaign counters, queue depths, list sizes. Those are the same on every `serve`
 * process. The SMTP figures (sends by outcome, send latency) can only be counted where messages
 * are sent: they come from {@link createSendMetrics}, which `serve --with-workers` wires into its
 * own transport; a serve process without workers reports them as zero. Each help text says which
 * kind a metric is.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { App } from '../app.ts';
import { progressOf } from '../domain/campaign.schema.ts';
import { type CampaignReturns, campaignReturns } from '../domain/return-report.ts';
import type { ConfiguredMailTransport } from '../mail/create-transport.ts';

/** Per-process SMTP counters: wrap a transport with them, register them with /metrics. */
export interface SendMetrics {
  registry: Registry;
  /** The same transport, counting each send's outcome and timing it. */
  wrap(transport: ConfiguredMailTransport): ConfiguredMailTransport;
}

/** Counters of the sends made by this process (see the module comment). */
export function createSendMetrics(): SendMetrics {
  const registry = new Registry();
  const sends = new Counter({
    name: 'newsdesk_smtp_sends_total',
    help:
      'Messages this process handed to SMTP, by result (sent = 250 accepted; transient = 4xx or network, retried; ' +
      'permanent = 5xx) and reply code ("none" when no server answered). Counted in this process only: ' +
      'non-zero only where workers run (newsdesk serve --with-workers).',
    labelNames: ['result', 'code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'newsdesk_smtp_send_seconds',
    help: 'Time from handing one message to the SMTP pool to its reply, in this process only (see newsdesk_smtp_sends_total).',
    labelNames: ['result'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    registry,
    wrap(transport) {
      return {
        ...transport,
        async send(msg) {
          const end = latency.startTimer();
          const outcome = await transport.send(msg);
          const result = outcome.status === 'sent' ? 'sent' : outcome.kind;
          const code = outcome.status === 'sent' ? (/^(\d{3})/.exec(outcome.response)?.[1] ?? '250') : String(outcome.code ?? 'none');
          end({ result });
          sends.inc({ result, code });
          return outcome;
        },
      };
    },
  };
}

export interface MetricsOptions {
  /** This process's SMTP counters, when it sends. */
  send?: SendMetrics | undefined;
  /** Campaigns reported, newest first. Default 20: labels stay few whatever the history. */
  recentCampaigns?: number;
}

export interface Metrics {
  registry: Registry;
  /** The exposition text for one scrape. */
  render(): Promise<string>;
  contentType: string;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed', 'completed'] as const;

/** The registry `/metrics` serves: Redis-derived gauges, this process's basics and SMTP counters. */
export function createMetrics(app: App, opts: MetricsOptions = {}): Metrics {
  const own = new Registry();
  const recent = opts.recentCampaigns ?? 20;
  collectDefaultMetrics({ register: own, prefix: 'newsdesk_process_' });

  new Gauge({
    name: 'newsdesk_queue_jobs',
    help: 'BullMQ jobs per queue and state, read from Redis at scrape time (all processes). campaign = start/fan-out jobs, send = send-batch jobs.',
    labelNames: ['queue', 'state'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const [name, queue] of Object.entries(app.queues)) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
      }
    },
  });

  // One read of the recent campaigns serves the campaign gauges of a scrape.
  let snapshot: { at: number; campaigns: Promise<Awaited<ReturnType<App['campaigns']['list']>>> } | undefined;
  const campaigns = () => {
    if (!snapshot || Date.now() - snapshot.at > 1000) snapshot = { at: Date.now(), campaigns: app.campaigns.list(recent) };
    return snapshot.campaigns;
  };

  new Gauge({
    name: 'newsdesk_campaign_messages',
    help:
      `Deliveries of the ${recent} most recent campaigns by state (sent = accepted by SMTP with 250, failed = refused for good, ` +
      'skipped = not mailed because unsubscribed/bounced/suppressed when its turn came, pending = not final yet, cancelled = left unsent by a cancel, total = recipients so far). ' +
      'Read from the campaign counters in Redis at scrape time: covers every worker process.',
    labelNames: ['campaign', 'state'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const c of await campaigns()) {
        for (const state of ['total', 'sent', 'failed', 'skipped', 'pending'] as const) this.set({ campaign: c.id, state }, c.counts[state]);
        if (c.status === 'cancelled') this.set({ campaign: c.id, state: 'cancelled' }, progressOf(c).cancelled);
      }
    },
  });

  new Gauge({
    name: 'newsdesk_campaign_progress_ratio',
    help: `Share of recipients finished (sent + failed + skipped over total), 0 to 1, for the ${recent} most recent campaigns, from Redis at scrape time.`,
    labelNames: ['campaign', 'status'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const c of await campaigns()) this.set({ campaign: c.id, status: c.status }, progressOf(c).progress);
    },
  });

  // One heartbeat read serves both worker gauges of a scrape.
  let beats: { at: number; liveness: ReturnType<App['stores']['workerHeartbeats']['liveness']> } | undefined;
  const liveness = () => {
    if (!beats || Date.now() - beats.at > 1000) beats = { at: Date.now(), liveness: app.stores.workerHeartbeats.liveness() };
    return beats.liveness;
  };

  new Gauge({
    name: 'newsdesk_workers_alive',
    help: 'Worker processes that sent a heartbeat in the last 15 s, from Redis at scrape time. 0 while a campaign is sending means nobody is sending it.',
    registers: [own],
    async collect() {
      this.set((await liveness()).alive);
    },
  });

  new Gauge({
    name: 'newsdesk_worker_last_seen_seconds',
    help: 'Unix time of the last heartbeat of any worker ("no worker alive since …"); 0 when no worker ever ran. From Redis at scrape time.',
    registers: [own],
    async collect() {
      const last = (await liveness()).lastSeen;
      this.set(last ? last.getTime() / 1000 : 0);
    },
  });

  new Gauge({
    name: 'newsdesk_campaign_stranded',
    help: `1 for each of the ${recent} most recent campaigns that is due to send while no worker is alive (it will not progress until one starts).`,
    labelNames: ['campaign'] as const,
    registers: [own],
    async collect() {
      this.reset();
      const [list, workers] = await Promise.all([campaigns(), liveness()]);
      for (const c of list) if (progressOf(c, new Date(), workers).noWorkerSince !== undefined) this.set({ campaign: c.id }, 1);
    },
  });

  // One read of the recent campaigns' return counters serves both return gauges of a scrape.
  let returnsSnapshot: { at: number; reports: Promise<Array<{ id: string; r: CampaignReturns }>> } | undefined;
  const returns = () => {
    if (!returnsSnapshot || Date.now() - returnsSnapshot.at > 1000) {
      returnsSnapshot = {
        at: Date.now(),
        reports: campaigns().then((list) =>
          Promise.all(list.map(async (c) => ({ id: c.id, r: campaignReturns(c.counts.sent, await app.returns.campaignStats(c.id), app.config.inbound.senderAlertThreshold) }))),
        ),
      };
    }
    return returnsSnapshot.reports;
  };

  new Gauge({
    name: 'newsdesk_campaign_returns',
    help:
      `Return mail of the ${recent} most recent campaigns by kind (hard_bounce, soft_bounce, complaint, unsubscribe, sender_block = ` +
      'a block about the sender, never a reader), from the counters in Redis at scrape time.',
    labelNames: ['campaign', 'kind'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const { id, r } of await returns()) {
        const byKind = { hard_bounce: r.hardBounces, soft_bounce: r.softBounces, complaint: r.complaints, unsubscribe: r.unsubscribes, sender_block: r.senderBlocks };
        for (const [kind, n] of Object.entries(byKind)) this.set({ campaign: id, kind }, n);
      }
    },
  });

  new Gauge({
    name: 'newsdesk_campaign_return_rate_ratio',
    help: `Hard-bounce and complaint rates per message sent, 0 to 1, of the ${recent} most recent campaigns (the reputation breaker pauses a campaign above its limits).`,
    labelNames: ['campaign', 'kind'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const { id, r } of await returns()) {
        this.set({ campaign: id, kind: 'hard_bounce' }, r.hardBounceRate);
        this.set({ campaign: id, kind: 'complaint' }, r.complaintRate);
      }
    },
  });

  new Gauge({
    name: 'newsdesk_list_members',
    help: 'Subscribers on each list, whatever their status, from Redis at scrape time.',
    labelNames: ['list'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const l of await app.stores.lists.all()) this.set({ list: l.id }, l.members);
    },
  });

  new Gauge({
    name: 'newsdesk_suppressed_addresses',
    help: 'Addresses that are never mailed again (hard bounce, complaint, unsubscribe from everything, manual), from Redis at scrape time.',
    registers: [own],
    async collect() {
      this.set(await app.stores.suppression.count());
    },
  });

  new Counter({
    name: 'newsdesk_schedule_missed_total',
    help:
      'Daily-schedule slots that sent nothing, by newsletter and reason (no_edition = no approved edition at the slot; ' +
      'too_late = missed while no worker ran, past the late window; failed = the campaign could not be created). From Redis at scrape time (all workers).',
    labelNames: ['newsletter', 'reason'] as const,
    registers: [own],
    async collect() {
      this.reset();
      for (const m of await app.scheduleStore.missedCounts()) this.inc({ newsletter: m.newsletter, reason: m.reason }, m.count);
    },
  });

  const registry = opts.send ? Registry.merge([own, opts.send.registry]) : own;
  return { registry, render: () => registry.metrics(), contentType: registry.contentType };
}

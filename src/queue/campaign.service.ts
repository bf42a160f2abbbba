/**
 * The campaign lifecycle an editor drives: create (with the compiled email frozen in), schedule,
 * reschedule, pause, resume, cancel, status, test send. Sending itself happens in the workers.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { type Campaign, type CampaignPace, type CampaignProgress, type CampaignStatus, type Delivery, progressOf, type WorkerLiveness } from '../domain/campaign.schema.ts';
import type { CompiledEmail } from '../domain/compiled-email.ts';
import { NewsdeskError, NotFoundError } from '../domain/errors.ts';
import { type CampaignReturns, campaignReturns, type ReturnTotals } from '../domain/return-report.ts';
import type { Newsletter } from '../domain/newsletter.schema.ts';
import { DuplicateSendError, type DuplicateSend, EditionDateError, editionDateMismatch, findDuplicateSends, type SendCandidate } from '../domain/duplicate-send.ts';
import { assertNotPast } from '../domain/send-time.ts';
import { localDateOf } from '../domain/time-zone.ts';
import type { TrackedEmail } from '../composer/link-tracking.ts';
import type { MailTransport, SendOutcome } from '../mail/transport.ts';
import { type CampaignContent, type CampaignStore, recordsLifetime } from '../store/campaign.store.ts';
import type { LedgerScheduler } from './ledger-compaction.ts';
import type { JobParking } from './parking.ts';
import type { StartCampaignJob } from './queues.ts';
import type { MessagePreparer } from './send-batch.job.ts';

/** The lists a campaign may name. */
export interface ListDirectory {
  exists(listId: string): Promise<boolean>;
  /** Members on the list (for the audience a confirmation names). */
  countMembers(listId: string): Promise<number>;
}

/** Confirmations a caller gives explicitly; without them the checks refuse. */
export interface SendGuards {
  /** Send although the same edition went (or goes) to some of these lists already (`--again`). */
  again?: boolean | undefined;
  /** Send although the edition's date is not the start's date in the newsletter's zone (`--yes`). */
  confirmDate?: boolean | undefined;
}

/** sha256 of what readers see (subject, preheader, HTML, text), so the same edition under another file or date is recognised. */
export function contentHashOf(compiled: CompiledEmail): string {
  return createHash('sha256').update(JSON.stringify([compiled.subject, compiled.preheader, compiled.html, compiled.text])).digest('hex');
}

/** A campaign command that does not fit the campaign's status (e.g. pause a sent campaign). */
export class CampaignStateError extends NewsdeskError {
  constructor(id: string, action: string, status: CampaignStatus | 'missing') {
    super('campaign_state', `cannot ${action} campaign ${id}: it is ${status}`);
  }
}

export interface CampaignServiceOptions {
  campaigns: CampaignStore;
  lists: ListDirectory;
  campaignQueue: Queue<StartCampaignJob>;
  parking: JobParking;
  /** Compacts a cancelled campaign's delivery ledger (ledger-compaction.ts). Default: nothing scheduled. */
  ledger?: LedgerScheduler | undefined;
  /** For test sends; opened lazily by the caller if it is expensive. */
  transport?: () => Promise<MailTransport>;
  preparer?: MessagePreparer;
  /** Which workers are alive, so progress says "no worker alive since …" instead of an ETA. */
  workers?: { liveness(): Promise<WorkerLiveness> };
  /** The recent send pace the ETA comes from (store/campaign-pace.store.ts). Default: none, no ETA. */
  paces?: { read(campaignId: string): Promise<CampaignPace | undefined> };
  /**
   * Rewrites a new campaign's links for click and open tracking, once (composer/link-tracking.ts).
   * Default: none, the email is stored as compiled.
   */
  trackLinks?: (campaignId: string, compiled: CompiledEmail, newsletter: Newsletter) => TrackedEmail;
  /** Attempts for the start (fan-out) job. Default 10. */
  startAttempts?: number;
  /** What came back for a campaign (bounces, complaints, unsubscribes), for its status. Default: none reported. */
  returns?: { campaignStats(id: string): Promise<ReturnTotals> } | undefined;
  /** Blocks about the sender from one provider before its warning shows (SENDER_ALERT_THRESHOLD). Default 10. */
  senderAlertThreshold?: number;
  /**
   * Asked before a draft starts, and told once it did: a draft made from a stored edition may
   * start only while that revision is approved, and starting it marks the edition sent
   * (src/editions/edition.service.ts). Default: none.
   */
  startGate?: StartGate | undefined;
  now?: () => Date;
}

/** What a draft's start must also pass, and who hears that it started. */
export interface StartGate {
  /**
   * Held from the check to `started` (the stored edition's lock, so it cannot be deleted or sent
   * by someone else in between). @returns its release. @throws when someone else holds it.
   */
  hold(campaign: Campaign): Promise<() => Promise<void>>;
  /** @throws an error saying why the draft may not start. */
  check(campaign: Campaign, guards: SendGuards): Promise<void>;
  started(campaign: Campaign): Promise<void>;
}

/** Campaign status with the figures a person watching it wants. */
export type { CampaignProgress } from '../domain/campaign.schema.ts';

/** A campaign's progress, its first failures, and how long its delivery records are kept. */
export interface CampaignStatusReport extends CampaignProgress, ReturnType<typeof recordsLifetime> {
  failures: Delivery[];
  /** Bounces, complaints and unsubscribes that came back, with their rates and the breaker's reason. */
  returns: CampaignReturns;
}

/** A status report as the API and `campaign status --json` print it: the campaign's fields, flat. */
export function statusBody(r: CampaignStatusReport) {
  const { campaign, done: _done, ...rest } = r;
  return { ...campaign, ...rest, etaSeconds: r.etaSeconds ?? null, noWorkerSince: r.noWorkerSince };
}

const NO_RETURNS: ReturnTotals = { counts: { hard: 0, soft: 0, complaint: 0, unsubscribe: 0, blocked: 0 }, blocksByProvider: {}, breaker: undefined };

export class CampaignService {
  private readonly now: () => Date;

  constructor(private readonly opts: CampaignServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Creates a campaign from an already compiled edition. The compiled email and newsletter are
   * stored with it. A draft (`draft: true`) waits for {@link start}; otherwise it is scheduled for
   * `at` or, without `at`, starts at once — after the checks of {@link checkStart}.
   * @throws SendTimeError when `at` is in the past; DuplicateSendError, EditionDateError (see {@link SendGuards}).
   */
  async create(input: {
    compiled: CompiledEmail;
    newsletter: Newsletter;
    /** The subject as written, for listings. */
    subject: string;
    lists: string[];
    at?: Date | undefined;
    /** Store it without starting it. */
    draft?: boolean | undefined;
    /** The stored edition and revision it is made from (README.md, "Stored editions"). */
    edition?: { id: string; revision: number } | undefined;
  } & SendGuards): Promise<Campaign> {
    const lists = [...new Set(input.lists)];
    if (lists.length === 0) throw new NewsdeskError('campaign_invalid', 'a campaign needs at least one --list');
    for (const l of lists) if (!(await this.opts.lists.exists(l))) throw new NotFoundError('list', l);
    const now = this.now();
    if (input.draft && input.at) throw new NewsdeskError('campaign_invalid', 'a draft has no start time: start it later with a time (campaign start --at)');
    const contentHash = contentHashOf(input.compiled);
    const candidate = { newsletterId: input.newsletter.id, editionDate: input.compiled.editionDate, contentHash, lists };
    const at = input.draft ? now : await this.checkStart(candidate, input.at, input.newsletter.timeZone, input);
    const campaign: Campaign = {
      id: `${input.newsletter.id}-${input.compiled.editionDate}-${randomBytes(3).toString('hex')}`,
      status: input.draft ? 'draft' : 'scheduled',
      newsletterId: input.newsletter.id,
      editionDate: input.compiled.editionDate,
      subject: input.subject,
      lists,
      createdAt: now.toISOString(),
      scheduledAt: at.toISOString(),
      cursor: 0,
      fanoutDone: false,
      counts: { total: 0, sent: 0, failed: 0, skipped: 0, pending: 0 },
      contentHash,
      ...(input.edition ? { editionId: input.edition.id, editionRevision: input.edition.revision } : {}),
    };
    const { compiled, tracking } = this.opts.trackLinks?.(campaign.id, input.compiled, input.newsletter) ?? { compiled: input.compiled, tracking: undefined };
    await this.opts.campaigns.create(campaign, { compiled, newsletter: input.newsletter, ...(tracking ? { tracking } : {}) });
    if (!input.draft) await this.schedule(campaign.id, at);
    return campaign;
  }

  /**
   * Starts a draft: at `at`, or at once without it, after the same checks as {@link create}.
   * @throws CampaignStateError when it is not a draft.
   */
  async start(id: string, opts: { at?: Date | undefined } & SendGuards = {}): Promise<Campaign> {
    const campaign = await this.opts.campaigns.get(id);
    if (campaign.status !== 'draft') throw new CampaignStateError(id, 'start', campaign.status);
    const { newsletter } = await this.opts.campaigns.content(id);
    const candidate = { id, newsletterId: campaign.newsletterId, editionDate: campaign.editionDate, contentHash: campaign.contentHash, lists: campaign.lists };
    const at = await this.checkStart(candidate, opts.at, newsletter.timeZone, opts);
    const release = await this.opts.startGate?.hold(campaign);
    try {
      await this.opts.startGate?.check(campaign, opts);
      const r = await this.opts.campaigns.transition(id, ['draft'], 'scheduled', { scheduledAt: at.toISOString() });
      if (!r.moved) throw new CampaignStateError(id, 'start', r.previous);
      await this.schedule(id, at);
      const started = await this.opts.campaigns.get(id);
      await this.opts.startGate?.started(started);
      return started;
    } finally {
      await release?.();
    }
  }

  /**
   * Everything that must hold before a campaign may start, as one answer: when (a past time is
   * refused; none means now), the edition's date against the start's local date, and earlier
   * campaigns of the same edition to the same lists. Returns the start time.
   */
  private async checkStart(candidate: SendCandidate, at: Date | undefined, timeZone: string | undefined, guards: SendGuards): Promise<Date> {
    const now = this.now();
    if (at) assertNotPast(at, now, timeZone);
    const start = at && at > now ? at : now;
    const zone = timeZone ?? 'UTC';
    const startDay = localDateOf(start, zone);
    if (!guards.confirmDate && editionDateMismatch(candidate.editionDate, startDay)) throw new EditionDateError(candidate.editionDate, startDay, zone);
    if (!guards.again) {
      const duplicates = await this.duplicatesOf(candidate);
      if (duplicates.length) throw new DuplicateSendError(duplicates);
    }
    return start;
  }

  /** Earlier campaigns that sent, are sending or will send the same edition to any of the same lists. */
  async duplicatesOf(candidate: SendCandidate): Promise<DuplicateSend[]> {
    return findDuplicateSends(candidate, await this.opts.campaigns.all());
  }

  /**
   * Who a campaign would reach and whether the edition went out before, for the question a
   * careful command asks before it sends ("2,007 readers on metro; first send of this edition").
   */
  async audience(candidate: SendCandidate): Promise<{ lists: Array<{ id: string; members: number }>; duplicates: DuplicateSend[] }> {
    const [lists, duplicates] = await Promise.all([
      Promise.all(candidate.lists.map(async (id) => ({ id, members: await this.opts.lists.countMembers(id) }))),
      this.duplicatesOf(candidate),
    ]);
    return { lists, duplicates };
  }

  /** Adds the start job (job id = campaign id, so doing it twice is harmless). */
  private async schedule(id: string, at: Date): Promise<void> {
    await this.opts.campaignQueue.add(
      'start',
      { campaignId: id },
      {
        jobId: id,
        delay: Math.max(0, at.getTime() - this.now().getTime()),
        attempts: this.opts.startAttempts ?? 10,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
  }

  /** Moves the start of a scheduled campaign. @throws SendTimeError when `at` is in the past. */
  async reschedule(id: string, at: Date): Promise<Campaign> {
    const { newsletter } = await this.opts.campaigns.content(id);
    assertNotPast(at, this.now(), newsletter.timeZone);
    const r = await this.opts.campaigns.transition(id, ['scheduled'], 'scheduled', { scheduledAt: at.toISOString() });
    if (!r.moved) throw new CampaignStateError(id, 'reschedule', r.previous);
    const job = await this.opts.campaignQueue.getJob(id);
    const delay = Math.max(0, at.getTime() - this.now().getTime());
    if (job && (await job.isDelayed())) {
      await job.changeDelay(delay);
    } else if (!job) {
      await this.schedule(id, at);
    }
    return this.opts.campaigns.get(id);
  }

  /** Stops sending within a couple of seconds: every worker checks before each message. */
  async pause(id: string): Promise<Campaign> {
    const r = await this.opts.campaigns.transition(id, ['sending'], 'paused', { pausedAt: this.now().toISOString(), pauseReason: '' });
    if (!r.moved) throw new CampaignStateError(id, 'pause', r.previous);
    return this.opts.campaigns.get(id);
  }

  /** Continues a paused campaign where it stopped. */
  async resume(id: string): Promise<Campaign> {
    const r = await this.opts.campaigns.transition(id, ['paused'], 'sending', { pauseReason: '' });
    if (!r.moved) throw new CampaignStateError(id, 'resume', r.previous);
    await this.opts.parking.wake(id);
    return this.opts.campaigns.get(id);
  }

  /** Every campaign, newest first. */
  async all(): Promise<Campaign[]> {
    return this.opts.campaigns.all();
  }

  /** Cancels a draft, and only while it is one (a draft that started is left alone). @throws CampaignStateError */
  async discardDraft(id: string): Promise<Campaign> {
    const r = await this.opts.campaigns.transition(id, ['draft'], 'cancelled', { finishedAt: this.now().toISOString() });
    if (!r.moved) throw new CampaignStateError(id, 'discard the draft', r.previous);
    return this.opts.campaigns.get(id);
  }

  /** Cancels a campaign that has not finished: nothing more is sent. */
  async cancel(id: string): Promise<Campaign> {
    const r = await this.opts.campaigns.transition(id, ['draft', 'scheduled', 'sending', 'paused'], 'cancelled', {
      finishedAt: this.now().toISOString(),
    });
    if (!r.moved) throw new CampaignStateError(id, 'cancel', r.previous);
    const job = await this.opts.campaignQueue.getJob(id);
    if (job && (await job.isDelayed())) await job.remove();
    // Parked batches wake, see the cancel and end.
    await this.opts.parking.wake(id);
    await this.opts.ledger?.schedule(id);
    return this.opts.campaigns.get(id);
  }

  /** The campaign with rate, ETA and progress. */
  async progress(id: string): Promise<CampaignProgress> {
    const [campaign, workers, pace] = await Promise.all([this.opts.campaigns.get(id), this.opts.workers?.liveness(), this.opts.paces?.read(id)]);
    return progressOf(campaign, this.now(), workers, pace);
  }

  /**
   * What `campaign status` answers (CLI and API): the campaign with its progress, the first
   * `failures` failed deliveries with their replies, and how long the delivery records are kept.
   */
  async status(id: string, opts: { failures: number }): Promise<CampaignStatusReport> {
    const [p, records, totals] = await Promise.all([this.progress(id), this.opts.campaigns.deliveryRecords(id), this.opts.returns?.campaignStats(id)]);
    // The failures are looked for only when the counters say there are some, and no more than
    // there are: a walk of the delivery records is as long as the list, and status is asked
    // often while a campaign sends (dashboards, `campaign status --watch`).
    const wanted = Math.min(opts.failures, p.campaign.counts.failed);
    const failures = wanted > 0 ? await this.opts.campaigns.deliveries(id, { state: 'failed', limit: wanted }) : [];
    const returns = campaignReturns(p.campaign.counts.sent, totals ?? NO_RETURNS, this.opts.senderAlertThreshold ?? 10);
    return { ...p, failures, ...recordsLifetime(p.campaign, records), returns };
  }

  /** Sends one copy of a campaign, subject prefixed `[TEST]`, to `to`. Counts nowhere. */
  async testSend(id: string, to: string): Promise<SendOutcome> {
    const campaign = await this.opts.campaigns.get(id);
    return this.testSendContent(await this.opts.campaigns.content(id), to, { id, listId: campaign.lists[0] as string });
  }

  /**
   * Sends one `[TEST]` copy of content that need not be a campaign yet (the dashboard's preview),
   * through the same message builder the workers use. Counts nowhere.
   */
  async testSendContent(content: CampaignContent, to: string, ref = { id: `test-${content.compiled.editionDate}`, listId: 'test' }): Promise<SendOutcome> {
    if (!this.opts.transport || !this.opts.preparer) throw new NewsdeskError('not_configured', 'test sends need a mail transport');
    const message = this.opts.preparer.testCopy(ref, content, to);
    return (await this.opts.transport()).send(message);
  }
}

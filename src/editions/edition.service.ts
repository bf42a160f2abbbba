/**
 * Stored editions (README.md, "Stored editions"): save a revision, read one back, list, approve,
 * make a campaign of one, and mark it sent. The CLI (`newsdesk editions …`, `campaign create
 * <edition id>`), the API (`/api/editions/<newsletter>/<date>`), the dashboard's editor and the
 * scheduler all come through here, so the rules hold whichever door is used:
 *
 * - every save is validated by composing it (the same problems `compose` names); a text equal to
 *   the latest revision's adds nothing; a change to an approved edition makes it a draft again;
 * - a sent edition is not silently reopened: a save is refused unless `force`, and a forced
 *   revision stays `sent` (it went out; the archive keeps what was mailed until the correction
 *   is sent again) with a warning;
 * - approval needs a lint-clean latest revision and, with the newsletter's
 *   `approval.twoPerson`, an approver other than whoever saved it;
 * - anything that sends needs the edition approved (or, with `again`, sent before); a draft
 *   campaign may be made of any state, for a test send, but starts only once that revision is approved;
 * - an edition that never went out may be deleted, with every revision; a sent one stays (its
 *   campaigns, the archive and the reports refer to it), and one that a draft campaign was made
 *   of is deleted only with `force`, which cancels those drafts first.
 *
 * `by` is always an audit-log actor (`cli:<user>`, `api:<token name>`, `dashboard:<who>`,
 * `schedule:<id>`): this service writes the audit entries of saves, approvals and the campaigns it
 * creates itself, so callers do not.
 */
import { createHash } from 'node:crypto';
import type { ComposedInput } from '../composer/compose-edition.ts';
import { type LintReport, lintProblems } from '../composer/lint.ts';
import type { TemplateCache } from '../composer/templates.ts';
import { AuditActor } from '../domain/audit.schema.ts';
import type { Campaign } from '../domain/campaign.schema.ts';
import { closestName } from '../domain/did-you-mean.ts';
import { NewsdeskError, ValidationError } from '../domain/errors.ts';
import { editionIdOf, EditionStateError, type StoredEdition } from '../domain/stored-edition.ts';
import type { CampaignService, SendGuards, StartGate } from '../queue/campaign.service.ts';
import type { AuditLog } from '../store/audit.store.ts';
import type { EditionStore, SentEdition } from '../store/edition.store.ts';

/** How long one caller may take to create a sending campaign of an edition before another may try. */
const SENDING_LOCK_MS = 60_000;

/** An edition id nobody stored; names the closest one when it looks like a typo. */
export class EditionNotFoundError extends NewsdeskError {
  constructor(id: string, suggestion?: string | undefined) {
    super('not_found', `edition not found: ${id}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`);
  }
}

/** Refused: draft campaigns were made of the edition, and would start without it. */
export class EditionInUseError extends NewsdeskError {
  constructor(
    id: string,
    readonly campaigns: Campaign[],
  ) {
    super(
      'edition_in_use',
      `edition ${id} has draft campaign${campaigns.length === 1 ? '' : 's'} ${campaigns.map((c) => c.id).join(', ')}; ` +
        'cancel them first, or pass --force (?force=true in the API) to cancel them and delete the edition',
    );
  }
}

/** What a delete did: the edition's state and revisions as they were, and the drafts `force` cancelled. */
export interface EditionDeletion {
  deleted: string;
  state: 'draft' | 'approved';
  revisions: number;
  cancelled: string[];
}

/** What a save did: the edition as now stored, whether a revision was added, and its lint report. */
export interface SaveResult {
  edition: StoredEdition;
  /** False when the text was the latest revision's: nothing was written. */
  changed: boolean;
  /** The saved text's lint report (errors block approval, not saving). */
  lint: LintReport;
  /** Something the saver should know (a forced revision of a sent edition). */
  warning?: string | undefined;
}

/** When a campaign made from an edition starts: a time, now, or never by itself (a draft). */
export type EditionCampaignStart = Date | 'now' | 'draft';

export interface EditionServiceOptions {
  store: EditionStore;
  campaigns: CampaignService;
  audit: AuditLog;
  /** Where newsletters are read: `config.newslettersDir` (see `newsletterDirs`). */
  newslettersDir: string;
  /** Default: a cache of its own, made on first use. */
  templates?: TemplateCache | undefined;
  now?: () => Date;
}

export class EditionService implements StartGate {
  private readonly now: () => Date;

  constructor(private readonly opts: EditionServiceOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Stores `source` (YAML or JSON text) as the next revision of its edition, `<newsletter>-<date>`.
   * @param opts.expect the newsletter and date the caller means (the API's URL): a text for
   *   another one is refused. @param opts.force saves a new revision of a sent edition.
   * @throws ValidationError `edition_invalid` (every problem, with lines), `edition_mismatch`;
   *   EditionStateError `edition_state` for a sent edition without `force`, `edition_deleted` for
   *   the edition `editing` names once it is gone. Nothing is written then.
   */
  async save(
    source: string,
    by: string,
    opts: {
      expect?: { newsletter: string; date: string } | undefined;
      force?: boolean | undefined;
      label?: string | undefined;
      /** The stored edition the caller is editing: a text for that id saves only while it exists (not once deleted). */
      editing?: string | undefined;
    } = {},
  ): Promise<SaveResult> {
    assertActor(by);
    const label = opts.label ?? 'edition';
    const { edition, report } = await this.compose(source, label);
    if (opts.expect) {
      const problems = [
        ...(edition.newsletter !== opts.expect.newsletter ? [{ path: 'newsletter', message: `is "${edition.newsletter}" but the URL names "${opts.expect.newsletter}"` }] : []),
        ...(edition.date !== opts.expect.date ? [{ path: 'date', message: `is "${edition.date}" but the URL names "${opts.expect.date}"` }] : []),
      ];
      if (problems.length) throw new ValidationError('edition_mismatch', label, problems);
    }
    const id = editionIdOf(edition.newsletter, edition.date);
    const savedAt = this.now().toISOString();
    const outcome = await this.opts.store.save({
      id,
      newsletter: edition.newsletter,
      date: edition.date,
      source,
      hash: createHash('sha256').update(source).digest('hex'),
      savedAt,
      savedBy: by,
      force: opts.force,
      mustExist: opts.editing === id,
    });
    if (outcome.kind === 'missing') {
      throw new EditionStateError('edition_deleted', `edition ${id} was deleted while it was being edited: nothing was saved (start a new edition to store it again)`);
    }
    if (outcome.kind === 'sent') {
      const stored = await this.opts.store.require(id);
      throw new EditionStateError(
        'edition_state',
        `edition ${id} was sent (${describeCampaigns(stored)}): a change is not mailed to anyone; save it with --force (API: ?force=true) to keep the correction as revision ${outcome.revision + 1}, which stays sent`,
      );
    }
    const stored = await this.opts.store.require(id);
    if (outcome.kind === 'unchanged') return { edition: stored, changed: false, lint: report };
    await this.opts.audit.record({
      actor: by,
      action: 'edition.save',
      target: id,
      detail: { revision: outcome.revision, state: stored.state, ...(outcome.previousState && outcome.previousState !== stored.state ? { was: outcome.previousState } : {}) },
    });
    const warning =
      outcome.previousState === 'sent'
        ? `edition ${id} was already sent (${describeCampaigns(stored)}): revision ${outcome.revision} is stored and stays sent, but nobody is mailed it`
        : undefined;
    return { edition: stored, changed: true, lint: report, ...(warning ? { warning } : {}) };
  }

  /** The edition at `revision` (default the latest), or null. */
  async get(id: string, opts: { revision?: number | undefined } = {}): Promise<StoredEdition | null> {
    return this.opts.store.get(id, opts.revision);
  }

  /**
   * Like {@link get}, for an edition that must exist.
   * @throws EditionNotFoundError naming the closest id; NewsdeskError `not_found` for a revision it does not have.
   */
  async require(id: string, opts: { revision?: number | undefined } = {}): Promise<StoredEdition> {
    const found = await this.opts.store.get(id, opts.revision);
    if (found) return found;
    const latest = opts.revision === undefined ? null : await this.opts.store.get(id);
    if (latest) throw new NewsdeskError('not_found', `edition ${id} has no revision ${opts.revision}: its revisions are 1 to ${latest.latestRevision}`);
    throw new EditionNotFoundError(id, closestName(id, await this.opts.store.ids()));
  }

  /** Every revision of an edition (when, by whom), oldest first. */
  async revisions(id: string): Promise<Array<{ revision: number; savedAt: string; savedBy: string }>> {
    await this.require(id);
    return this.opts.store.revisions(id);
  }

  /**
   * A page of editions (the latest revision of each), newest date first, of one newsletter when
   * given, and how many there are in all.
   */
  async list(opts: { newsletter?: string | undefined; offset?: number | undefined; limit?: number | undefined } = {}): Promise<{ editions: StoredEdition[]; total: number }> {
    const [editions, total] = await Promise.all([this.opts.store.list(opts), this.opts.store.count(opts.newsletter)]);
    return { editions, total };
  }

  /** Every sent edition of a newsletter, newest date first, without its text (the archive's index). */
  async sentOf(newsletter: string): Promise<SentEdition[]> {
    return this.opts.store.sentOf(newsletter);
  }

  /**
   * Approves the latest revision: it must compose without lint errors, and with the newsletter's
   * `approval.twoPerson` the approver must not be who saved it. An approved edition stays as it is.
   * @throws ValidationError `edition_lint_failed` naming each error; EditionStateError
   *   `edition_state` (sent), `edition_two_person`; EditionNotFoundError.
   */
  async approve(id: string, by: string): Promise<StoredEdition> {
    assertActor(by);
    const edition = await this.require(id);
    if (edition.state === 'approved') return edition;
    if (edition.state === 'sent') throw new EditionStateError('edition_state', `edition ${id} was already sent (${describeCampaigns(edition)}): there is nothing to approve`);
    const { newsletter, report } = await this.compose(edition.source, id);
    if (!report.ok) throw new ValidationError('edition_lint_failed', `${id} (revision ${edition.revision})`, lintProblems(report));
    const twoPerson = newsletter.approval.twoPerson;
    const outcome = await this.opts.store.approve(id, { revision: edition.revision, by, at: this.now().toISOString(), twoPerson });
    switch (outcome.kind) {
      case 'approved':
        break;
      case 'missing':
        throw new EditionNotFoundError(id);
      case 'state':
        // Another approval (or a send) came first.
        if (outcome.state === 'approved') return this.require(id);
        throw new EditionStateError('edition_state', `edition ${id} is ${outcome.state}: there is nothing to approve`);
      case 'stale':
        throw new EditionStateError('edition_state', `edition ${id} was saved again (revision ${outcome.latest}) while revision ${edition.revision} was being checked: look at it, then approve again`);
      case 'same-person':
        throw new EditionStateError(
          'edition_two_person',
          `newsletter ${newsletter.id} needs two people: ${outcome.savedBy} saved the latest revision of ${id}, so someone else must approve it`,
        );
    }
    await this.opts.audit.record({ actor: by, action: 'edition.approve', target: id, detail: { revision: edition.revision } });
    return this.require(id);
  }

  /**
   * Deletes an edition that was never sent, with every revision. Draft campaigns made of it would
   * have nothing to start with: the delete is refused naming them, unless `force`, which cancels
   * them first (each in the audit log). A campaign of it that is not a draft (scheduled, sending,
   * or finished) means it went out: refused. An approved edition's scheduled slot then finds
   * nothing to send, and alerts.
   *
   * The whole delete holds the edition's lock, which making a campaign of it and starting a
   * draft of it take too, so neither happens meanwhile; the lock is renewed before the first
   * change, and the delete script checks it is still this delete's.
   * @throws EditionNotFoundError; EditionStateError `edition_state` (sent, or a campaign of it
   *   started), `edition_sending` (its lock is held: a campaign of it is being made or started);
   *   EditionInUseError `edition_in_use`. Nothing is changed then.
   */
  async delete(id: string, by: string, opts: { force?: boolean | undefined } = {}): Promise<EditionDeletion> {
    assertActor(by);
    const lock = await this.opts.store.lockSending(id, SENDING_LOCK_MS);
    if (!lock) throw busy(id, 'it was not deleted');
    try {
      const edition = await this.require(id);
      if (edition.state === 'sent') throw this.sentError(edition);
      const campaigns = (await this.opts.campaigns.all()).filter((c) => c.editionId === id && c.status !== 'cancelled');
      const live = campaigns.find((c) => c.status !== 'draft');
      if (live) throw new EditionStateError('edition_state', `edition ${id} is sent by campaign ${live.id} (${live.status}): it stays`);
      if (campaigns.length && !opts.force) throw new EditionInUseError(id, campaigns);
      // The lock keeps drafts from starting (a start holds it too); still ours after the reads above?
      if (!(await lock.renew(SENDING_LOCK_MS))) throw busy(id, 'it was not deleted');
      const cancelled: string[] = [];
      for (const c of campaigns) {
        await this.opts.campaigns.discardDraft(c.id);
        cancelled.push(c.id);
        await this.opts.audit.record({ actor: by, action: 'campaign.cancel', target: c.id, detail: { reason: `edition ${id} deleted` } });
      }
      const outcome = await this.opts.store.delete(id, edition.newsletter, lock.token);
      switch (outcome.kind) {
        case 'deleted':
          break;
        case 'missing':
          throw new EditionNotFoundError(id);
        case 'sent':
          throw this.sentError(await this.require(id));
        case 'sending':
          throw busy(id, 'it was not deleted');
      }
      const state = outcome.state === 'approved' ? 'approved' : 'draft';
      await this.opts.audit.record({
        actor: by,
        action: 'edition.delete',
        target: id,
        detail: { state, revisions: outcome.revisions, ...(cancelled.length ? { cancelled: cancelled.join(',') } : {}) },
      });
      return { deleted: id, state, revisions: outcome.revisions, cancelled };
    } finally {
      await lock.release();
    }
  }

  private sentError(edition: StoredEdition): EditionStateError {
    return new EditionStateError(
      'edition_state',
      `edition ${edition.id} was sent (${describeCampaigns(edition)}): it stays, since its campaigns, the archive and the reports refer to it`,
    );
  }

  /** The newsletter's edition for `date` if it is approved (ready to send), else null. */
  async approvedFor(newsletter: string, date: string): Promise<StoredEdition | null> {
    const edition = await this.opts.store.get(editionIdOf(newsletter, date));
    return edition?.state === 'approved' ? edition : null;
  }

  /** Records that `campaignId` sends the edition's latest revision: the edition is `sent`. */
  async markSent(id: string, campaignId: string, revision?: number): Promise<StoredEdition> {
    const edition = await this.require(id);
    await this.opts.store.markSent(id, { campaignId, revision: revision ?? edition.revision, at: this.now().toISOString() });
    return this.require(id);
  }

  /**
   * Creates a campaign of the edition's latest revision (its content frozen, the campaign
   * remembering the edition and revision) and, unless `at` is `'draft'`, schedules it for `at`
   * (`'now'`: at once) and marks the edition sent. The one way the CLI, the API and the
   * scheduler make a campaign of a stored edition.
   * @param opts.yes the send-day check is confirmed (an edition dated another day is meant);
   *   @param opts.again send although it was sent before (or went to one of the lists).
   * @throws EditionStateError `edition_state` when it would send an edition that is not approved,
   *   `edition_sending` when another caller is creating its campaign right now; the campaign
   *   service's errors (unknown list, past time, duplicate send, other day).
   */
  async createCampaign(
    id: string,
    opts: {
      lists: string[];
      at: EditionCampaignStart;
      by: string;
      yes?: boolean | undefined;
      again?: boolean | undefined;
      /** The revision the caller looked at (and asked about): refused if the edition was saved again since. */
      revision?: number | undefined;
    },
  ): Promise<{ campaign: Campaign; edition: StoredEdition; lint: LintReport }> {
    assertActor(opts.by);
    const edition = await this.require(id);
    const sends = opts.at !== 'draft';
    if (sends) this.assertSendable(edition, opts.again);
    // Drafts too: a delete holds the same lock, so no campaign is made of an edition being deleted.
    const lock = await this.opts.store.lockSending(id, SENDING_LOCK_MS);
    if (!lock) throw busy(id, 'try again');
    try {
      // Read again under the lock: a save, a send or a delete may have come in meanwhile.
      const current = await this.require(id);
      if (sends) this.assertSendable(current, opts.again);
      if (opts.revision !== undefined && current.revision !== opts.revision) {
        throw new EditionStateError('edition_state', `edition ${id} was saved again (revision ${current.revision}) after revision ${opts.revision} was looked at: look at it, then create the campaign again`);
      }
      const { edition: content, newsletter, compiled, report } = await this.compose(current.source, id);
      if (!report.ok) throw new ValidationError('edition_lint_failed', `${id} (revision ${current.revision})`, lintProblems(report));
      const campaign = await this.opts.campaigns.create({
        compiled,
        newsletter,
        subject: content.subject,
        lists: opts.lists,
        at: opts.at instanceof Date ? opts.at : undefined,
        draft: !sends,
        again: opts.again,
        confirmDate: opts.yes,
        edition: { id, revision: current.revision },
      });
      if (sends && !(await this.opts.store.markSent(id, { campaignId: campaign.id, revision: current.revision, at: this.now().toISOString() }))) {
        // Only if the lock ran out while the campaign was made and the edition was deleted then.
        await this.opts.campaigns.cancel(campaign.id);
        throw new EditionNotFoundError(id);
      }
      await this.opts.audit.record({
        actor: opts.by,
        action: 'campaign.create',
        target: campaign.id,
        detail: { lists: campaign.lists.join(','), status: campaign.status, scheduledAt: campaign.scheduledAt, edition: id, revision: current.revision },
      });
      return { campaign, edition: await this.require(id), lint: report };
    } finally {
      await lock.release();
    }
  }

  /**
   * The edition (latest revision, or `revision`) composed as a campaign would send it, for a
   * caller that asks before it creates one (the CLI's audience question).
   */
  async composed(id: string, opts: { revision?: number | undefined } = {}): Promise<ComposedInput & { stored: StoredEdition }> {
    const stored = await this.require(id, opts);
    return { stored, ...(await this.compose(stored.source, id)) };
  }

  /**
   * The start gate's lock: a draft made from a stored edition starts holding the edition's lock,
   * so the edition is not deleted (nor another campaign of it made) between its check and `started`.
   * @throws EditionStateError `edition_sending` when someone else holds it.
   */
  async hold(campaign: Campaign): Promise<() => Promise<void>> {
    if (!campaign.editionId) return async () => undefined;
    const lock = await this.opts.store.lockSending(campaign.editionId, SENDING_LOCK_MS);
    if (!lock) throw busy(campaign.editionId, `campaign ${campaign.id} was not started; try again`);
    return lock.release;
  }

  /** The start gate of drafts made from a stored edition: that revision must be the approved latest one. */
  async check(campaign: Campaign, guards: SendGuards): Promise<void> {
    if (!campaign.editionId || campaign.editionRevision === undefined) return;
    const edition = await this.require(campaign.editionId);
    if (edition.revision !== campaign.editionRevision) {
      throw new EditionStateError(
        'edition_state',
        `campaign ${campaign.id} holds revision ${campaign.editionRevision} of edition ${edition.id}, which now has revision ${edition.revision}: make a new campaign of it (newsdesk campaign create ${edition.id} …)`,
      );
    }
    this.assertSendable(edition, guards.again);
  }

  /** A draft made from a stored edition started: the edition is sent. */
  async started(campaign: Campaign): Promise<void> {
    if (!campaign.editionId || campaign.editionRevision === undefined) return;
    await this.opts.store.markSent(campaign.editionId, { campaignId: campaign.id, revision: campaign.editionRevision, at: this.now().toISOString() });
  }

  /**
   * Whether `edition` may be sent: approved, or sent before and `again`.
   * @throws EditionStateError `edition_state` saying what to do instead
   */
  assertSendable(edition: StoredEdition, again: boolean | undefined): void {
    if (edition.state === 'approved') return;
    if (edition.state === 'sent') {
      if (again) return;
      throw new EditionStateError('edition_state', `edition ${edition.id} was already sent (${describeCampaigns(edition)}): --again (API: "again": true) sends it again`);
    }
    throw new EditionStateError(
      'edition_state',
      `edition ${edition.id} is a draft (revision ${edition.revision}): approve it first (newsdesk editions approve ${edition.id}); a --draft campaign of it may be made for a test send`,
    );
  }

  private composer: Promise<(source: string, label: string) => Promise<ComposedInput>> | undefined;

  /**
   * Composes on first use only: the composer (YAML, Markdown, Handlebars; MJML when compiling)
   * stays out of processes that never compose, the workers above all (src/cli/main.ts).
   */
  private async compose(source: string, label: string): Promise<ComposedInput> {
    this.composer ??= (async () => {
      const [{ composeEditionInput }, { newsletterDirs }, { createTemplateCache }] = await Promise.all([
        import('../composer/compose-edition.ts'),
        import('../composer/newsletter.loader.ts'),
        import('../composer/templates.ts'),
      ]);
      const dirs = newsletterDirs(this.opts.newslettersDir);
      const templates = this.opts.templates ?? createTemplateCache();
      return (text: string, name: string) => composeEditionInput(text, { newsletterDirs: dirs, templates, source: name });
    })();
    return (await this.composer)(source, label);
  }
}

function assertActor(by: string): void {
  if (!AuditActor.safeParse(by).success) throw new NewsdeskError('invalid_actor', `"${by}" is not who saved or approved: cli:<user>, api:<token>, dashboard:<who> or schedule:<id>`);
}

/** Someone else holds the edition's lock: a campaign of it is being made or started, or it is being deleted. */
function busy(id: string, outcome: string): EditionStateError {
  return new EditionStateError('edition_sending', `edition ${id} is busy (a campaign of it is being made or started, or it is being deleted): ${outcome}`);
}

function describeCampaigns(e: StoredEdition): string {
  return e.campaignIds.length ? `campaign ${e.campaignIds.join(', ')}` : 'by a campaign';
}

/**
 * The return-path service: the one {@link ReturnEventSink} every entry point (SMTP listener, pipe
 * command, IMAP poller, ESP webhooks) hands its events to. It decides who an event is about only
 * from a signed token (or an authenticated webhook's Message-ID), never from the report's text,
 * and then applies it (docs/return-path.md):
 *
 * - hard bounce → subscriber `bounced`, suppressed; the delivery annotated
 * - soft bounce → counted; `softBounce.count` within `softBounce.windowDays` → `bounced`
 * - a block about the sender (policy, reputation, authentication) → counted per provider, no reader changes
 * - complaint (`abuse`) → `complained`, suppressed, off every list; `opt-out` → unsubscribe;
 *   `auth-failure`, `fraud`, `virus` … → logged for the sender
 * - unsubscribe → from the campaign's lists, or from everything when the token says so
 * - auto-replies, anything unrecognised → ignored, kept for inspection
 * - no valid token, unknown campaign or subscriber → `unverified`, logged, nothing changed
 *
 * Each dedupe key is processed once. After each counted event the campaign's reputation breaker
 * is checked: past `breaker.minMessages` sent, a hard-bounce or complaint rate above its limit
 * pauses the campaign (once; an editor may resume it).
 */
import type { Logger } from 'pino';
import { NewsdeskError, NotFoundError } from '../domain/errors.ts';
import type { InboundRecord } from '../domain/inbound-record.schema.ts';
import { ReturnEvent, type ReturnEventSink, type ReturnOutcome } from '../domain/return-event.ts';
import { campaignRef, parseReturnToken, type ReturnTokenPurpose, verifyReturnToken } from '../domain/return-token.ts';
import type { LinkSigner } from '../domain/links.ts';
import type { CampaignStore } from '../store/campaign.store.ts';
import type { ListStore } from '../store/list.store.ts';
import type { RecordResult, ReturnEffects, ReturnStore } from '../store/return.store.ts';
import type { SubscriberStore } from '../store/subscriber.store.ts';

/** The reputation breaker's limits (per newsletter when its definition sets `returnLimits`). */
export interface BreakerLimits {
  /** Rates are judged only after this many messages were sent. Default 1,000. */
  minMessages: number;
  /** Hard bounces per message sent above which the campaign pauses. Default 0.05. */
  hardBounceRate: number;
  /** Complaints per message sent above which the campaign pauses. Default 0.001. */
  complaintRate: number;
}

export const DEFAULT_BREAKER_LIMITS: BreakerLimits = { minMessages: 1_000, hardBounceRate: 0.05, complaintRate: 0.001 };

export interface ReturnPathServiceOptions {
  store: ReturnStore;
  subscribers: SubscriberStore;
  lists: ListStore;
  campaigns: CampaignStore;
  /** `config.secrets`: every key return tokens may be signed with. */
  secrets: readonly string[];
  /** Reads the link tokens of List-Unsubscribe URLs found in returned headers. */
  links: Pick<LinkSigner, 'read'>;
  logger: Logger;
  /** N soft bounces within D days make a subscriber `bounced`. Default 5 in 15 days. */
  softBounce?: { count: number; windowDays: number };
  /** Default {@link DEFAULT_BREAKER_LIMITS}; a newsletter's `returnLimits` override them. */
  breaker?: BreakerLimits;
  /** Blocks about the sender from one provider in one campaign before a warning is logged. Default 10. */
  senderAlertThreshold?: number;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

/** How an event's delivery was proven: a return token's purpose, a link token, or an authenticated webhook's Message-ID. */
export type ProvenBy = ReturnTokenPurpose | 'link' | 'message-id';

/** Who an event is about, once proven. */
interface Delivery {
  campaignId: string;
  subscriberId: number;
  /** How the identity was proven; for unsubscribe mail, whether the token asks for everything. */
  purpose: ProvenBy;
}

/** An event that was not a valid {@link ReturnEvent}: a bug in the entry point, not bad mail. */
export class ReturnEventInvalidError extends NewsdeskError {
  constructor(detail: string) {
    super('return_event_invalid', `return event invalid: ${detail}`);
  }
}

export class ReturnPathService implements ReturnEventSink {
  private readonly softCount: number;
  private readonly softWindowMs: number;
  private readonly breaker: BreakerLimits;
  private readonly alertThreshold: number;
  private readonly now: () => Date;
  /** Campaign reference → campaign ids, rebuilt when a reference is not found. */
  private refs = new Map<string, string[]>();
  private refsLoadedAt = 0;
  private refsCount = -1;
  /** Breaker limits per campaign (from its frozen newsletter), read once. */
  private readonly limits = new Map<string, BreakerLimits>();

  constructor(private readonly opts: ReturnPathServiceOptions) {
    this.softCount = opts.softBounce?.count ?? 5;
    this.softWindowMs = (opts.softBounce?.windowDays ?? 15) * 86_400_000;
    this.breaker = opts.breaker ?? DEFAULT_BREAKER_LIMITS;
    this.alertThreshold = opts.senderAlertThreshold ?? 10;
    this.now = opts.now ?? (() => new Date());
  }

  /** Applies one event. Throws only when it could not be stored (Redis away): the caller temp-fails. */
  async accept(input: ReturnEvent): Promise<ReturnOutcome> {
    const parsed = ReturnEvent.safeParse(input);
    if (!parsed.success) throw new ReturnEventInvalidError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    const event = parsed.data;
    const { store, logger } = this.opts;
    // The dedupe check and the identity's reads go out together (one round trip's wait).
    const ignored = event.kind === 'auto-reply' || event.kind === 'ignored';
    const [seen, who] = await Promise.all([store.seen(event.dedupeKey), ignored ? '' : this.identify(event)]);
    if (seen) return 'duplicate';

    const base: InboundRecord = {
      at: this.now().toISOString(),
      source: event.source,
      kind: event.kind,
      outcome: 'ignored',
      dedupeKey: event.dedupeKey,
      ...(event.bounce
        ? {
            severity: event.bounce.severity,
            aboutSender: event.bounce.aboutSender,
            status: event.bounce.status,
            diagnostic: event.bounce.diagnostic,
            provider: event.bounce.provider,
          }
        : {}),
      feedbackType: event.feedbackType,
      note: event.note,
    };

    // Mail nobody acts on is kept with its first lines, for an operator to see what it was.
    const kept = event.excerpt ? { excerpt: event.excerpt } : {};
    if (event.kind === 'auto-reply' || event.kind === 'ignored') {
      return this.finish({ ...base, ...kept, outcome: 'ignored', note: event.note ?? (event.kind === 'auto-reply' ? 'an auto-reply' : 'not recognised') }, {});
    }

    const refused = typeof who === 'string' ? who : provesNot(who.purpose, event.kind);
    if (typeof who === 'string' || refused !== undefined) {
      logger.warn({ dedupeKey: event.dedupeKey, source: event.source, kind: event.kind, why: refused }, 'return mail unverified: nothing changed');
      return this.finish({ ...base, ...kept, outcome: 'unverified', note: refused }, {});
    }
    const record: InboundRecord = { ...base, campaignId: who.campaignId, subscriberId: who.subscriberId };
    const at = record.at;
    const effects: ReturnEffects = { campaignId: who.campaignId, subscriberId: who.subscriberId };

    // About the sender: an alert, never a reader's removal (whatever the severity).
    if (event.kind === 'sender-alert' || (event.kind === 'bounce' && event.bounce?.aboutSender)) {
      const provider = event.bounce?.provider ?? 'unknown';
      const outcome = await this.finish(
        { ...record, outcome: 'recorded', note: event.note ?? 'a block about the sender: no reader changed' },
        { ...effects, counter: 'blocked', provider },
      );
      if (outcome === 'recorded') await this.checkSenderAlert(who.campaignId, provider, event.bounce?.diagnostic);
      return outcome;
    }

    switch (event.kind) {
      case 'bounce': {
        const b = event.bounce;
        const annotation = `${b?.severity ?? 'soft'}|${at}|${b?.status ?? ''}|${(b?.diagnostic ?? '').slice(0, 300)}`;
        if (b?.severity === 'hard') {
          const change = await this.opts.subscribers.markBounced(who.subscriberId, `hard bounce ${b.status ?? ''} ${b.diagnostic ?? ''}`.trim().slice(0, 300));
          return this.finish(
            { ...record, outcome: change.kind === 'changed' ? 'applied' : 'recorded', note: event.note ?? `hard bounce: subscriber ${change.kind === 'changed' ? 'now bounced' : `stays ${change.subscriber.status}`}` },
            { ...effects, counter: 'hard', annotation },
            'hard',
          );
        }
        const { fresh, softCount } = await store.record(
          { ...record, outcome: 'recorded', note: event.note ?? 'soft bounce counted' },
          { ...effects, counter: 'soft', annotation, softWindowMs: this.softWindowMs },
        );
        if (!fresh) return 'duplicate';
        if (softCount >= this.softCount) {
          const days = this.softWindowMs / 86_400_000;
          const change = await this.opts.subscribers.markBounced(who.subscriberId, `${softCount} soft bounces within ${days} days`);
          logger.info({ subscriber: who.subscriberId, softCount }, 'soft bounces reached the limit: subscriber bounced');
          return change.kind === 'changed' ? 'applied' : 'recorded';
        }
        return 'recorded';
      }
      case 'complaint': {
        const type = (event.feedbackType ?? 'abuse').toLowerCase();
        if (type === 'opt-out') return this.unsubscribe(record, effects, who, `opt-out feedback report`);
        if (type !== 'abuse' && type !== 'complaint' && type !== 'spam') {
          logger.warn({ campaign: who.campaignId, feedbackType: type }, 'feedback report for the sender (no subscriber change)');
          return this.finish({ ...record, outcome: 'recorded', note: event.note ?? `${type} feedback report: for the sender, no reader changed` }, effects);
        }
        const change = await this.opts.subscribers.markComplained(who.subscriberId, `complaint (${event.source}${event.feedbackType ? `, ${event.feedbackType}` : ''})`);
        return this.finish(
          { ...record, outcome: change.kind === 'changed' ? 'applied' : 'recorded', note: event.note ?? `complaint: subscriber ${change.kind === 'changed' ? 'now complained' : `stays ${change.subscriber.status}`}` },
          { ...effects, counter: 'complaint', annotation: `complaint|${at}||${type}` },
          'complaint',
        );
      }
      case 'unsubscribe':
        return this.unsubscribe(record, effects, who, 'mail to the unsubscribe address');
    }
    return this.finish({ ...record, outcome: 'ignored', note: `nothing to do for ${event.kind}` }, {});
  }

  /** Records the report and its effects; after a hard bounce or complaint, checks the breaker with the figures the record returned. */
  private async finish(record: InboundRecord, effects: ReturnEffects, breakerOn?: 'hard' | 'complaint'): Promise<ReturnOutcome> {
    const result = await this.opts.store.record(record, effects);
    if (!result.fresh) return 'duplicate';
    if (breakerOn && effects.campaignId) await this.checkBreaker(effects.campaignId, breakerOn, result.campaign);
    return record.outcome;
  }

  /** The one-click unsubscribe's rule: the campaign's lists, or everything when the token says so (or the campaign is gone). */
  private async unsubscribe(record: InboundRecord, effects: ReturnEffects, who: Delivery, via: string): Promise<ReturnOutcome> {
    const { subscribers, lists, campaigns } = this.opts;
    const campaign = await campaigns.find(who.campaignId);
    let note: string;
    let changed = false;
    if (who.purpose === 'unsubscribe-all' || !campaign) {
      const r = await subscribers.unsubscribe(who.subscriberId, { reason: `${via}: from everything` });
      changed = r.kind === 'changed';
      note = `unsubscribed from everything${changed ? '' : ' (already)'}`;
    } else {
      const left: string[] = [];
      for (const listId of campaign.lists) {
        if (!(await lists.isMember(listId, who.subscriberId))) continue;
        await subscribers.unsubscribe(who.subscriberId, { listId, reason: via });
        left.push(listId);
      }
      changed = left.length > 0;
      note = left.length ? `left ${left.join(', ')}` : 'was on none of the campaign\'s lists already';
    }
    return this.finish(
      { ...record, kind: record.kind === 'complaint' ? 'complaint' : 'unsubscribe', outcome: changed ? 'applied' : 'recorded', note: record.note ?? note },
      { ...effects, counter: 'unsubscribe', annotation: `unsubscribe|${record.at}||${via}` },
    );
  }

  /** The delivery an event is about, or why it cannot be told. */
  private async identify(event: ReturnEvent): Promise<Delivery | string> {
    const id = event.identity;
    let who: Delivery | null = null;
    if (id.kind === 'none') return 'no return token in the address or the returned headers';
    if (id.kind === 'message-id') {
      // `<campaign id>.<subscriber id>@domain`, as the send path writes it; trusted only from an
      // authenticated webhook (the entry point's job).
      const m = /^<?([a-z0-9][a-z0-9-]{2,80})\.(\d{1,15})@[^>]+>?$/.exec(id.messageId.trim());
      if (!m) return 'the Message-ID names no delivery of ours';
      who = { campaignId: m[1] as string, subscriberId: Number(m[2]), purpose: 'message-id' };
    } else if (id.token.includes('.')) {
      // A link token (the List-Unsubscribe URL inside a feedback report's returned headers).
      // Only the List-Unsubscribe URL's token: a view link is shared and posted publicly, and
      // must never let its finder file a complaint about its reader.
      const payload = this.opts.links.read(id.token, 'unsubscribe');
      if (!payload || payload.scope.kind !== 'campaign') return 'link token forged, altered, or not a campaign\'s unsubscribe link';
      who = { campaignId: payload.scope.id, subscriberId: payload.subscriberId, purpose: 'link' };
    } else {
      const parts = parseReturnToken(id.token);
      if (!parts) return 'not a return token';
      const payload = verifyReturnToken(id.token, await this.campaignsFor(parts.ref), this.opts.secrets);
      if (!payload) return 'return token forged, altered, signed with an unknown key, or for an unknown campaign';
      who = { campaignId: payload.campaignId, subscriberId: payload.subscriberId, purpose: payload.purpose };
    }
    const [status, subscriber] = await Promise.all([
      this.opts.campaigns.status(who.campaignId).catch((err: unknown) => (err instanceof NotFoundError ? null : Promise.reject(err))),
      this.opts.subscribers.get(who.subscriberId),
    ]);
    if (!status) return `unknown campaign ${who.campaignId}`;
    if (!subscriber) return `subscriber ${who.subscriberId} no longer exists`;
    return who;
  }

  /** Campaign ids whose reference is `ref`; the table is reloaded when `ref` is unknown and campaigns changed. */
  private async campaignsFor(ref: string): Promise<string[]> {
    const known = this.refs.get(ref);
    if (known) return known;
    const ids = await this.opts.store.campaignIds();
    // Rebuild the table when the set of campaigns changed, else at most once a second: a forged
    // flood of unknown references costs one read of the ids each, not a rehash of every campaign.
    const nowMs = this.now().getTime();
    if (ids.length !== this.refsCount || nowMs - this.refsLoadedAt > 1_000) {
      const refs = new Map<string, string[]>();
      for (const cid of ids) {
        const r = campaignRef(cid);
        refs.set(r, [...(refs.get(r) ?? []), cid]);
      }
      this.refs = refs;
      this.refsCount = ids.length;
      this.refsLoadedAt = nowMs;
    }
    return this.refs.get(ref) ?? [];
  }

  private async limitsFor(campaignId: string): Promise<BreakerLimits> {
    let l = this.limits.get(campaignId);
    if (!l) {
      const content = await this.opts.campaigns.content(campaignId).catch(() => null);
      const own = Object.entries(content?.newsletter.returnLimits ?? {}).filter(([, v]) => v !== undefined);
      l = { ...this.breaker, ...Object.fromEntries(own) };
      this.limits.set(campaignId, l);
    }
    return l;
  }

  /** Pauses a sending campaign whose hard-bounce or complaint rate passed its limit (once per campaign). */
  private async checkBreaker(campaignId: string, counter: 'hard' | 'complaint', figures: RecordResult['campaign']): Promise<void> {
    const { campaigns, store, logger } = this.opts;
    if (figures.status !== 'sending' || figures.breaker !== undefined) return;
    const verdict = breakerVerdict(figures.sent, figures, await this.limitsFor(campaignId));
    if (!verdict || !verdict.startsWith(counter === 'hard' ? 'hard' : 'complaint')) return;
    if (!(await store.tripBreaker(campaignId, verdict))) return;
    const r = await campaigns.transition(campaignId, ['sending'], 'paused', { pausedAt: this.now().toISOString() });
    logger.warn({ campaign: campaignId, reason: verdict, paused: r.moved }, 'reputation breaker: campaign paused');
  }

  private async checkSenderAlert(campaignId: string, provider: string, diagnostic: string | undefined): Promise<void> {
    const stats = await this.opts.store.campaignStats(campaignId);
    const n = stats.blocksByProvider[provider] ?? 0;
    if (n === this.alertThreshold || (n > this.alertThreshold && n % this.alertThreshold === 0)) {
      this.opts.logger.warn({ campaign: campaignId, provider, blocks: n, reply: diagnostic }, `${provider} is blocking mail as about the sender (${n} so far)`);
    }
  }
}

/**
 * Why a proven identity may not act for this kind of event, or undefined when it may. Each token
 * proves only what its address or link is for: a bounce (or a block about the sender) only
 * through the envelope sender's bounce token or an authenticated webhook — the unsubscribe
 * mailto and URL travel with every forwarded copy, and must not let anyone who holds them
 * report the reader's address as dead; mail to the unsubscribe address only through an
 * unsubscribe token (not a link found in the text); a feedback report through any of our tokens
 * (providers redact the recipient, and our List-Unsubscribe in the returned headers is what
 * names it). A view link never proves anything (see identify).
 */
export function provesNot(purpose: ProvenBy, kind: ReturnEvent['kind']): string | undefined {
  const allowed: Record<ReturnEvent['kind'], readonly ProvenBy[]> = {
    bounce: ['bounce', 'message-id'],
    'sender-alert': ['bounce', 'message-id', 'unsubscribe', 'unsubscribe-all', 'link'],
    complaint: ['bounce', 'message-id', 'unsubscribe', 'unsubscribe-all', 'link'],
    unsubscribe: ['unsubscribe', 'unsubscribe-all', 'message-id'],
    'auto-reply': [],
    ignored: [],
  };
  if (allowed[kind].includes(purpose)) return undefined;
  const what = purpose === 'link' ? 'an unsubscribe link' : purpose === 'message-id' ? 'a Message-ID' : `a ${purpose} token`;
  return `a ${kind} named only by ${what}: that token does not prove this kind of report, nothing changed`;
}

/**
 * The breaker's decision as a pure function: the reason to pause (naming the rate and its
 * limit), or undefined. Rates are per message sent (accepted with a 250).
 */
export function breakerVerdict(sent: number, counts: { hard: number; complaint: number }, limits: BreakerLimits): string | undefined {
  if (sent < limits.minMessages || sent === 0) return undefined;
  const hard = counts.hard / sent;
  const complaint = counts.complaint / sent;
  if (hard > limits.hardBounceRate) return `hard-bounce rate ${pct(hard)} passed ${pct(limits.hardBounceRate)} after ${sent} messages`;
  if (complaint > limits.complaintRate) return `complaint rate ${pct(complaint)} passed ${pct(limits.complaintRate)} after ${sent} messages`;
  return undefined;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.01 ? 2 : 1)} %`;
}

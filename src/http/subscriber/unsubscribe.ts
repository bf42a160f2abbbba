/**
 * What an unsubscribe link stands for, and doing it. A campaign-scoped token unsubscribes from
 * that campaign's lists (those the subscriber is still on); "from everything" ends all mail and
 * suppresses the address. Both are idempotent: a second click changes nothing and says so.
 */
import type { App } from '../../app.ts';
import type { List } from '../../domain/list.schema.ts';
import type { Subscriber } from '../../domain/subscriber.schema.ts';
import type { LinkTokenPayload } from '../../domain/link-token.ts';

export interface UnsubscribeContext {
  subscriber: Subscriber;
  /** The newsletter the link came from, when it can still be told. */
  newsletterName: string | undefined;
  /** The lists the link speaks for (the campaign's, or the one list). */
  lists: List[];
  /** Those of `lists` the subscriber is on now. */
  memberOf: List[];
  /**
   * True when the link's campaign no longer exists: its lists are unknown, so a one-click
   * request can only be honoured by unsubscribing from everything.
   */
  scopeGone: boolean;
}

/** Reads, never writes: GET builds its page from this. Null when the subscriber is gone. */
export async function unsubscribeContext(app: App, payload: LinkTokenPayload): Promise<UnsubscribeContext | null> {
  const { subscribers, lists: listStore } = app.stores;
  const subscriber = await subscribers.get(payload.subscriberId);
  if (!subscriber) return null;
  let listIds: string[] = [];
  let newsletterName: string | undefined;
  let scopeGone = false;
  if (payload.scope.kind === 'campaign') {
    const campaign = await app.campaigns.find(payload.scope.id);
    if (campaign) {
      listIds = campaign.lists;
      newsletterName = await app.campaigns.content(campaign.id).then(
        (c) => c.newsletter.name,
        () => undefined,
      );
    } else {
      scopeGone = true;
    }
  } else {
    listIds = [payload.scope.id];
  }
  const lists = (await Promise.all(listIds.map((id) => listStore.get(id)))).filter((l): l is List => l !== null);
  const member = await Promise.all(lists.map((l) => listStore.isMember(l.id, subscriber.id)));
  return { subscriber, newsletterName, lists, memberOf: lists.filter((_, i) => member[i]), scopeGone };
}

export type UnsubscribeOutcome =
  /** Left these lists now (empty: they were on none of them already). */
  | { kind: 'left-lists'; lists: List[] }
  /** Unsubscribed from everything; `already` when that was so before this request. */
  | { kind: 'everything'; already: boolean };

/**
 * Unsubscribes as the link and the choice say. Awaited before the answer is sent: every send
 * checked after it skips the address, and one that passed its check just before it (a campaign
 * running right now) has finished its SMTP transaction by the time this resolves, so no message
 * to the address starts after the answer (see sends-in-progress.store.ts).
 */
export async function unsubscribe(app: App, ctx: UnsubscribeContext, scope: 'lists' | 'all', via: string): Promise<UnsubscribeOutcome> {
  const { subscribers } = app.stores;
  const id = ctx.subscriber.id;
  let outcome: UnsubscribeOutcome;
  let stillSending: string[] = [];
  if (scope === 'all' || ctx.scopeGone) {
    const result = await subscribers.unsubscribe(id, { reason: `${via}: from everything` });
    // `refused` means a stricter status (bounced, complained) stays; the address is suppressed either way.
    outcome = { kind: 'everything', already: result.kind !== 'changed' };
    stillSending = result.stillSending;
  } else {
    for (const list of ctx.memberOf) stillSending = (await subscribers.unsubscribe(id, { listId: list.id, reason: via })).stillSending;
    outcome = { kind: 'left-lists', lists: ctx.memberOf };
  }
  if (stillSending.length) {
    // A worker that stalled or died mid-send; the unsubscribe itself is done.
    app.logger.warn({ subscriber: id, campaigns: stillSending }, 'unsubscribe answered while a send to the address is still noted');
  }
  return outcome;
}

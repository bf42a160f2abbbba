/**
 * What the send engine needs to know about subscribers: two narrow questions, answered by the
 * subscriber store (adapter in `recipients.adapter.ts`), so the engine can be read on its own.
 */
import type { SkipReason } from '../domain/campaign.schema.ts';

/** The members a campaign walks, by id, in pages. */
export interface MemberSource {
  /** The highest subscriber id now: the campaign's snapshot at start. */
  maxSubscriberId(): Promise<number>;
  /** Member ids of a list with `after < id <= upTo`, ascending, at most `limit`. */
  pageMembers(listId: string, range: { after: number; upTo: number; limit: number }): Promise<number[]>;
}

/** Who a recipient is, when they may be mailed. */
export interface Addressee {
  subscriberId: number;
  email: string;
  name?: string | undefined;
  /** The campaign list they are on (the first, if several): names the List-Id. */
  listId?: string | undefined;
}

export type Eligibility = { ok: true; addressee: Addressee } | { ok: false; reason: SkipReason };

/** A send that is about to happen if the check says yes (see sends-in-progress.store.ts). */
export interface PendingSend {
  campaignId: string;
  /** How long the note may stand if the sender never ends it (it died): longer than a send takes. */
  holdMs: number;
}

/**
 * Is this subscriber still someone we may mail? The one-recipient form of the question; the send
 * job asks it a chunk at a time, with the claim, in one script (src/store/delivery-chunks.ts, which
 * applies the same rules: a record, `active`, on a list, not suppressed, in that order).
 */
export interface RecipientGate {
  /**
   * Active, unsuppressed and still on one of `lists` at this moment (docs/architecture.md, invariant 3).
   * With `sending`, first notes the send as in progress, so an unsubscribe the check just missed
   * waits for this message; a refusal ends the note at once, a yes leaves it for {@link sendOver}.
   */
  check(subscriberId: number, lists: readonly string[], sending?: PendingSend): Promise<Eligibility>;
  /** The message a `check` with `sending` allowed has been sent, refused or dropped. */
  sendOver(subscriberId: number, campaignId: string): Promise<void>;
  /** A hard bounce: the subscriber becomes `bounced` and the address is suppressed. */
  markBounced(subscriberId: number, reply: string): Promise<void>;
}

/**
 * Merges one page from several lists into the next ids of their union, ascending and unique.
 * A list whose page came back full may have more members just past its last id, so the merged page
 * stops at the smallest such last id: nothing beyond it can be trusted to be complete.
 */
export function mergePages(pages: readonly number[][], limit: number): number[] {
  let boundary = Infinity;
  for (const p of pages) if (p.length >= limit && p.length > 0) boundary = Math.min(boundary, p[p.length - 1] as number);
  const ids = new Set<number>();
  for (const p of pages) for (const id of p) if (id <= boundary) ids.add(id);
  return [...ids].sort((a, b) => a - b).slice(0, limit);
}

/**
 * Which status changes a subscriber may go through, and what each status means for mailing.
 * Pure rules: the stores ask here before they write, so the rules live in one place.
 */
import { z } from 'zod';

export const SUBSCRIBER_STATUSES = ['active', 'unconfirmed', 'unsubscribed', 'bounced', 'complained'] as const;
export const SubscriberStatus = z.enum(SUBSCRIBER_STATUSES);
export type SubscriberStatus = z.infer<typeof SubscriberStatus>;

/**
 * How a change was asked for. Only `confirmed-opt-in` (the subscriber clicked a fresh confirmation
 * link) may bring back someone who left, bounced or complained.
 */
export const STATUS_CHANGE_VIAS = ['import', 'admin', 'opt-in', 'confirmed-opt-in', 'unsubscribe', 'bounce', 'complaint'] as const;
export const StatusChangeVia = z.enum(STATUS_CHANGE_VIAS);
export type StatusChangeVia = z.infer<typeof StatusChangeVia>;

/** Statuses that end mailing: the address goes into the suppression set with them. */
const ENDED: ReadonlySet<SubscriberStatus> = new Set(['unsubscribed', 'bounced', 'complained']);

/**
 * Among the ended statuses a later signal may only make things stricter: a late bounce after an
 * unsubscribe is worth recording, but an unsubscribe must not hide a complaint.
 */
const STRICTNESS: Record<SubscriberStatus, number> = {
  active: 0,
  unconfirmed: 0,
  unsubscribed: 1,
  bounced: 2,
  complained: 3,
};

/** True for the one status that receives campaigns. */
export function isMailable(status: SubscriberStatus): status is 'active' {
  return status === 'active';
}

/** True when the status ended mailing (unsubscribed, bounced, complained). */
export function hasEnded(status: SubscriberStatus): boolean {
  return ENDED.has(status);
}

/** Statuses that put the address into the suppression set: every ended status. */
export function suppresses(status: SubscriberStatus): boolean {
  return ENDED.has(status);
}

/**
 * Statuses that also take the subscriber off every list (remembered per list), because the
 * person said "no more" rather than the mailbox failing: unsubscribe-all and a spam complaint.
 */
export function leavesAllLists(status: SubscriberStatus): boolean {
  return status === 'unsubscribed' || status === 'complained';
}

/**
 * Whether an import or an admin add may put an existing subscriber with this status on a list.
 * Ended subscribers stay off: only their own confirmed opt-in brings them back.
 */
export function mayJoinByImport(status: SubscriberStatus): boolean {
  return !ENDED.has(status);
}

export type TransitionVerdict =
  | { kind: 'allowed' }
  | { kind: 'unchanged' }
  | { kind: 'refused'; reason: string };

/**
 * Decides whether a subscriber may go from `from` to `to` when asked `via` some channel.
 *
 * - `unconfirmed` is only ever a starting status; nothing moves back to it.
 * - `active` from `unconfirmed` needs an opt-in (single opt-in form or confirmation link);
 *   from an ended status it needs a confirmed opt-in. Imports and admin adds never change status.
 * - Ended statuses move only towards stricter ones (unsubscribed → bounced → complained).
 */
export function checkTransition(from: SubscriberStatus, to: SubscriberStatus, via: StatusChangeVia): TransitionVerdict {
  if (from === to) return { kind: 'unchanged' };
  if (via === 'import' || via === 'admin') {
    // An admin may still record what the mailbox told them; what they may not do is (re)activate.
    if (to === 'active' || to === 'unconfirmed') {
      return { kind: 'refused', reason: `${via} never changes a ${from} subscriber to ${to}` };
    }
  }
  if (to === 'unconfirmed') return { kind: 'refused', reason: `a ${from} subscriber cannot become unconfirmed again` };
  if (to === 'active') {
    if (from === 'unconfirmed' && (via === 'opt-in' || via === 'confirmed-opt-in')) return { kind: 'allowed' };
    if (ENDED.has(from) && via === 'confirmed-opt-in') return { kind: 'allowed' };
    return { kind: 'refused', reason: `only a confirmed opt-in can make a ${from} subscriber active` };
  }
  // `to` is an ended status from here on.
  if (STRICTNESS[to] < STRICTNESS[from]) {
    return { kind: 'refused', reason: `${from} is stricter than ${to} and stays` };
  }
  return { kind: 'allowed' };
}

/**
 * The duplicate-send rule: an edition goes to a reader once. A campaign may not be created or
 * started for an edition (same newsletter and date, or the same compiled content) that another
 * campaign already sent, is sending or is scheduled to send to any of the same lists, unless
 * the caller says "again" explicitly.
 */
import { type Campaign, type CampaignStatus } from './campaign.schema.ts';
import { NewsdeskError } from './errors.ts';

/** What identifies the edition a campaign would send, and where to. */
export interface SendCandidate {
  /** Its own id when it exists already (a draft being started), so it never conflicts with itself. */
  id?: string | undefined;
  newsletterId: string;
  editionDate: string;
  contentHash?: string | undefined;
  lists: readonly string[];
}

/** An earlier campaign that sent (or will send) the same edition to some of the same lists. */
export interface DuplicateSend {
  campaign: Campaign;
  /** The lists both name. */
  lists: string[];
  /** Why it counts as the same edition. */
  match: 'edition' | 'content';
}

const WILL_SEND_OR_SENT: ReadonlySet<CampaignStatus> = new Set(['scheduled', 'sending', 'paused', 'sent']);

/** True when `c` mailed, is mailing or will mail its lists: drafts, cancels before the start and failures that sent nothing do not count. */
function hasSentOrWillSend(c: Campaign): boolean {
  return WILL_SEND_OR_SENT.has(c.status) || ((c.status === 'cancelled' || c.status === 'failed') && c.counts.sent > 0);
}

/** The campaigns among `others` that make `candidate` a duplicate send, oldest first. */
export function findDuplicateSends(candidate: SendCandidate, others: readonly Campaign[]): DuplicateSend[] {
  const lists = new Set(candidate.lists);
  const found: DuplicateSend[] = [];
  for (const c of others) {
    if (c.id === candidate.id || !hasSentOrWillSend(c)) continue;
    const shared = c.lists.filter((l) => lists.has(l));
    if (!shared.length) continue;
    const sameEdition = c.newsletterId === candidate.newsletterId && c.editionDate === candidate.editionDate;
    const sameContent = !!candidate.contentHash && c.contentHash === candidate.contentHash;
    if (sameEdition || sameContent) found.push({ campaign: c, lists: shared, match: sameEdition ? 'edition' : 'content' });
  }
  return found.sort((a, b) => a.campaign.createdAt.localeCompare(b.campaign.createdAt));
}

/** One line per duplicate: when and to whom. */
export function describeDuplicate(d: DuplicateSend): string {
  const c = d.campaign;
  const what = d.match === 'edition' ? `${c.newsletterId} ${c.editionDate}` : `the same content (${c.newsletterId} ${c.editionDate})`;
  const when =
    c.status === 'scheduled'
      ? `is scheduled for ${c.scheduledAt}`
      : c.status === 'sent'
        ? `was sent ${c.startedAt ?? c.scheduledAt}–${c.finishedAt ?? ''}`
        : c.status === 'sending' || c.status === 'paused'
          ? `is ${c.status} since ${c.startedAt ?? c.scheduledAt}`
          : `was ${c.status} after sending ${c.counts.sent} (started ${c.startedAt ?? c.scheduledAt})`;
  return `${what} ${when} to ${d.lists.join(', ')} by campaign ${c.id} (${c.counts.sent.toLocaleString('en-US')} sent)`;
}

/** Refused: the edition already went (or is going) to these lists. `--again` / `"again": true` overrides. */
export class DuplicateSendError extends NewsdeskError {
  constructor(readonly duplicates: DuplicateSend[]) {
    super('duplicate_send', `already sent: ${duplicates.map(describeDuplicate).join('; ')}. To send it again anyway, pass --again ("again": true in the API)`);
  }
}

/**
 * Whether the edition's date is "today" where the newsroom is. A campaign for another day's
 * edition (yesterday's file sent again, a typo'd date) needs a confirmation.
 */
export function editionDateMismatch(editionDate: string, todayInZone: string): boolean {
  return editionDate !== todayInZone;
}

/** Refused: the edition is not today's in the newsletter's zone. `--yes` / `"confirmDate": true` overrides. */
export class EditionDateError extends NewsdeskError {
  constructor(editionDate: string, today: string, timeZone: string) {
    super(
      'edition_not_today',
      `the edition is dated ${editionDate} but today is ${today} in ${timeZone}; pass --yes (or "confirmDate": true in the API, the confirmation box in the dashboard) if that is meant`,
    );
  }
}

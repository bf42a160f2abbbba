/**
 * Deleting a list that a campaign still needs. A scheduled campaign whose list vanished would
 * fire at 6 a.m. to nobody; so the delete is refused, naming the campaigns, unless the caller
 * forces it — which cancels those campaigns first and says so.
 */
import { type Campaign, type CampaignStatus } from '../domain/campaign.schema.ts';
import { NewsdeskError } from '../domain/errors.ts';
import type { ListStore } from '../store/list.store.ts';

/** Campaigns that will still read their lists: drafts count, since starting one needs its lists. */
const USES_ITS_LISTS: ReadonlySet<CampaignStatus> = new Set(['draft', 'scheduled', 'sending', 'paused']);

/** The campaigns among `campaigns` that still need `listId`. */
export function campaignsUsingList(listId: string, campaigns: readonly Campaign[]): Campaign[] {
  return campaigns.filter((c) => USES_ITS_LISTS.has(c.status) && c.lists.includes(listId));
}

/** Refused: the list is in use. */
export class ListInUseError extends NewsdeskError {
  constructor(
    listId: string,
    readonly campaigns: Campaign[],
  ) {
    super(
      'list_in_use',
      `list ${listId} is used by ${campaigns.map((c) => `campaign ${c.id} (${c.status}${c.status === 'scheduled' ? ` for ${c.scheduledAt}` : ''})`).join(', ')}; ` +
        'cancel them first, or pass --force (?force=true in the API) to cancel them and delete the list',
    );
  }
}

export interface ListRemovalDeps {
  lists: Pick<ListStore, 'require' | 'countMembers' | 'delete'>;
  campaigns: { all(): Promise<Campaign[]> };
  cancel(campaignId: string): Promise<Campaign>;
}

/** What a delete did: the list's memberships removed, and the campaigns `force` cancelled. */
export interface ListRemoval {
  deleted: string;
  members: number;
  cancelled: string[];
}

/**
 * Deletes a list and its memberships (subscribers stay). Refuses while a draft, scheduled,
 * sending or paused campaign uses it; with `force`, cancels those first.
 * @throws NotFoundError, ListInUseError
 */
export async function deleteList(listId: string, opts: { force?: boolean | undefined }, deps: ListRemovalDeps): Promise<ListRemoval> {
  const list = await deps.lists.require(listId);
  const using = campaignsUsingList(list.id, await deps.campaigns.all());
  if (using.length && !opts.force) throw new ListInUseError(list.id, using);
  for (const c of using) await deps.cancel(c.id);
  const members = await deps.lists.countMembers(list.id);
  await deps.lists.delete(list.id);
  return { deleted: list.id, members, cancelled: using.map((c) => c.id) };
}

/**
 * The send engine's view of subscribers ({@link MemberSource}, {@link RecipientGate},
 * {@link ListDirectory}), answered by the subscriber, list and suppression stores.
 */
import type { SkipReason } from '../domain/campaign.schema.ts';
import type { Stores } from '../store/stores.ts';
import type { ListDirectory } from './campaign.service.ts';
import type { Eligibility, MemberSource, RecipientGate } from './recipients.ts';

const SKIP_BY_STATUS: Record<string, SkipReason> = {
  unsubscribed: 'unsubscribed',
  bounced: 'bounced',
  complained: 'complained',
  unconfirmed: 'unconfirmed',
};

export type Recipients = MemberSource & RecipientGate & ListDirectory;

export function createRecipients(stores: Pick<Stores, 'subscribers' | 'lists' | 'suppression'>): Recipients {
  const { subscribers, lists, suppression } = stores;
  return {
    maxSubscriberId: () => subscribers.maxSubscriberId(),
    pageMembers: (listId, range) => lists.pageMembers(listId, range),
    exists: async (listId) => (await lists.get(listId)) !== null,

    async check(subscriberId, campaignLists): Promise<Eligibility> {
      // The record and every membership in one round trip (ioredis writes them back to back).
      const [subscriber, ...member] = await Promise.all([
        subscribers.get(subscriberId),
        ...campaignLists.map((l) => lists.isMember(l, subscriberId)),
      ]);
      if (!subscriber) return { ok: false, reason: 'deleted' };
      const skip = SKIP_BY_STATUS[subscriber.status];
      if (skip) return { ok: false, reason: skip };
      const listIndex = member.indexOf(true);
      if (listIndex < 0) return { ok: false, reason: 'left-list' };
      if (await suppression.isSuppressed(subscriber.email)) return { ok: false, reason: 'suppressed' };
      return {
        ok: true,
        addressee: { subscriberId, email: subscriber.emailDisplay, name: subscriber.name, listId: campaignLists[listIndex] },
      };
    },

    async markBounced(subscriberId, reply) {
      await subscribers.markBounced(subscriberId, reply);
    },
  };
}

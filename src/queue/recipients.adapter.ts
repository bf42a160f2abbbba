/**
 * The send engine's view of subscribers ({@link MemberSource}, {@link RecipientGate},
 * {@link ListDirectory}), answered by the subscriber, list and suppression stores.
 */
import type { SkipReason } from '../domain/campaign.schema.ts';
import { isMailable } from '../domain/subscriber-status.ts';
import type { Stores } from '../store/stores.ts';
import type { ListDirectory } from './campaign.service.ts';
import type { Eligibility, MemberSource, RecipientGate } from './recipients.ts';

export type Recipients = MemberSource & RecipientGate & ListDirectory;

export function createRecipients(stores: Pick<Stores, 'subscribers' | 'lists' | 'suppression' | 'sendsInProgress'>): Recipients {
  const { subscribers, lists, suppression, sendsInProgress } = stores;
  return {
    maxSubscriberId: () => subscribers.maxSubscriberId(),
    pageMembers: (listId, range) => lists.pageMembers(listId, range),
    exists: async (listId) => (await lists.get(listId)) !== null,
    countMembers: (listId) => lists.countMembers(listId),

    async check(subscriberId, campaignLists, sending): Promise<Eligibility> {
      // The note (first), the record and every membership in one round trip: ioredis writes them
      // back to back on one connection, and Redis runs them in that order.
      const [, subscriber, ...member] = await Promise.all([
        sending ? sendsInProgress.begin(subscriberId, sending.campaignId, sending.holdMs) : undefined,
        subscribers.get(subscriberId),
        ...campaignLists.map((l) => lists.isMember(l, subscriberId)),
      ]);
      const refuse = async (reason: SkipReason): Promise<Eligibility> => {
        if (sending) await sendsInProgress.end(subscriberId, sending.campaignId);
        return { ok: false, reason };
      };
      if (!subscriber) return refuse('deleted');
      // Every status but the mailable one is itself the reason for the skip.
      if (!isMailable(subscriber.status)) return refuse(subscriber.status);
      const listIndex = member.indexOf(true);
      if (listIndex < 0) return refuse('left-list');
      if (await suppression.isSuppressed(subscriber.email)) return refuse('suppressed');
      return {
        ok: true,
        addressee: { subscriberId, email: subscriber.emailDisplay, name: subscriber.name, listId: campaignLists[listIndex] },
      };
    },

    sendOver: (subscriberId, campaignId) => sendsInProgress.end(subscriberId, campaignId),

    async markBounced(subscriberId, reply) {
      await subscribers.markBounced(subscriberId, reply);
    },
  };
}

/**
 * Everything newsdesk holds about one reader, to hand over (`newsdesk subscribers data`) or to
 * erase (`newsdesk subscribers erase`) — README.md, "What readers did with it".
 *
 * Erasing removes the subscriber record and its email index entry, every list membership and
 * departure, the per-reader click and open events, and the personal parts of delivery records
 * (the Message-ID and the SMTP server's reply, which may quote the address); what stays of a
 * delivery is its state and time, under an id that no longer names anyone. The suppression keeps
 * only a hash of the address, so it stays unmailable (sends, imports and sign-ups check it).
 * Campaign counters hold no identity and stay.
 */
import { NotFoundError } from '../domain/errors.ts';
import type { Subscriber } from '../domain/subscriber.schema.ts';
import type { Suppression } from '../domain/suppression.schema.ts';
import type { ClickStore } from './click.store.ts';
import type { Keys, RedisClient } from './redis.ts';
import { parseDelivery, type ReaderDelivery, readerDelivery } from './campaign.store.ts';
import { DeliveryLedger } from './delivery-ledger.ts';
import type { Stores } from './stores.ts';

/** What `subscribers data` prints. */
export interface ReaderData {
  subscriber: Subscriber;
  lists: { member: string[]; left: { list: string; at: string }[] };
  suppression: Suppression | null;
  deliveries: ReaderDelivery[];
  clicks: Awaited<ReturnType<ClickStore['readerEvents']>>;
}

/** What an erasure removed. */
export interface ErasureResult {
  subscriberId: number;
  lists: number;
  deliveries: number;
  clickKeys: number;
}

export interface ReaderDataOptions {
  redis: RedisClient;
  keys: Keys;
  stores: Pick<Stores, 'subscribers' | 'lists' | 'suppression'>;
  clickStore: Pick<ClickStore, 'readerEvents' | 'eraseReader'>;
}

export interface ReaderDataStore {
  /** Everything held about the subscriber with this address. @throws NotFoundError */
  export(email: string): Promise<ReaderData>;
  /** Erases the subscriber with this address, keeping only a hashed suppression. @throws NotFoundError */
  erase(email: string): Promise<ErasureResult>;
}

export function createReaderData(opts: ReaderDataOptions): ReaderDataStore {
  const { redis, keys, stores } = opts;

  const find = async (email: string): Promise<Subscriber> => {
    const s = await stores.subscribers.findByEmail(email);
    if (!s) throw new NotFoundError('subscriber', email);
    return s;
  };

  const ledger = new DeliveryLedger({ redis, keys });
  /** The delivery record of this subscriber in every campaign that has one, in-flight or compact. */
  const deliveries = async (id: number) => ledger.deliveriesOf(id, await redis.zrange(keys.campaigns, '0', '-1'));

  return {
    async export(email) {
      const subscriber = await find(email);
      const [memberships, suppression, found, clicks] = await Promise.all([
        stores.lists.membershipsOf(subscriber.id),
        stores.suppression.get(subscriber.email),
        deliveries(subscriber.id),
        opts.clickStore.readerEvents(subscriber.id),
      ]);
      return {
        subscriber,
        lists: { member: memberships.member, left: memberships.left.map((l) => ({ list: l.list, at: l.at.toISOString() })) },
        suppression,
        deliveries: found.map(({ campaignId, raw }) => readerDelivery(campaignId, parseDelivery(subscriber.id, raw))),
        clicks,
      };
    },

    async erase(email) {
      const subscriber = await find(email);
      const id = subscriber.id;
      const listIds = await redis.hkeys(keys.lists);
      const memberships = await stores.lists.membershipsOf(id);
      const found = await deliveries(id);
      const tx = redis.multi();
      for (const list of listIds) {
        if (memberships.member.includes(list)) tx.setbit(keys.listMembers(list), String(id), 0);
        tx.zrem(keys.listLeft(list), String(id));
        tx.del(keys.confirmationSent(id, list));
      }
      // A final record keeps its state and time; claims in flight are left to finish (the send
      // then finds no subscriber and skips).
      // Only a record still in the hash: a campaign's compaction may have dropped the hash since.
      for (const { campaignId, raw, form } of found) {
        const anonymous = anonymousDelivery(raw);
        if (anonymous !== raw && form === 'in-flight') tx.eval(SET_IF_PRESENT, 1, keys.campaignDeliveries(campaignId), String(id), anonymous);
      }
      tx.hdel(keys.subscriberBucket(id), String(id));
      tx.hdel(keys.emailBucket(subscriber.email), subscriber.email);
      tx.hdel(keys.emailSmallBucket(subscriber.email), subscriber.email);
      await tx.exec();
      // After the hash: a compaction that committed this reader's window meanwhile is corrected too.
      for (const { campaignId, raw } of found) {
        const anonymous = anonymousDelivery(raw);
        if (anonymous !== raw) await ledger.replace(campaignId, id, anonymous);
      }
      await stores.suppression.keepOnlyHash(subscriber.email);
      const clickKeys = await opts.clickStore.eraseReader(id);
      return { subscriberId: id, lists: memberships.member.length + memberships.left.length, deliveries: found.length, clickKeys };
    },
  };
}

const SET_IF_PRESENT = "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end return 0";

/** A delivery record without its personal parts: sent and failed keep state and time only. */
export function anonymousDelivery(raw: string): string {
  const [code, at] = raw.split('|');
  if (code === 's') return `s|${at}||erased`;
  if (code === 'f') return `f|${at}|erased`;
  return raw;
}

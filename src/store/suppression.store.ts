/**
 * The suppression set: normalized addresses that must never be mailed again (hard bounce,
 * complaint, unsubscribe-all, manual). One hash, address → JSON entry. It blocks imports and
 * sends whether or not the address belongs to a subscriber.
 *
 * Subscriber status changes write their suppression entry in the same Lua script as the status
 * (see subscriber.store.ts); this store reads the set and handles addresses directly.
 */
import { NewsdeskError } from '../domain/errors.ts';
import { normalizeEmail } from '../domain/subscriber.schema.ts';
import { erasedSuppressionField, Suppression, type SuppressionReason } from '../domain/suppression.schema.ts';
import type { Keys, RedisClient } from './redis.ts';

export interface SuppressionStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export interface SuppressionStore {
  /** Suppresses an address (normalized here). Keeps an existing entry: the first reason stands. */
  add(email: string, reason: SuppressionReason, detail?: string): Promise<Suppression>;
  /** Lifts a suppression; only a confirmed opt-in should lead here. Returns whether one existed. */
  remove(email: string): Promise<boolean>;
  get(email: string): Promise<Suppression | null>;
  isSuppressed(email: string): Promise<boolean>;
  count(): Promise<number>;
  /**
   * For an erased reader: drops the address's entry and keeps only its hash, so the address stays
   * unmailable (sends, imports and sign-ups check the hash too) and is no longer stored.
   */
  keepOnlyHash(email: string): Promise<void>;
}

/**
 * The suppression of an address, whether kept in the clear or, after an erasure, as a hash only
 * (the entry then names the address it was asked about).
 */
export async function readSuppression(redis: RedisClient, keys: Keys, email: string): Promise<Suppression | null> {
  const normalized = normalizeEmail(email);
  const [plain, hashed] = await redis.hmget(keys.suppression, normalized, erasedSuppressionField(normalized));
  const text = plain ?? hashed;
  return text === null || text === undefined ? null : decodeSuppression(normalized, text);
}

/** The stored text of an entry (the address is the hash field, not repeated). */
export function encodeSuppression(entry: Suppression): string {
  const { email: _email, ...rest } = entry;
  return JSON.stringify(rest);
}

/** Parses a stored entry back; the address is the hash field. */
export function decodeSuppression(email: string, text: string): Suppression {
  const parsed = Suppression.safeParse({ ...(JSON.parse(text) as object), email });
  if (!parsed.success) throw new NewsdeskError('record_corrupt', `suppression of ${email}: stored entry is unreadable`);
  return parsed.data;
}

/** Creates the suppression store. */
export function createSuppressionStore(options: SuppressionStoreOptions): SuppressionStore {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;
  const get = (email: string): Promise<Suppression | null> => readSuppression(redis, keys, email);
  return {
    get,
    async add(email, reason, detail) {
      const entry = Suppression.parse({
        email: normalizeEmail(email),
        reason,
        ...(detail !== undefined ? { detail: detail.slice(0, 500) } : {}),
        at: new Date(now()).toISOString(),
      });
      if (await redis.hsetnx(keys.suppression, entry.email, encodeSuppression(entry))) return entry;
      return (await get(entry.email)) ?? entry;
    },
    async remove(email) {
      const normalized = normalizeEmail(email);
      return (await redis.hdel(keys.suppression, normalized, erasedSuppressionField(normalized))) >= 1;
    },
    async isSuppressed(email) {
      return (await get(email)) !== null;
    },
    async keepOnlyHash(email) {
      const normalized = normalizeEmail(email);
      const { email: _email, ...entry } = Suppression.parse({ email: normalized, reason: 'erased', at: new Date(now()).toISOString() });
      await redis.multi().hdel(keys.suppression, normalized).hset(keys.suppression, erasedSuppressionField(normalized), JSON.stringify(entry)).exec();
    },
    count: () => redis.hlen(keys.suppression),
  };
}

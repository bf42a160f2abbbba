/**
 * Signed webhook requests seen recently, so a captured request cannot be played again while its
 * timestamp is still fresh (Mailgun's advice: remember each token). A token is held only while
 * it is fresh; after that the timestamp check refuses the request anyway.
 */
import { createHash } from 'node:crypto';
import type { Keys, RedisClient } from './redis.ts';

export interface WebhookReplayStoreOptions {
  redis: RedisClient;
  keys: Keys;
}

export interface WebhookReplayStore {
  /** True the first time `token` of `provider` is seen within `ttlMs`; false for a replay. */
  claim(provider: string, token: string, ttlMs: number): Promise<boolean>;
  /** Forgets `token` (its request failed before it was processed, so the provider's retry must pass). */
  release(provider: string, token: string): Promise<void>;
}

export function createWebhookReplayStore(opts: WebhookReplayStoreOptions): WebhookReplayStore {
  // Hashed: the key's length stays fixed whatever the provider sends.
  const keyOf = (provider: string, token: string) =>
    `${opts.keys.tag}:webhook-seen:${provider}:${createHash('sha256').update(token).digest('hex')}`;
  return {
    async claim(provider, token, ttlMs) {
      return (await opts.redis.set(keyOf(provider, token), '1', 'PX', ttlMs, 'NX')) === 'OK';
    },
    async release(provider, token) {
      await opts.redis.del(keyOf(provider, token));
    },
  };
}

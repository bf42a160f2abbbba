/**
 * Dashboard sessions: a random id in an httpOnly cookie, a record in Redis under the id's
 * SHA-256 (so reading Redis does not hand out live sessions), expiring on its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Keys, RedisClient } from './redis.ts';

/** Who signed in: with the admin password, or with an API token (ended when the token is revoked). */
export const SessionSubject = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('password') }),
  z.strictObject({ kind: z.literal('token'), tokenId: z.string(), name: z.string() }),
]);
export type SessionSubject = z.infer<typeof SessionSubject>;

export const Session = z.strictObject({
  subject: SessionSubject,
  createdAt: z.iso.datetime(),
});
export type Session = z.infer<typeof Session>;

export interface SessionStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** How long a session lasts from sign-in. Default 12 hours: a working day, not a week. */
  ttlMs?: number;
  now?: () => number;
}

export interface SessionStore {
  /** Starts a session; the returned id goes into the cookie and nowhere else. */
  create(subject: SessionSubject): Promise<{ id: string; session: Session }>;
  /** The session for a cookie value, or null when unknown, expired or malformed. */
  get(id: string): Promise<Session | null>;
  /** Ends a session. Harmless when it is already gone. */
  delete(id: string): Promise<void>;
  readonly ttlMs: number;
}

const ID_FORM = /^[A-Za-z0-9_-]{43}$/;

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { redis, keys } = options;
  const ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const keyOf = (id: string) => keys.session(createHash('sha256').update(id).digest('hex'));
  return {
    ttlMs,
    async create(subject) {
      const id = randomBytes(32).toString('base64url');
      const session = Session.parse({ subject, createdAt: new Date(now()).toISOString() });
      await redis.set(keyOf(id), JSON.stringify(session), 'PX', ttlMs);
      return { id, session };
    },
    async get(id) {
      if (!ID_FORM.test(id)) return null;
      const text = await redis.get(keyOf(id));
      if (text === null) return null;
      const parsed = Session.safeParse(JSON.parse(text));
      return parsed.success ? parsed.data : null;
    },
    async delete(id) {
      if (ID_FORM.test(id)) await redis.del(keyOf(id));
    },
  };
}

/**
 * Dashboard sessions: a random id in an httpOnly cookie, a record in Redis under the id's
 * SHA-256 (so reading Redis does not hand out live sessions). A session ends at the first of: its
 * absolute lifetime (12 hours), an idle spell (2 hours without a request), sign-out, or a new
 * sign-in to the same account (one session per account, so a forgotten browser does not stay
 * signed in behind a fresh one).
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Keys, RedisClient } from './redis.ts';

/**
 * Who signed in: with the admin password (`stamp`: a keyed digest of the password it was opened
 * with, so changing NEWSDESK_ADMIN_PASSWORD ends it), or with an API token (ended when the token
 * is revoked or expires; its scope is read from the token on every request).
 */
export const SessionSubject = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('password'), stamp: z.string().optional() }),
  z.strictObject({ kind: z.literal('token'), tokenId: z.string(), name: z.string() }),
]);
export type SessionSubject = z.infer<typeof SessionSubject>;

export const Session = z.strictObject({
  subject: SessionSubject,
  createdAt: z.iso.datetime(),
  /** The last request seen, to the minute (written at most once a minute). Absent in sessions from before idle timeouts. */
  lastSeenAt: z.iso.datetime().optional(),
});
export type Session = z.infer<typeof Session>;

export interface SessionStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** How long a session lasts from sign-in. Default 12 hours: a working day, not a week. */
  ttlMs?: number;
  /** How long a session lasts without a request. Default 2 hours. */
  idleMs?: number;
  now?: () => number;
}

export interface SessionStore {
  /** Starts a session, ending the account's previous one; the returned id goes into the cookie and nowhere else. */
  create(subject: SessionSubject): Promise<{ id: string; session: Session }>;
  /** The session for a cookie value (and notes the visit), or null when unknown, expired, idle too long or malformed. */
  get(id: string): Promise<Session | null>;
  /** Ends a session. Harmless when it is already gone. */
  delete(id: string): Promise<void>;
  readonly ttlMs: number;
  readonly idleMs: number;
}

const ID_FORM = /^[A-Za-z0-9_-]{43}$/;
/** A visit is written back at most this often per session. */
const SEEN_RESOLUTION_MS = 60_000;

/** The account a subject signs in to: one session each. */
export function accountOf(subject: SessionSubject): string {
  return subject.kind === 'password' ? 'password' : `token:${subject.tokenId}`;
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { redis, keys } = options;
  const ttlMs = options.ttlMs ?? 12 * 60 * 60 * 1000;
  const idleMs = Math.min(options.idleMs ?? 2 * 60 * 60 * 1000, ttlMs);
  const now = options.now ?? Date.now;
  const hashOf = (id: string) => createHash('sha256').update(id).digest('hex');
  // Redis forgets the record at whichever end comes first; `get` checks both against the clock too.
  const expiryMs = (s: Session, at: number) => Math.max(1, Math.min(Date.parse(s.createdAt) + ttlMs - at, idleMs));

  return {
    ttlMs,
    idleMs,
    async create(subject) {
      const id = randomBytes(32).toString('base64url');
      const at = now();
      const session = Session.parse({ subject, createdAt: new Date(at).toISOString(), lastSeenAt: new Date(at).toISOString() });
      const hash = hashOf(id);
      const account = keys.accountSession(accountOf(subject));
      const previous = await redis.get(account);
      const tx = redis.multi().set(keys.session(hash), JSON.stringify(session), 'PX', expiryMs(session, at)).set(account, hash, 'PX', ttlMs);
      if (previous && previous !== hash) tx.del(keys.session(previous));
      await tx.exec();
      return { id, session };
    },
    async get(id) {
      if (!ID_FORM.test(id)) return null;
      const key = keys.session(hashOf(id));
      const text = await redis.get(key);
      if (text === null) return null;
      const parsed = Session.safeParse(JSON.parse(text));
      if (!parsed.success) return null;
      const session = parsed.data;
      const at = now();
      const lastSeen = Date.parse(session.lastSeenAt ?? session.createdAt);
      if (at - Date.parse(session.createdAt) >= ttlMs || at - lastSeen >= idleMs) {
        await redis.del(key);
        return null;
      }
      if (at - lastSeen >= SEEN_RESOLUTION_MS) {
        const seen: Session = { ...session, lastSeenAt: new Date(at).toISOString() };
        // XX: a sign-out or a newer sign-in that removed it meanwhile is not undone.
        await redis.set(key, JSON.stringify(seen), 'PX', expiryMs(seen, at), 'XX');
        return seen;
      }
      return session;
    },
    async delete(id) {
      if (ID_FORM.test(id)) await redis.del(keys.session(hashOf(id)));
    },
  };
}

/**
 * Subscribers: records, the email index, list joins and every status change.
 *
 * Layout (see redis.ts for the key names):
 * - record: compact JSON in a bucket hash, `{p}:sub:<id div 100>` field `<id>` (subscriber-record.ts);
 * - email index: `{p}:email:s<fnv(email) mod 2048>` field `<normalized email>` → id for ids up to
 *   131,072, `{p}:email:<fnv(email) mod 16384>` for later ones and for entries written before the
 *   small index existed (lookups read both; redis.ts, SMALL_INDEX_IDS);
 * - ids: `{p}:sub:seq`, INCR, so ids only grow and campaigns can page by `id > cursor`.
 *
 * Writes that must agree (a status, its suppression entry, list memberships) go through one Lua
 * script each; the rules they apply come from src/domain/subscriber-status.ts.
 */
import { NewsdeskError, NotFoundError } from '../domain/errors.ts';
import type { List } from '../domain/list.schema.ts';
import {
  SUBSCRIBER_STATUSES,
  checkTransition,
  hasEnded,
  leavesAllLists,
  mayJoinByImport,
  suppresses,
  type StatusChangeVia,
  type SubscriberStatus,
} from '../domain/subscriber-status.ts';
import { normalizeEmail, type Subscriber, type SubscriberInput } from '../domain/subscriber.schema.ts';
import { CONFIRM_TOKEN_MAX_AGE_MS } from '../domain/link-token.ts';
import type { Suppression, SuppressionReason } from '../domain/suppression.schema.ts';
import type { Keys, RedisClient } from './redis.ts';
import type { SendsInProgress } from './sends-in-progress.store.ts';
import { decodeRecord, encodeRecord, sortedAttributes } from './subscriber-record.ts';
import { CHANGE_RECORD, DROP_UNCONFIRMED, FIND_OR_CREATE, JOIN_ROWS } from './subscriber.scripts.ts';
import { decodeSuppression, encodeSuppression, readSuppression } from './suppression.store.ts';

export interface SubscriberStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
  /** Sends past their eligibility check, which an unsubscribe waits for. Default: none to wait for. */
  sendsInProgress?: SendsInProgress;
  /**
   * How long a sign-up may stay unconfirmed before it is deleted with its memberships
   * (UNCONFIRMED_EXPIRY_DAYS). Default: {@link CONFIRM_TOKEN_MAX_AGE_MS}, as long as its link works.
   */
  unconfirmedExpiryMs?: number;
}

/** What happened to one row put on a list by an import or an admin add. */
export type JoinOutcome =
  /** A new subscriber, now on the list. */
  | { kind: 'created'; id: number }
  /** An existing subscriber, newly on the list; `updated` when --update changed name or attributes. */
  | { kind: 'joined'; id: number; updated: boolean }
  | { kind: 'already-member'; id: number; updated: boolean }
  /** The same address appeared earlier in this run. */
  | { kind: 'duplicate'; id: number }
  /** The address is in the suppression set; `id` is null when it has no subscriber record. */
  | { kind: 'suppressed'; id: number | null; suppression: Suppression }
  /** The subscriber's status keeps them off lists until they opt in again themselves. */
  | { kind: 'ended'; id: number; status: SubscriberStatus }
  /** They left this list before; only their own opt-in puts them back. */
  | { kind: 'left'; id: number; leftAt: Date };

/**
 * Why an admin add (CLI or API) did not put the address on the list, or undefined when it did.
 * (An import words its skipped rows in csv-import.ts.)
 */
export function joinRefusal(o: JoinOutcome): string | undefined {
  const day = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString()).slice(0, 10);
  switch (o.kind) {
    case 'suppressed':
      return `the address is suppressed (${o.suppression.reason} on ${day(o.suppression.at)})`;
    case 'ended':
      return `the subscriber is ${o.status}; only their own confirmed opt-in brings them back`;
    case 'left':
      return `they left this list on ${day(o.leftAt)}; only their own opt-in puts them back`;
    default:
      return undefined;
  }
}

export interface JoinOptions {
  /** Who is adding: `import` (CSV) or `admin` (one address). Recorded as the creation reason. */
  via: 'import' | 'admin';
  /** Let the rows' name and attributes overwrite those of existing subscribers. Default: false. */
  update?: boolean;
  /** An import run id: repeats of an address within the run count as duplicates. Default: none. */
  runId?: string;
}

/** The result of a status change: expected refusals are values, not exceptions. */
export type StatusChange =
  | { kind: 'changed'; subscriber: Subscriber }
  | { kind: 'unchanged'; subscriber: Subscriber }
  | { kind: 'refused'; subscriber: Subscriber; reason: string };

export type UnsubscribeResult = (
  | StatusChange
  /** Left one list; `wasMember` false when they were not on it (the departure is recorded anyway). */
  | { kind: 'left-list'; listId: string; wasMember: boolean; subscriber: Subscriber }
) & {
  /**
   * Campaigns whose send to the address, begun before the unsubscribe, was still noted when the
   * wait for it gave up (a worker that stalled or died mid-send). Normally empty.
   */
  stillSending: string[];
};

export type SubscribeResult =
  /** Single opt-in: active and on the list now. */
  | { kind: 'subscribed'; subscriber: Subscriber; created: boolean }
  | { kind: 'already-subscribed'; subscriber: Subscriber }
  /** Send a confirmation link (token purpose `confirm`, scope this list); nothing else changed. */
  | { kind: 'confirmation-needed'; subscriber: Subscriber; created: boolean }
  /** Suppressed by hand: never mailed, not even a confirmation. */
  | { kind: 'blocked'; suppression: Suppression };

export type ConfirmResult =
  | { kind: 'confirmed'; subscriber: Subscriber }
  /** The subscriber changed or left the list after the link was sent: the link no longer speaks for them. */
  | { kind: 'stale'; subscriber: Subscriber }
  | { kind: 'blocked'; suppression: Suppression };

export interface SubscriberStore {
  /** The highest id handed out so far (0 when none): a campaign's snapshot at start. */
  maxSubscriberId(): Promise<number>;
  get(id: number): Promise<Subscriber | null>;
  /** Many subscribers in one round trip, in the order given; null for unknown ids. */
  getMany(ids: readonly number[]): Promise<(Subscriber | null)[]>;
  findByEmail(email: string): Promise<Subscriber | null>;
  /** Puts validated rows on a list, in one atomic script call per batch (see {@link JoinOutcome}). */
  joinList(listId: string, rows: readonly SubscriberInput[], options: JoinOptions): Promise<JoinOutcome[]>;
  /** Drops an import run's duplicate tracker (it also expires on its own after a day). */
  forgetImportRun(runId: string): Promise<void>;
  /**
   * Sets a subscriber's name (undefined removes it); status, lists and attributes stay.
   * @throws NotFoundError for an unknown id
   */
  setName(id: number, name: string | undefined): Promise<{ changed: boolean; subscriber: Subscriber }>;
  /** Changes a status if the rules allow; ended statuses also suppress the address and may leave lists. */
  setStatus(id: number, status: SubscriberStatus, change: { via: StatusChangeVia; reason: string }): Promise<StatusChange>;
  /** Hard bounce: status bounced and the address suppressed. */
  markBounced(id: number, reason: string): Promise<StatusChange>;
  /** Spam complaint: status complained, suppressed, off every list. */
  markComplained(id: number, reason: string): Promise<StatusChange>;
  /**
   * Without `listId`: unsubscribe from everything (status unsubscribed, suppressed, off every list).
   * With `listId`: leave that list only, remembered so re-imports of the list skip them.
   */
  unsubscribe(id: number, options?: { listId?: string; reason?: string }): Promise<UnsubscribeResult>;
  /** A sign-up from a form (see {@link SubscribeResult}). Never overwrites an existing subscriber's name. */
  subscribe(list: List, input: SubscriberInput): Promise<SubscribeResult>;
  /**
   * A followed confirmation link: active, on the list, suppression lifted.
   * @param requestedAt when the link was issued (the token's `issuedAt`).
   */
  confirm(id: number, list: List, requestedAt: Date): Promise<ConfirmResult>;
  /**
   * Whether to mail a confirmation for this subscriber and list now: true at most once per
   * {@link CONFIRMATION_RESEND_MS}, however often the form is posted, so a sign-up form cannot
   * be used to flood someone's inbox.
   */
  mayMailConfirmation(id: number, listId: string): Promise<boolean>;
  /**
   * Deletes up to `limit` sign-ups that stayed unconfirmed past their expiry, with their list
   * memberships, so a flood of sign-ups nobody confirms cannot fill Redis (which runs with
   * `noeviction`). Every sign-up runs this first, so the pending set never outgrows the expiry
   * window. Returns how many were deleted.
   */
  expireUnconfirmed(limit?: number): Promise<number>;
}

/** Expired sign-ups each sign-up clears first: more than one, so a backlog always shrinks. */
const EXPIRY_SWEEP = 20;

/** A second sign-up for the same address and list within this time mails no second confirmation. */
export const CONFIRMATION_RESEND_MS = 15 * 60_000;

/** Statuses that may not be put on a list by an import or an admin, as the join script wants them. */
const BLOCKED_FOR_IMPORT = `,${SUBSCRIBER_STATUSES.filter((s) => !mayJoinByImport(s)).join(',')},`;

/** An import run's duplicate tracker outlives a crashed run by at most this long. */
const SEEN_TTL_SECONDS = 24 * 60 * 60;

const SUPPRESSION_REASON: Partial<Record<SubscriberStatus, SuppressionReason>> = {
  unsubscribed: 'unsubscribe',
  bounced: 'bounce',
  complained: 'complaint',
};

/** Side effects written together with a record change (see CHANGE_RECORD). */
interface Effects {
  suppress?: Suppression;
  unsuppress?: boolean;
  leaveAll?: boolean;
  leave?: string;
  join?: string;
}

/** What a change function decides after reading the current record. */
type Plan<R> = { result: R; write?: { next: Subscriber; effects: Effects } };

/** Attempts before a compare-and-set gives up: only a storm of writes to one subscriber gets there. */
const CAS_ATTEMPTS = 8;

/** Creates the subscriber store. */
export function createSubscriberStore(options: SubscriberStoreOptions): SubscriberStore {
  const { redis, keys } = options;
  const clock = options.now ?? Date.now;
  const isoNow = () => new Date(clock()).toISOString();
  const unconfirmedExpiryMs = options.unconfirmedExpiryMs ?? CONFIRM_TOKEN_MAX_AGE_MS;

  const expireUnconfirmed = async (limit = EXPIRY_SWEEP): Promise<number> => {
    const cutoff = clock() - unconfirmedExpiryMs;
    const ids = (await redis.zrangebyscore(keys.signUpsPending, '-inf', cutoff, 'LIMIT', 0, limit)).map(Number);
    let dropped = 0;
    for (const id of ids) {
      const text = await readText(id);
      const status = text === null ? null : decodeRecord(id, text).status;
      if (text === null || status !== 'unconfirmed') {
        // Confirmed (or gone) since: only the pending entry is stale.
        await redis.zrem(keys.signUpsPending, String(id));
        continue;
      }
      const email = normalizeEmail(decodeRecord(id, text).emailDisplay);
      const reply = await DROP_UNCONFIRMED.run(redis, [keys.subscriberBucket(id), keys.emailBucket(email), keys.signUpsPending, keys.lists, keys.emailSmallBucket(email)], [
        String(id),
        text,
        email,
        String(cutoff),
        keys.listPrefix,
      ]);
      if (reply === 1) dropped++;
    }
    return dropped;
  };

  const readText = (id: number) => redis.hget(keys.subscriberBucket(id), String(id));

  const get = async (id: number): Promise<Subscriber | null> => {
    const text = await readText(id);
    return text === null ? null : decodeRecord(id, text);
  };

  const idOf = async (email: string): Promise<number | null> => {
    const normalized = normalizeEmail(email);
    // Ids up to SMALL_INDEX_IDS are in the small index, unless written before it existed.
    const [small, large] = await Promise.all([redis.hget(keys.emailSmallBucket(normalized), normalized), redis.hget(keys.emailBucket(normalized), normalized)]);
    const id = small ?? large;
    return id === null ? null : Number(id);
  };

  const effectsJson = (s: Subscriber, fx: Effects, at: number): string =>
    JSON.stringify({
      at: String(at),
      listPrefix: keys.listPrefix,
      ...(fx.suppress ? { suppress: [s.email, encodeSuppression(fx.suppress)] } : {}),
      ...(fx.unsuppress ? { unsuppress: s.email } : {}),
      ...(fx.leaveAll ? { leaveAll: true } : {}),
      ...(fx.leave ? { leave: fx.leave } : {}),
      ...(fx.join ? { join: fx.join } : {}),
    });

  /** Read, decide, compare-and-set; again if someone else wrote the record in between. */
  async function change<R>(id: number, plan: (current: Subscriber, now: number) => Plan<R>): Promise<R> {
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const text = await readText(id);
      if (text === null) throw new NotFoundError('subscriber', String(id));
      const now = clock();
      const decided = plan(decodeRecord(id, text), now);
      if (!decided.write) return decided.result;
      const { next, effects } = decided.write;
      const reply = await CHANGE_RECORD.run(redis, [keys.subscriberBucket(id), keys.suppression, keys.lists], [
        String(id),
        text,
        encodeRecord(next),
        effectsJson(next, effects, now),
      ]);
      if (reply === 1) return decided.result;
      if (reply === -1) throw new NotFoundError('subscriber', String(id));
      if (reply === -2) throw new NotFoundError('list', effects.join ?? effects.leave ?? '');
    }
    throw new NewsdeskError('conflict', `subscriber ${id} kept changing; try again`);
  }

  /** The plan for moving `s` to `to`, with the suppression and list effects the status carries. */
  function statusPlan(s: Subscriber, to: SubscriberStatus, via: StatusChangeVia, reason: string, now: number): Plan<StatusChange> {
    const verdict = checkTransition(s.status, to, via);
    if (verdict.kind === 'unchanged') return { result: { kind: 'unchanged', subscriber: s } };
    if (verdict.kind === 'refused') return { result: { kind: 'refused', subscriber: s, reason: verdict.reason } };
    const at = new Date(now).toISOString();
    const next: Subscriber = { ...s, status: to, statusChangedAt: at, statusReason: reason.slice(0, 500) };
    const effects: Effects = {};
    const suppressionReason = SUPPRESSION_REASON[to];
    if (suppresses(to) && suppressionReason) {
      effects.suppress = { email: s.email, reason: suppressionReason, detail: reason.slice(0, 500), at };
    }
    if (leavesAllLists(to)) effects.leaveAll = true;
    return { result: { kind: 'changed', subscriber: next }, write: { next, effects } };
  }

  const setStatus: SubscriberStore['setStatus'] = (id, status, { via, reason }) =>
    change(id, (s, now) => statusPlan(s, status, via, reason, now));

  /** Writes --update's name and attributes for rows whose current record came back from the join. */
  async function applyUpdates(updates: { id: number; text: string; row: SubscriberInput }[]): Promise<Set<number>> {
    const updated = new Set<number>();
    const planned = updates.flatMap(({ id, text, row }) => {
      const current = decodeRecord(id, text);
      const nextText = encodeRecord(mergeProfile(current, row));
      // Compared re-encoded, not with the stored text, so only a real change counts as an update.
      return nextText === encodeRecord(current) ? [] : [{ id, text, nextText, row }];
    });
    const replies = await CHANGE_RECORD.runMany(
      redis,
      planned.map((p) => ({
        keys: [keys.subscriberBucket(p.id), keys.suppression, keys.lists],
        args: [String(p.id), p.text, p.nextText, JSON.stringify({ at: String(clock()), listPrefix: keys.listPrefix })],
      })),
    );
    for (const [i, p] of planned.entries()) {
      const reply = replies[i];
      if (reply instanceof Error) throw reply;
      if (reply === 1) {
        updated.add(p.id);
        continue;
      }
      // Someone wrote this subscriber between the join and now: merge into what is there now.
      const changed = await change(p.id, (s) => {
        const next = mergeProfile(s, p.row);
        return encodeRecord(next) === encodeRecord(s) ? { result: false } : { result: true, write: { next, effects: {} } };
      });
      if (changed) updated.add(p.id);
    }
    return updated;
  }

  return {
    async maxSubscriberId() {
      return Number((await redis.get(keys.subscriberSeq)) ?? 0);
    },

    get,

    async getMany(ids) {
      if (!ids.length) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.hget(keys.subscriberBucket(id), String(id));
      const replies = (await pipeline.exec()) ?? [];
      return ids.map((id, i) => {
        const [err, text] = replies[i] ?? [];
        if (err) throw err;
        return typeof text === 'string' ? decodeRecord(id, text) : null;
      });
    },

    async findByEmail(email) {
      const id = await idOf(email);
      return id === null ? null : get(id);
    },

    setName(id, name) {
      return change<{ changed: boolean; subscriber: Subscriber }>(id, (s) => {
        if (s.name === name) return { result: { changed: false, subscriber: s } };
        const { name: _old, ...rest } = s;
        const next: Subscriber = name === undefined ? rest : { ...rest, name };
        return { result: { changed: true, subscriber: next }, write: { next, effects: {} } };
      });
    },

    async joinList(listId, rows, opts) {
      if (!rows.length) return [];
      const at = isoNow();
      const args: string[] = [
        keys.subscriberBucketPrefix,
        listId,
        BLOCKED_FOR_IMPORT,
        opts.update ? '1' : '0',
        opts.runId ? '1' : '0',
        String(SEEN_TTL_SECONDS),
      ];
      for (const row of rows) {
        const email = normalizeEmail(row.email);
        const created: Omit<Subscriber, 'id' | 'email'> = {
          emailDisplay: row.email.trim(),
          attributes: row.attributes,
          status: 'active',
          createdAt: at,
          statusChangedAt: at,
          statusReason: opts.via === 'import' ? 'import' : 'added by admin',
        };
        if (row.name !== undefined) created.name = row.name;
        args.push(email, keys.emailBucket(email), keys.emailSmallBucket(email), encodeRecord(created));
      }
      let reply: unknown;
      try {
        reply = await JOIN_ROWS.run(
          redis,
          [
            keys.subscriberSeq,
            keys.listMembers(listId),
            keys.listLeft(listId),
            keys.suppression,
            keys.importSeen(opts.runId ?? 'none'),
            keys.lists,
          ],
          args,
        );
      } catch (err) {
        if (err instanceof Error && err.message.includes('NEWSDESK_NO_LIST')) throw new NotFoundError('list', listId);
        throw err;
      }
      const flat = reply as (string | number)[];
      const outcomes: JoinOutcome[] = [];
      const updates: { id: number; text: string; row: SubscriberInput }[] = [];
      rows.forEach((row, i) => {
        const kind = String(flat[3 * i]);
        const id = Number(flat[3 * i + 1]);
        const detail = String(flat[3 * i + 2] ?? '');
        switch (kind) {
          case 'created':
            outcomes.push({ kind: 'created', id });
            break;
          case 'joined':
          case 'already-member':
            outcomes.push({ kind, id, updated: false });
            if (opts.update && detail) updates.push({ id, text: detail, row });
            break;
          case 'duplicate':
            outcomes.push({ kind: 'duplicate', id });
            break;
          case 'suppressed':
            outcomes.push({ kind: 'suppressed', id: id || null, suppression: decodeSuppression(normalizeEmail(row.email), detail) });
            break;
          case 'ended':
            outcomes.push({ kind: 'ended', id, status: detail as SubscriberStatus });
            break;
          case 'left':
            outcomes.push({ kind: 'left', id, leftAt: new Date(Number(detail)) });
            break;
          default:
            throw new NewsdeskError('store_error', `join script answered ${kind} for row ${i}`);
        }
      });
      if (updates.length) {
        const updated = await applyUpdates(updates);
        for (const o of outcomes) if ((o.kind === 'joined' || o.kind === 'already-member') && updated.has(o.id)) o.updated = true;
      }
      return outcomes;
    },

    async forgetImportRun(runId) {
      await redis.unlink(keys.importSeen(runId));
    },

    setStatus,

    markBounced: (id, reason) => setStatus(id, 'bounced', { via: 'bounce', reason }),

    markComplained: (id, reason) => setStatus(id, 'complained', { via: 'complaint', reason }),

    async unsubscribe(id, opts = {}) {
      const reason = opts.reason ?? 'unsubscribed';
      const listId = opts.listId;
      const result =
        listId === undefined
          ? await setStatus(id, 'unsubscribed', { via: 'unsubscribe', reason })
          : await (async () => {
              const wasMember = (await redis.getbit(keys.listMembers(listId), id)) === 1;
              // The record is written back unchanged: the compare-and-set proves the subscriber exists.
              return change(id, (s) => ({
                result: { kind: 'left-list' as const, listId, wasMember, subscriber: s },
                write: { next: s, effects: { leave: listId } },
              }));
            })();
      // Every later eligibility check skips the address now; a send that passed its check just
      // before is waited for, so nothing to the address starts after this returns
      // (see sends-in-progress.store.ts).
      const stillSending = (await options.sendsInProgress?.settle(id)) ?? [];
      return { ...result, stillSending };
    },

    async subscribe(list, input) {
      await expireUnconfirmed();
      const email = normalizeEmail(input.email);
      const suppression = await readSuppression(redis, keys, email);
      if (suppression?.reason === 'manual') return { kind: 'blocked', suppression };
      const at = isoNow();
      // Without a confirmation nobody is known to own the address: a suppressed one waits for it too.
      const startActive = !list.doubleOptIn && !suppression;
      const fresh: Omit<Subscriber, 'id' | 'email'> = {
        emailDisplay: input.email.trim(),
        attributes: input.attributes,
        status: startActive ? 'active' : 'unconfirmed',
        createdAt: at,
        statusChangedAt: at,
        statusReason: 'signed up',
      };
      if (input.name !== undefined) fresh.name = input.name;
      const [rawId, createdFlag] = (await FIND_OR_CREATE.run(redis, [keys.subscriberSeq, keys.emailBucket(email), keys.emailSmallBucket(email)], [
        keys.subscriberBucketPrefix,
        email,
        encodeRecord(fresh),
      ])) as [number, number];
      const id = Number(rawId);
      const created = createdFlag === 1;
      const member = (await redis.getbit(keys.listMembers(list.id), id)) === 1;
      const result = await change<SubscribeResult>(id, (s, now) => {
        const needsConfirmation: Plan<SubscribeResult> = { result: { kind: 'confirmation-needed', subscriber: s, created } };
        if (suppression || hasEnded(s.status)) return needsConfirmation;
        if (s.status === 'active' && member) return { result: { kind: 'already-subscribed', subscriber: s } };
        if (list.doubleOptIn) return needsConfirmation;
        // Single opt-in: the form is the consent, for a new address and for a pending one alike.
        let next = s;
        if (s.status === 'unconfirmed') {
          const plan = statusPlan(s, 'active', 'opt-in', 'signed up', now);
          if (!plan.write) return needsConfirmation;
          next = plan.write.next;
        }
        return { result: { kind: 'subscribed', subscriber: next, created }, write: { next, effects: { join: list.id } } };
      });
      // Pending until confirmed; a new sign-up for the address restarts its time.
      if (result.kind === 'confirmation-needed' && result.subscriber.status === 'unconfirmed') {
        await redis.zadd(keys.signUpsPending, clock(), String(id));
      }
      return result;
    },

    expireUnconfirmed,

    async mayMailConfirmation(id, listId) {
      return (await redis.set(keys.confirmationSent(id, listId), '1', 'PX', CONFIRMATION_RESEND_MS, 'NX')) === 'OK';
    },

    async confirm(id, list, requestedAt) {
      const requested = requestedAt.getTime();
      const current = await get(id);
      if (!current) throw new NotFoundError('subscriber', String(id));
      const [leftScore, member, suppression] = await Promise.all([
        redis.zscore(keys.listLeft(list.id), String(id)),
        redis.getbit(keys.listMembers(list.id), id),
        readSuppression(redis, keys, current.email),
      ]);
      // A hand-made suppression is the publisher's decision, which no link overrides.
      if (suppression?.reason === 'manual') return { kind: 'blocked', suppression };
      return change<ConfirmResult>(id, (s, now) => {
        // Following the same link twice is fine; the first click did the work.
        if (s.status === 'active' && member === 1 && !suppression) return { result: { kind: 'confirmed', subscriber: s } };
        const changedLater = Date.parse(s.statusChangedAt) > requested;
        const leftLater = leftScore !== null && Number(leftScore) > requested;
        if (changedLater || leftLater) return { result: { kind: 'stale', subscriber: s } };
        const verdict = checkTransition(s.status, 'active', 'confirmed-opt-in');
        if (verdict.kind === 'refused') return { result: { kind: 'stale', subscriber: s } };
        const at = new Date(now).toISOString();
        const next: Subscriber =
          verdict.kind === 'allowed'
            ? { ...s, status: 'active', confirmedAt: at, statusChangedAt: at, statusReason: 'confirmed opt-in' }
            : { ...s, confirmedAt: at };
        return { result: { kind: 'confirmed', subscriber: next }, write: { next, effects: { join: list.id, unsuppress: suppression !== null } } };
      });
    },
  };
}

/** --update: the row's name and attributes win; cells left empty keep what was there. */
function mergeProfile(current: Subscriber, row: SubscriberInput): Subscriber {
  const next: Subscriber = { ...current, attributes: sortedAttributes({ ...current.attributes, ...row.attributes }) };
  if (row.name !== undefined) next.name = row.name;
  return next;
}

/**
 * Stored editions and their revisions in Redis (README.md, "Stored editions").
 *
 * Layout (all under the installation's hash tag, so every script is Redis-Cluster safe):
 * - `edition:<id>`            hash: `id`, `newsletter`, `date`, `state` (draft|approved|sent),
 *                             `revision` (the latest), `hash` (sha256 of the latest text),
 *                             `savedAt`, `savedBy` (of the latest revision), `approvedAt`,
 *                             `approvedBy`, `approvedRevision`, `sentAt`, `sentRevision`,
 *                             `campaignIds` (JSON array, oldest first)
 * - `edition:<id>:revisions`  list: one JSON record per revision, oldest first (revision N at
 *                             index N-1): `{ revision, source, savedAt, savedBy, hash }`; never
 *                             rewritten, so a campaign's revision can always be read back
 * - `edition:<id>:sending`    string with a TTL: a campaign of it is being made, or it is being
 *                             deleted, so two callers (the CLI and the scheduler, say) cannot
 *                             both send it, and a delete cannot race a campaign
 * - `editions`                sorted set: every edition id, scored by its date (days since 1970)
 * - `editions:<newsletter>`   sorted set: the newsletter's edition ids, scored by date
 *
 * Every state change is one Lua script over the edition's hash, so a save and an approval that
 * race cannot leave an approval on text nobody approved. Editions are kept until deleted, and only
 * an edition that never went out may be deleted: a sent one is what its campaigns, the archive and
 * the reports refer to.
 */
import { z } from 'zod';
import { NotFoundError } from '../domain/errors.ts';
import { EditionState, type StoredEdition } from '../domain/stored-edition.ts';
import { type Keys, LuaScript, type RedisClient } from './redis.ts';
import { takeLock, type TokenLock } from './token-lock.ts';

const Revision = z.object({ revision: z.number().int().min(1), source: z.string(), savedAt: z.string(), savedBy: z.string(), hash: z.string() });
type Revision = z.infer<typeof Revision>;

/** What a save did. */
export type SaveOutcome =
  /** A new revision was added; `previousState` is the edition's state before (undefined: new edition). */
  | { kind: 'saved'; revision: number; previousState: EditionState | undefined }
  /** The text is the latest revision's: nothing was written. */
  | { kind: 'unchanged'; revision: number }
  /** The edition was sent and `force` was not given: nothing was written. */
  | { kind: 'sent'; revision: number }
  /** `mustExist` was given and there is no such edition (it was deleted): nothing was written. */
  | { kind: 'missing' };

/** What an approval did. */
export type ApproveOutcome =
  | { kind: 'approved' }
  | { kind: 'missing' }
  /** Not a draft (already approved, or sent). */
  | { kind: 'state'; state: EditionState }
  /** Another save came in after the text was checked: the checked revision is not the latest. */
  | { kind: 'stale'; latest: number }
  /** The newsletter wants two people and the approver saved the latest revision. */
  | { kind: 'same-person'; savedBy: string };

// KEYS: edition hash, revisions list, all editions, newsletter's editions.
// ARGV: id, newsletter, date, hash, source, savedAt, savedBy, force ('1'), score (days),
// must exist ('1': a revision of an edition being edited, which is not created again once deleted).
const SAVE = new LuaScript(
  'edition-save',
  `
local f = redis.call('HMGET', KEYS[1], 'state', 'hash', 'revision')
if not f[1] and ARGV[10] == '1' then return {'missing', 0} end
if f[1] and f[2] == ARGV[4] then return {'unchanged', tonumber(f[3])} end
if f[1] == 'sent' and ARGV[8] ~= '1' then return {'sent', tonumber(f[3])} end
local n = redis.call('LLEN', KEYS[2]) + 1
redis.call('RPUSH', KEYS[2], cjson.encode({revision = n, source = ARGV[5], savedAt = ARGV[6], savedBy = ARGV[7], hash = ARGV[4]}))
-- A change to an approved edition needs approving again; a sent one stays sent (it went out).
local state = 'draft'
if f[1] == 'sent' then state = 'sent' end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'newsletter', ARGV[2], 'date', ARGV[3], 'state', state,
  'revision', n, 'hash', ARGV[4], 'savedAt', ARGV[6], 'savedBy', ARGV[7])
if not f[1] then
  redis.call('HSET', KEYS[1], 'campaignIds', '[]')
  redis.call('ZADD', KEYS[3], ARGV[9], ARGV[1])
  redis.call('ZADD', KEYS[4], ARGV[9], ARGV[1])
end
return {'saved', n, f[1] or ''}
`,
);

// KEYS: edition hash. ARGV: revision checked, approver, at, two-person ('1').
const APPROVE = new LuaScript(
  'edition-approve',
  `
local f = redis.call('HMGET', KEYS[1], 'state', 'revision', 'savedBy')
if not f[1] then return {'missing'} end
if f[1] ~= 'draft' then return {'state', f[1]} end
if tonumber(f[2]) ~= tonumber(ARGV[1]) then return {'stale', f[2]} end
if ARGV[4] == '1' and f[3] == ARGV[2] then return {'same-person', f[3]} end
redis.call('HSET', KEYS[1], 'state', 'approved', 'approvedAt', ARGV[3], 'approvedBy', ARGV[2], 'approvedRevision', ARGV[1])
return {'approved'}
`,
);

// KEYS: edition hash. ARGV: campaign id, at, revision the campaign froze.
const MARK_SENT = new LuaScript(
  'edition-mark-sent',
  `
local ids = redis.call('HGET', KEYS[1], 'campaignIds')
if not ids then return 0 end
local list = cjson.decode(ids)
local seen = false
for _, c in ipairs(list) do if c == ARGV[1] then seen = true end end
if not seen then table.insert(list, ARGV[1]) end
local encoded = '[]'
if #list > 0 then encoded = cjson.encode(list) end
redis.call('HSET', KEYS[1], 'state', 'sent', 'sentAt', ARGV[2], 'sentRevision', ARGV[3], 'campaignIds', encoded)
return 1
`,
);

/** A sent edition as the archive's index needs it (no text). */
export interface SentEdition {
  id: string;
  date: string;
  /** The campaigns that sent it, oldest first. */
  campaignIds: string[];
  /** The latest revision, and the one its first campaign sent. */
  revision: number;
  sentRevision?: number;
}

/** What a delete did. */
export type DeleteOutcome =
  /** Gone: its hash, every revision and its places in the listings; `state` and `revisions` as they were. */
  | { kind: 'deleted'; state: EditionState; revisions: number }
  | { kind: 'missing' }
  /** It was sent: nothing was written. */
  | { kind: 'sent' }
  /** The deleter's lock ran out and someone else holds it (a campaign is being made): nothing was written. */
  | { kind: 'sending' };

// KEYS: edition hash, revisions list, all editions, newsletter's editions, sending lock.
// ARGV: id, the token of the sending lock the deleter holds.
const DELETE = new LuaScript(
  'edition-delete',
  `
local f = redis.call('HMGET', KEYS[1], 'state', 'revision')
if not f[1] then return {'missing'} end
if f[1] == 'sent' then return {'sent'} end
if redis.call('GET', KEYS[5]) ~= ARGV[2] then return {'sending'} end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[5])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
return {'deleted', f[1], tonumber(f[2])}
`,
);

/** Days since 1970-01-01 of a `YYYY-MM-DD` date: the sorted sets' score. */
function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / 86_400_000);
}

export interface EditionStoreOptions {
  redis: RedisClient;
  keys: Keys;
}

/** Stored editions over one Redis connection and key prefix. */
export class EditionStore {
  private readonly redis: RedisClient;
  private readonly keys: Keys;

  constructor(opts: EditionStoreOptions) {
    this.redis = opts.redis;
    this.keys = opts.keys;
  }

  /**
   * Adds a revision unless the text is the latest one's; refuses a sent edition unless `force`,
   * and with `mustExist` an edition that is not there (deleted while someone was editing it).
   */
  async save(input: {
    id: string;
    newsletter: string;
    date: string;
    source: string;
    hash: string;
    savedAt: string;
    savedBy: string;
    force?: boolean | undefined;
    mustExist?: boolean | undefined;
  }): Promise<SaveOutcome> {
    const { keys } = this;
    const reply = (await SAVE.run(
      this.redis,
      [keys.edition(input.id), keys.editionRevisions(input.id), keys.editions, keys.newsletterEditions(input.newsletter)],
      [input.id, input.newsletter, input.date, input.hash, input.source, input.savedAt, input.savedBy, input.force ? '1' : '0', dayNumber(input.date), input.mustExist ? '1' : '0'],
    )) as [string, number, string?];
    const [kind, revision, previous] = reply;
    if (kind === 'missing') return { kind };
    if (kind === 'unchanged') return { kind, revision };
    if (kind === 'sent') return { kind, revision };
    return { kind: 'saved', revision, previousState: previous ? EditionState.parse(previous) : undefined };
  }

  /** The edition at `revision` (default: the latest), or null when there is no such edition or revision. */
  async get(id: string, revision?: number): Promise<StoredEdition | null> {
    const fields = await this.redis.hgetall(this.keys.edition(id));
    if (!fields.state) return null;
    const latest = Number(fields.revision);
    const n = revision ?? latest;
    if (!Number.isInteger(n) || n < 1 || n > latest) return null;
    const raw = await this.redis.lindex(this.keys.editionRevisions(id), n - 1);
    if (raw === null) return null;
    return toStoredEdition(fields, Revision.parse(JSON.parse(raw)));
  }

  /** Like {@link get}, for an edition that must exist. @throws NotFoundError */
  async require(id: string): Promise<StoredEdition> {
    const e = await this.get(id);
    if (!e) throw new NotFoundError('edition', id);
    return e;
  }

  /** Every revision's record (without its text), oldest first. */
  async revisions(id: string): Promise<Array<Omit<Revision, 'source' | 'hash'>>> {
    const raws = await this.redis.lrange(this.keys.editionRevisions(id), 0, -1);
    return raws.map((r) => {
      const { source: _s, hash: _h, ...rest } = Revision.parse(JSON.parse(r));
      return rest;
    });
  }

  /**
   * The latest revision of each edition, newest date first; of one newsletter when given; the
   * `limit` (default 50) after the first `offset`.
   */
  async list(opts: { newsletter?: string | undefined; offset?: number | undefined; limit?: number | undefined } = {}): Promise<StoredEdition[]> {
    const offset = opts.offset ?? 0;
    const limit = opts.limit ?? 50;
    // ZREVRANGE 0 -1 would be every edition.
    if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 1) throw new RangeError(`offset ${offset}, limit ${limit}: a whole offset ≥ 0 and limit ≥ 1`);
    const ids = await this.redis.zrevrange(this.listKey(opts.newsletter), offset, offset + limit - 1);
    const found = await Promise.all(ids.map((id) => this.get(id)));
    return found.filter((e): e is StoredEdition => e !== null);
  }

  /** How many editions there are; of one newsletter when given. */
  async count(newsletter?: string): Promise<number> {
    return this.redis.zcard(this.listKey(newsletter));
  }

  private listKey(newsletter: string | undefined): string {
    return newsletter === undefined ? this.keys.editions : this.keys.newsletterEditions(newsletter);
  }

  /**
   * Every sent edition of a newsletter, newest date first: id, date, the campaigns that sent it
   * and the revision sent, without any text. One pipelined read of a few fields per edition,
   * however many years of editions there are (the public archive's index reads this).
   */
  async sentOf(newsletter: string): Promise<SentEdition[]> {
    const ids = await this.redis.zrevrange(this.keys.newsletterEditions(newsletter), 0, -1);
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.edition(id), 'state', 'date', 'campaignIds', 'revision', 'sentRevision');
    const out: SentEdition[] = [];
    for (const [i, [err, reply]] of ((await pipeline.exec()) ?? []).entries()) {
      if (err) throw err;
      const [state, date, campaignIds, revision, sentRevision] = reply as (string | null)[];
      if (state !== 'sent' || !date) continue;
      out.push({
        id: ids[i] as string,
        date,
        campaignIds: JSON.parse(campaignIds ?? '[]') as string[],
        revision: Number(revision),
        ...(sentRevision ? { sentRevision: Number(sentRevision) } : {}),
      });
    }
    return out;
  }

  /** Every edition id (for "did you mean …?"). */
  async ids(): Promise<string[]> {
    return this.redis.zrange(this.keys.editions, '0', '-1');
  }

  /** Approves `revision` if it is still the latest and the edition a draft (and, with `twoPerson`, `by` did not save it). */
  async approve(id: string, input: { revision: number; by: string; at: string; twoPerson: boolean }): Promise<ApproveOutcome> {
    const reply = (await APPROVE.run(this.redis, [this.keys.edition(id)], [input.revision, input.by, input.at, input.twoPerson ? '1' : '0'])) as string[];
    switch (reply[0]) {
      case 'approved':
      case 'missing':
        return { kind: reply[0] };
      case 'state':
        return { kind: 'state', state: EditionState.parse(reply[1]) };
      case 'stale':
        return { kind: 'stale', latest: Number(reply[1]) };
      default:
        return { kind: 'same-person', savedBy: String(reply[1]) };
    }
  }

  /** Marks it sent by `campaignId`, which froze `revision`. @returns false when there is no such edition. */
  async markSent(id: string, input: { campaignId: string; revision: number; at: string }): Promise<boolean> {
    return (await MARK_SENT.run(this.redis, [this.keys.edition(id)], [input.campaignId, input.at, input.revision])) === 1;
  }

  /**
   * Deletes an edition that was never sent, with every revision, in one script, for a caller that
   * holds the edition's sending lock ({@link lockSending}; `lockToken` is its token), so no
   * campaign of it is being made meanwhile. A save that comes after it starts a new edition
   * (unless it says `mustExist`).
   */
  async delete(id: string, newsletter: string, lockToken: string): Promise<DeleteOutcome> {
    const { keys } = this;
    const reply = (await DELETE.run(
      this.redis,
      [keys.edition(id), keys.editionRevisions(id), keys.editions, keys.newsletterEditions(newsletter), keys.editionSending(id)],
      [id, lockToken],
    )) as [string, string?, number?];
    if (reply[0] === 'deleted') return { kind: 'deleted', state: EditionState.parse(reply[1]), revisions: Number(reply[2]) };
    if (reply[0] === 'missing' || reply[0] === 'sent' || reply[0] === 'sending') return { kind: reply[0] };
    throw new Error(`edition-delete answered ${String(reply[0])}`);
  }

  /**
   * Takes the right to make a campaign of this edition, or to delete it, for `ttlMs` (one caller
   * at a time). @returns the lock, or null when another caller holds it.
   */
  async lockSending(id: string, ttlMs: number): Promise<TokenLock | null> {
    return takeLock(this.redis, this.keys.editionSending(id), ttlMs);
  }
}

function toStoredEdition(f: Record<string, string>, r: Revision): StoredEdition {
  const latest = Number(f.revision);
  const sentRevision = f.sentRevision ? Number(f.sentRevision) : undefined;
  const approvedRevision = f.approvedRevision ? Number(f.approvedRevision) : undefined;
  const state: EditionState = r.revision === latest ? EditionState.parse(f.state) : r.revision === sentRevision ? 'sent' : 'draft';
  const approvedHere = approvedRevision === r.revision && (state === 'approved' || state === 'sent');
  return {
    id: String(f.id),
    newsletter: String(f.newsletter),
    date: String(f.date),
    state,
    revision: r.revision,
    latestRevision: latest,
    source: r.source,
    savedAt: r.savedAt,
    savedBy: r.savedBy,
    ...(approvedHere && f.approvedAt ? { approvedAt: f.approvedAt, approvedBy: f.approvedBy } : {}),
    ...(f.sentAt ? { sentAt: f.sentAt } : {}),
    ...(sentRevision !== undefined ? { sentRevision } : {}),
    campaignIds: JSON.parse(f.campaignIds ?? '[]') as string[],
  };
}

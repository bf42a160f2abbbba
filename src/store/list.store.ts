/**
 * Lists and their memberships.
 *
 * Members are a bitmap per list: bit `<subscriber id>` is set for each member. Subscriber ids are
 * dense increasing integers, so a list of a million costs about 125 KB instead of ~100 MB as a
 * sorted set, paging by `id > cursor` is BITPOS, and counting is BITCOUNT. Departures (people who
 * left the list) are a sorted set of ids scored by when they left; they are few.
 */
import { NewsdeskError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { List, ListChanges, ListInput, publicListProblem } from '../domain/list.schema.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import { LuaScript, type Keys, type RedisClient } from './redis.ts';

export interface ListStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export interface ListWithCount extends List {
  /** Subscribers on the list, whatever their status. */
  members: number;
}

/** A range of a list's members for keyset paging: ids with `after < id <= upTo`. */
export interface MemberPage {
  /** Exclusive lower bound: the last id of the previous page, 0 to start. */
  after: number;
  /** Inclusive upper bound: the highest subscriber id when the campaign started. */
  upTo: number;
  /** At most this many ids. */
  limit: number;
}

/**
 * Ids of set bits in `(after, upTo]`, ascending, at most `limit`.
 * KEYS: 1 members bitmap. ARGV: after, upTo, limit.
 */
const PAGE_MEMBERS = new LuaScript(
  'page-members',
  `
local out = {}
local pos, last, limit = tonumber(ARGV[1]) + 1, tonumber(ARGV[2]), tonumber(ARGV[3])
while #out < limit and pos <= last do
  local found = redis.call('BITPOS', KEYS[1], 1, pos, last, 'BIT')
  if found < 0 then break end
  out[#out + 1] = found
  pos = found + 1
end
return out
`,
);

/**
 * Sets a hash field only if it still holds the value last read (compare-and-set).
 * KEYS: 1 hash. ARGV: field, expected value, new value. Returns 1 when set, 0 when it changed.
 */
const SWAP_FIELD = new LuaScript(
  'swap-field',
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`,
);

export class ListExistsError extends NewsdeskError {
  constructor(id: string) {
    super('list_exists', `list already exists: ${id}`);
  }
}

export interface ListStore {
  /** @throws ValidationError on a bad id or name, ListExistsError when the id is taken. */
  create(input: ListInput): Promise<List>;
  get(id: string): Promise<List | null>;
  /** @throws NotFoundError */
  require(id: string): Promise<List>;
  /** Renames it, or opens or closes it to public sign-ups. @throws NotFoundError, ValidationError */
  update(id: string, changes: ListChanges): Promise<List>;
  /** Removes the list and its memberships; subscribers stay. @throws NotFoundError */
  delete(id: string): Promise<void>;
  /** Every list with its member count, by id. */
  all(): Promise<ListWithCount[]>;
  /** Members on the list; with `upTo`, only those with `id <= upTo`. */
  countMembers(listId: string, upTo?: number): Promise<number>;
  /** Member ids with `after < id <= upTo`, ascending: keyset paging for the campaign fan-out. */
  pageMembers(listId: string, page: MemberPage): Promise<number[]>;
  isMember(listId: string, subscriberId: number): Promise<boolean>;
  /** Membership of many subscribers in one round trip, in the order given. */
  areMembers(listId: string, subscriberIds: readonly number[]): Promise<boolean[]>;
  /** When the subscriber left the list, or null if they never did (or rejoined by opt-in). */
  leftAt(listId: string, subscriberId: number): Promise<Date | null>;
  /** The lists a subscriber is on and the ones they left. */
  membershipsOf(subscriberId: number): Promise<{ member: string[]; left: { list: string; at: Date }[] }>;
}

function parseList(id: string, text: string): List {
  const parsed = List.safeParse(JSON.parse(text));
  if (!parsed.success) throw new NewsdeskError('record_corrupt', `list ${id}: stored record is unreadable`);
  return parsed.data;
}

/** Creates the list store over one Redis connection and key set. */
export function createListStore(options: ListStoreOptions): ListStore {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;

  const get = async (id: string): Promise<List | null> => {
    const text = await redis.hget(keys.lists, id);
    return text === null ? null : parseList(id, text);
  };
  const require = async (id: string): Promise<List> => {
    const list = await get(id);
    if (!list) throw new NotFoundError('list', id);
    return list;
  };

  return {
    get,
    require,

    async create(input) {
      const parsed = ListInput.safeParse(input);
      if (!parsed.success) throw new ValidationError('list_invalid', 'list', zodProblems(parsed.error));
      const { id, name, newsletter, doubleOptIn, allowSingleOptIn } = parsed.data;
      const refused = publicListProblem(parsed.data);
      if (refused) throw new ValidationError('list_invalid', 'list', [{ path: 'doubleOptIn', message: refused }]);
      const list: List = { id, name: name ?? id, doubleOptIn, public: parsed.data.public, allowSingleOptIn, createdAt: new Date(now()).toISOString() };
      if (newsletter !== undefined) list.newsletter = newsletter;
      const created = await redis.hsetnx(keys.lists, id, JSON.stringify(List.parse(list)));
      if (created !== 1) throw new ListExistsError(id);
      return list;
    },

    async update(id, changes) {
      const parsed = ListChanges.safeParse(changes);
      if (!parsed.success) throw new ValidationError('list_invalid', 'list', zodProblems(parsed.error));
      const { name, public: isPublic, allowSingleOptIn, newsletter } = parsed.data;
      for (let attempt = 0; attempt < 5; attempt++) {
        const before = await redis.hget(keys.lists, id);
        if (before === null) throw new NotFoundError('list', id);
        const updated: List = { ...parseList(id, before) };
        if (name !== undefined) updated.name = name;
        if (isPublic !== undefined) updated.public = isPublic;
        if (allowSingleOptIn !== undefined) updated.allowSingleOptIn = allowSingleOptIn;
        if (newsletter === null) delete updated.newsletter;
        else if (newsletter !== undefined) updated.newsletter = newsletter;
        // Only a change that opens the list (or withdraws the allowance) is refused: a list made
        // public before this rule can still be renamed, and its sign-ups confirm anyway.
        const refused = isPublic === true || allowSingleOptIn === false ? publicListProblem(updated) : undefined;
        if (refused) throw new ValidationError('list_invalid', 'list', [{ path: 'public', message: `${id} is single opt-in: ${refused}` }]);
        const swapped = await SWAP_FIELD.run(redis, [keys.lists], [id, before, JSON.stringify(updated)]);
        if (swapped === 1) return updated;
      }
      throw new NewsdeskError('conflict', `list ${id} kept changing while updating it; try again`);
    },

    async delete(id) {
      const [[, removed] = []] = (await redis
        .multi()
        .hdel(keys.lists, id)
        .unlink(keys.listMembers(id), keys.listLeft(id))
        .exec()) ?? [];
      if (removed !== 1) throw new NotFoundError('list', id);
    },

    async all() {
      const entries = Object.entries(await redis.hgetall(keys.lists)).sort(([a], [b]) => a.localeCompare(b));
      const lists = entries.map(([id, text]) => parseList(id, text));
      const pipeline = redis.pipeline();
      for (const l of lists) pipeline.bitcount(keys.listMembers(l.id));
      const counts = (await pipeline.exec()) ?? [];
      return lists.map((l, i) => {
        const [err, n] = counts[i] ?? [];
        if (err) throw err;
        return { ...l, members: Number(n) };
      });
    },

    async countMembers(listId, upTo) {
      if (upTo === undefined) return redis.bitcount(keys.listMembers(listId));
      if (upTo < 0) return 0;
      return redis.bitcount(keys.listMembers(listId), 0, upTo, 'BIT');
    },

    async pageMembers(listId, page) {
      if (page.limit <= 0 || page.after >= page.upTo) return [];
      const ids = (await PAGE_MEMBERS.run(redis, [keys.listMembers(listId)], [
        String(Math.max(0, page.after)),
        String(page.upTo),
        String(page.limit),
      ])) as number[];
      return ids.map(Number);
    },

    async isMember(listId, subscriberId) {
      return (await redis.getbit(keys.listMembers(listId), subscriberId)) === 1;
    },

    async areMembers(listId, subscriberIds) {
      if (!subscriberIds.length) return [];
      const args = subscriberIds.flatMap((id) => ['GET', 'u1', String(id)]);
      const bits = (await redis.call('BITFIELD_RO', keys.listMembers(listId), ...args)) as number[];
      return bits.map((b) => b === 1);
    },

    async leftAt(listId, subscriberId) {
      const score = await redis.zscore(keys.listLeft(listId), String(subscriberId));
      return score === null ? null : new Date(Number(score));
    },

    async membershipsOf(subscriberId) {
      const ids = (await redis.hkeys(keys.lists)).sort();
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.getbit(keys.listMembers(id), subscriberId).zscore(keys.listLeft(id), String(subscriberId));
      const replies = (await pipeline.exec()) ?? [];
      const member: string[] = [];
      const left: { list: string; at: Date }[] = [];
      ids.forEach((id, i) => {
        const [bitErr, bit] = replies[2 * i] ?? [];
        const [scoreErr, score] = replies[2 * i + 1] ?? [];
        if (bitErr || scoreErr) throw bitErr ?? scoreErr;
        if (bit === 1) member.push(id);
        else if (score !== null && score !== undefined) left.push({ list: id, at: new Date(Number(score)) });
      });
      return { member, left };
    },
  };
}

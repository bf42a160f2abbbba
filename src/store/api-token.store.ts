/**
 * API tokens in Redis: `{p}:api-tokens` (id → record with the token's SHA-256) and
 * `{p}:api-token-names` (name → id). The token itself is never stored.
 */
import {
  ApiToken,
  ApiTokenName,
  type ApiTokenScope,
  apiTokenIdOf,
  apiTokenMatches,
  hashApiToken,
  newApiToken,
} from '../domain/api-token.schema.ts';
import { NewsdeskError, NotFoundError, ValidationError } from '../domain/errors.ts';
import { zodProblems } from '../domain/zod-problems.ts';
import { LuaScript, type Keys, type RedisClient } from './redis.ts';

export interface ApiTokenStoreOptions {
  redis: RedisClient;
  keys: Keys;
  /** Clock in ms. Default: `Date.now`. */
  now?: () => number;
}

export class ApiTokenExistsError extends NewsdeskError {
  constructor(name: string) {
    super('token_exists', `a token named "${name}" already exists; revoke it first or pick another name`);
  }
}

/** What a new token may do, and until when. */
export interface NewApiTokenOptions {
  scope: ApiTokenScope;
  /** When it stops working. Default: never (until revoked). Must be in the future. */
  expiresAt?: Date | undefined;
}

export interface ApiTokenStore {
  /**
   * Creates a token; the returned `token` is the only time it exists in full.
   * @throws ValidationError for a bad name or a past expiry, ApiTokenExistsError when the name is taken.
   */
  create(name: string, options: NewApiTokenOptions): Promise<{ token: string; record: ApiToken }>;
  /** The record a presented token belongs to, or null for an unknown, revoked, expired or altered token. */
  verify(token: string): Promise<ApiToken | null>;
  /** The record with this id while it is valid (not revoked, not expired), or null. */
  get(id: string): Promise<ApiToken | null>;
  /** Every token's record, by name. */
  all(): Promise<ApiToken[]>;
  /** Revokes by id or name. @throws NotFoundError */
  revoke(idOrName: string): Promise<ApiToken>;
}

/** A use is written back at most this often per token, so busy scripts do not write on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

// KEYS: tokens hash, names hash. ARGV: id, name, record JSON. 0 when the name is taken.
const CREATE = new LuaScript(
  'api-token-create',
  `
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`,
);

// KEYS: tokens hash. ARGV: id, record JSON. Writes only if the token still exists, so a revoke
// that lands between the read and this write is not undone.
const TOUCH = new LuaScript(
  'api-token-touch',
  `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
`,
);

function parseRecord(text: string): ApiToken {
  const parsed = ApiToken.safeParse(JSON.parse(text));
  if (!parsed.success) throw new NewsdeskError('record_corrupt', 'an API token record is unreadable');
  return parsed.data;
}

/** Creates the API token store. */
export function createApiTokenStore(options: ApiTokenStoreOptions): ApiTokenStore {
  const { redis, keys } = options;
  const now = options.now ?? Date.now;

  const read = async (id: string): Promise<ApiToken | null> => {
    const text = await redis.hget(keys.apiTokens, id);
    return text === null ? null : parseRecord(text);
  };
  const expired = (record: ApiToken) => record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now();

  return {
    async get(id) {
      const record = await read(id);
      return record && !expired(record) ? record : null;
    },

    async create(name, createOptions) {
      const parsedName = ApiTokenName.safeParse(name);
      if (!parsedName.success) {
        throw new ValidationError('token_invalid', 'token', zodProblems(parsedName.error).map((p) => ({ ...p, path: 'name' })));
      }
      const { expiresAt, scope } = createOptions;
      if (expiresAt !== undefined && !(expiresAt.getTime() > now())) {
        throw new ValidationError('token_invalid', 'token', [{ path: 'expires', message: 'must be in the future' }]);
      }
      // A random 32-bit id can collide with an existing one; draw again rather than overwrite it.
      for (let attempt = 0; attempt < 5; attempt++) {
        const { id, token } = newApiToken();
        if (await redis.hexists(keys.apiTokens, id)) continue;
        const record = ApiToken.parse({
          id,
          name: parsedName.data,
          hash: hashApiToken(token),
          scope,
          createdAt: new Date(now()).toISOString(),
          ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}),
        });
        const created = await CREATE.run(redis, [keys.apiTokens, keys.apiTokenNames], [id, record.name, JSON.stringify(record)]);
        if (created !== 1) throw new ApiTokenExistsError(record.name);
        return { token, record };
      }
      throw new NewsdeskError('conflict', 'could not find a free token id; try again');
    },

    async verify(token) {
      const id = apiTokenIdOf(token);
      if (id === null) return null;
      const record = await read(id);
      if (!record || !apiTokenMatches(token, record.hash) || expired(record)) return null;
      const at = now();
      if (!record.lastUsedAt || at - Date.parse(record.lastUsedAt) > LAST_USED_RESOLUTION_MS) {
        const used: ApiToken = { ...record, lastUsedAt: new Date(at).toISOString() };
        await TOUCH.run(redis, [keys.apiTokens], [id, JSON.stringify(used)]);
        return used;
      }
      return record;
    },

    async all() {
      const texts = Object.values(await redis.hgetall(keys.apiTokens));
      return texts.map(parseRecord).sort((a, b) => a.name.localeCompare(b.name));
    },

    async revoke(idOrName) {
      const id = (await redis.hget(keys.apiTokenNames, idOrName.trim())) ?? idOrName.trim();
      const record = await read(id);
      if (!record) throw new NotFoundError('token', idOrName);
      await redis.multi().hdel(keys.apiTokens, record.id).hdel(keys.apiTokenNames, record.name).exec();
      return record;
    },
  };
}

/**
 * The Lua scripts behind the subscriber store. Each runs atomically in Redis, so a status change,
 * its suppression entry and its list memberships are written together or not at all.
 *
 * The scripts hold mechanics only; every rule (who may join, which status change is allowed)
 * is decided in TypeScript from src/domain and handed in as data.
 * Numbers go into Redis as strings: Lua would print large ones in exponent notation.
 */
import { LuaScript, SMALL_INDEX_IDS } from './redis.ts';

/**
 * Puts a batch of rows on a list: finds or creates each subscriber by email and sets the member
 * bit, unless the address is suppressed, the subscriber's status may not join, or they left the
 * list before (departures are remembered, so re-imports do not bring people back).
 *
 * KEYS: 1 id sequence, 2 list members bitmap, 3 list departures zset, 4 suppression hash,
 *       5 seen-ids bitmap of this run (counts in-file duplicates once), 6 lists hash
 * ARGV: 1 record bucket key prefix, 2 list id, 3 statuses that may not join as `,a,b,`,
 *       4 `1` to return existing records (for --update), 5 `1` to track duplicates in KEYS[5],
 *       6 seconds to keep KEYS[5], then per row: normalized email, email bucket key, small email
 *       bucket key, record to create (a new id up to SMALL_INDEX_IDS is indexed in the small one)
 * Returns per row three values: outcome, id (0 when none), detail.
 */
export const JOIN_ROWS = new LuaScript(
  'join-rows',
  `
if redis.call('HEXISTS', KEYS[6], ARGV[2]) == 0 then
  return redis.error_reply('NEWSDESK_NO_LIST list ' .. ARGV[2] .. ' does not exist')
end
local bucketPrefix, blocked = ARGV[1], ARGV[3]
local wantRecord, dedupe = ARGV[4] == '1', ARGV[5] == '1'
local out = {}
local function put(outcome, id, detail)
  out[#out + 1] = outcome
  out[#out + 1] = id
  out[#out + 1] = detail
end
-- One HMGET for the batch's suppression entries instead of one call per row.
local emails = {}
for i = 7, #ARGV, 4 do emails[#emails + 1] = ARGV[i] end
local suppressed = redis.call('HMGET', KEYS[4], unpack(emails))
-- Erased readers are suppressed by a hash of the address (erasedSuppressionField in TypeScript).
local hashes = {}
for row = 1, #emails do hashes[row] = 'erased:' .. redis.sha1hex('newsdesk-erased:' .. emails[row]) end
local erased = redis.call('HMGET', KEYS[4], unpack(hashes))
for row = 1, #emails do
  local i = 7 + (row - 1) * 4
  local email, emailKey, smallKey, newRecord = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  local suppression = suppressed[row] or erased[row]
  local id = redis.call('HGET', smallKey, email) or redis.call('HGET', emailKey, email)
  if suppression then
    put('suppressed', id or '0', suppression)
  elseif not id then
    id = tostring(redis.call('INCR', KEYS[1]))
    redis.call('HSET', bucketPrefix .. tostring(math.floor(tonumber(id) / 100)), id, newRecord)
    redis.call('HSET', tonumber(id) <= ${SMALL_INDEX_IDS} and smallKey or emailKey, email, id)
    if dedupe then redis.call('SETBIT', KEYS[5], id, 1) end
    redis.call('SETBIT', KEYS[2], id, 1)
    put('created', id, '')
  elseif dedupe and redis.call('SETBIT', KEYS[5], id, 1) == 1 then
    put('duplicate', id, '')
  else
    local record = redis.call('HGET', bucketPrefix .. tostring(math.floor(tonumber(id) / 100)), id)
    if not record then
      return redis.error_reply('NEWSDESK_CORRUPT subscriber ' .. id .. ' is indexed by email but has no record')
    end
    local status = cjson.decode(record).s
    local leftAt = redis.call('ZSCORE', KEYS[3], id)
    if string.find(blocked, ',' .. status .. ',', 1, true) then
      put('ended', id, status)
    elseif leftAt then
      put('left', id, leftAt)
    elseif redis.call('SETBIT', KEYS[2], id, 1) == 1 then
      put('already-member', id, wantRecord and record or '')
    else
      put('joined', id, wantRecord and record or '')
    end
  end
end
if dedupe then redis.call('EXPIRE', KEYS[5], ARGV[6]) end
return out
`,
);

/**
 * Compare-and-set on one subscriber record, with the side effects of the change.
 *
 * KEYS: 1 record bucket, 2 suppression hash, 3 lists hash
 * ARGV: 1 id, 2 the record as last read, 3 the new record, 4 effects as JSON:
 *   { at: ms string, listPrefix, suppress?: [email, entry JSON], unsuppress?: email,
 *     leaveAll?: true, leave?: list id, join?: list id }
 * Returns 1 applied, 0 the record changed since it was read (read again and retry),
 * -1 no such subscriber, -2 the list to join or leave does not exist.
 */
export const CHANGE_RECORD = new LuaScript(
  'change-record',
  `
local id = ARGV[1]
local current = redis.call('HGET', KEYS[1], id)
if not current then return -1 end
if current ~= ARGV[2] then return 0 end
local fx = cjson.decode(ARGV[4])
if fx.join and redis.call('HEXISTS', KEYS[3], fx.join) == 0 then return -2 end
if fx.leave and redis.call('HEXISTS', KEYS[3], fx.leave) == 0 then return -2 end
if ARGV[3] ~= current then redis.call('HSET', KEYS[1], id, ARGV[3]) end
if fx.suppress then redis.call('HSET', KEYS[2], fx.suppress[1], fx.suppress[2]) end
if fx.unsuppress then redis.call('HDEL', KEYS[2], fx.unsuppress, 'erased:' .. redis.sha1hex('newsdesk-erased:' .. fx.unsuppress)) end
local function leave(listId)
  -- GETBIT first: SETBIT 0 on a short bitmap would grow it to this id for nothing.
  local members = fx.listPrefix .. listId .. ':members'
  if redis.call('GETBIT', members, id) == 1 then redis.call('SETBIT', members, id, 0) end
  redis.call('ZADD', fx.listPrefix .. listId .. ':left', fx.at, id)
end
if fx.leaveAll then
  for _, listId in ipairs(redis.call('HKEYS', KEYS[3])) do
    if redis.call('GETBIT', fx.listPrefix .. listId .. ':members', id) == 1 then leave(listId) end
  end
end
if fx.leave then leave(fx.leave) end
if fx.join then
  redis.call('SETBIT', fx.listPrefix .. fx.join .. ':members', id, 1)
  redis.call('ZREM', fx.listPrefix .. fx.join .. ':left', id)
end
return 1
`,
);

/**
 * Finds a subscriber by email or creates them, for sign-ups one at a time.
 *
 * KEYS: 1 id sequence, 2 email bucket, 3 small email bucket
 * ARGV: 1 record bucket key prefix, 2 normalized email, 3 record to create
 * Returns { id, 1 when created else 0 }.
 */
export const FIND_OR_CREATE = new LuaScript(
  'find-or-create',
  `
local id = redis.call('HGET', KEYS[3], ARGV[2]) or redis.call('HGET', KEYS[2], ARGV[2])
if id then return { tonumber(id), 0 } end
id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. tostring(math.floor(id / 100)), tostring(id), ARGV[3])
redis.call('HSET', id <= ${SMALL_INDEX_IDS} and KEYS[3] or KEYS[2], ARGV[2], tostring(id))
return { id, 1 }
`,
);

/**
 * Deletes one expired unconfirmed sign-up: its record, its email index entry, its list
 * memberships and departures, and its pending entry; unless it changed since it was read (it was
 * confirmed, or signed up again and so is no longer expired), when only what is stale goes.
 *
 * KEYS: 1 record bucket, 2 email bucket, 3 pending sign-ups zset, 4 lists hash, 5 small email bucket
 * ARGV: 1 id, 2 the record as read (status unconfirmed), 3 normalized email, 4 cutoff ms, 5 list key prefix
 * Returns 1 deleted, 0 left alone (changed since read, or signed up again since the cutoff).
 */
export const DROP_UNCONFIRMED = new LuaScript(
  'drop-unconfirmed',
  `
local id = ARGV[1]
local score = redis.call('ZSCORE', KEYS[3], id)
if not score or tonumber(score) > tonumber(ARGV[4]) then return 0 end
if redis.call('HGET', KEYS[1], id) ~= ARGV[2] then
  redis.call('ZREM', KEYS[3], id)
  return 0
end
redis.call('HDEL', KEYS[1], id)
for _, k in ipairs({KEYS[2], KEYS[5]}) do
  if redis.call('HGET', k, ARGV[3]) == id then redis.call('HDEL', k, ARGV[3]) end
end
for _, listId in ipairs(redis.call('HKEYS', KEYS[4])) do
  local members = ARGV[5] .. listId .. ':members'
  if redis.call('GETBIT', members, id) == 1 then redis.call('SETBIT', members, id, 0) end
  redis.call('ZREM', ARGV[5] .. listId .. ':left', id)
end
redis.call('ZREM', KEYS[3], id)
return 1
`,
);

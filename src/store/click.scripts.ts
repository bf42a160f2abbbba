/**
 * The click store's one script: a click or open is counted in a single Redis call, whatever the
 * mode (README.md, "What readers did with it").
 *
 * KEYS (aggregate): counts hash, campaign hash, hours hash.
 * KEYS (per reader): the same, then deliveries hash, reader state hash, reader events list,
 *   reader's campaign index set.
 * ARGV: kind (`c` click, `o` open), link number, already machine (1/0), now ms, delivery window ms,
 *   burst ms, links in the message (burst rule), per reader (1/0), subscriber id, retention ms,
 *   campaign id.
 * Returns `{class, reason}` with class `h` or `m`.
 *
 * Counters: `h:<field>` and `m:<field>` where field is `l<n>` for link n and `o` for opens;
 * `readers`: readers with at least one human click. Aggregate mode writes nothing else, and
 * nothing that names a reader.
 *
 * Rules that need time:
 * - delivery window: per reader, the delivery's own send time from its record; aggregate, the
 *   campaign's last send (`lastSentAt`), which is all that is known without identity;
 * - burst (per reader): when clicks of one copy, each within the burst gap of the one before,
 *   cover every tracked link, all of them are machine — the human ones counted so far move over.
 */
import { LuaScript } from './redis.ts';

/** Events kept per reader and campaign (the latest); counts are not limited by it. */
export const MAX_EVENTS_PER_READER = 1000;

export const RECORD_CLICK = new LuaScript('click-record', `
local kind, link = ARGV[1], ARGV[2]
local machine = ARGV[3] == '1'
local reason = machine and 'request' or ''
local now, win, gap, need = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local per = ARGV[8] == '1'
local field = kind == 'o' and 'o' or ('l' .. link)
local hour = tostring(math.floor(now / 3600000))

if not per then
  if not machine and win > 0 then
    local last = tonumber(redis.call('HGET', KEYS[2], 'lastSentAt') or '')
    if last and now - last <= win then machine = true; reason = 'delivery window' end
  end
  if machine then
    redis.call('HINCRBY', KEYS[1], 'm:' .. field, 1)
  else
    redis.call('HINCRBY', KEYS[1], 'h:' .. field, 1)
    redis.call('HINCRBY', KEYS[3], kind .. ':' .. hour, 1)
  end
  return {machine and 'm' or 'h', reason}
end

local sid, ret = ARGV[9], tonumber(ARGV[10])
if not machine and win > 0 then
  local d = redis.call('HGET', KEYS[4], sid)
  local at = d and tonumber(string.match(d, '^s|(%d+)|'))
  if at and now - at <= win then machine = true; reason = 'delivery window' end
end

if kind == 'c' then
  local st = redis.call('HMGET', KEYS[5], 'lt', 'bl', 'bh', 'bm', 'hc')
  local lt = tonumber(st[1] or '')
  local bl, bh, bm, hc = st[2] or '', st[3] or '', st[4] == '1', tonumber(st[5] or '0')
  if not lt or now - lt > gap then bl = ''; bh = ''; bm = false end
  if not string.find(',' .. bl .. ',', ',' .. link .. ',', 1, true) then bl = bl == '' and link or (bl .. ',' .. link) end
  if bm and not machine then machine = true; reason = 'every link at once' end
  local before = hc
  -- The burst's human clicks as link@hour=count: bounded by links × hours, however many clicks.
  local pending, order = {}, {}
  for key, n in string.gmatch(bh, '([^,=]+)=(%d+)') do pending[key] = tonumber(n); order[#order + 1] = key end
  if machine then
    redis.call('HINCRBY', KEYS[1], 'm:' .. field, 1)
  else
    redis.call('HINCRBY', KEYS[1], 'h:' .. field, 1)
    redis.call('HINCRBY', KEYS[3], 'c:' .. hour, 1)
    local key = link .. '@' .. hour
    if not pending[key] then pending[key] = 0; order[#order + 1] = key end
    pending[key] = pending[key] + 1
    hc = hc + 1
  end
  local distinct = 0
  for _ in string.gmatch(bl, '[^,]+') do distinct = distinct + 1 end
  if not bm and need >= 2 and distinct >= need then
    for _, key in ipairs(order) do
      local l, h = string.match(key, '^([^@]+)@(.+)$')
      local n = pending[key]
      redis.call('HINCRBY', KEYS[1], 'h:l' .. l, -n)
      redis.call('HINCRBY', KEYS[1], 'm:l' .. l, n)
      redis.call('HINCRBY', KEYS[3], 'c:' .. h, -n)
      hc = hc - n
    end
    pending, order = {}, {}
    bm = true; machine = true; reason = 'every link at once'
  end
  local parts = {}
  for _, key in ipairs(order) do parts[#parts + 1] = key .. '=' .. pending[key] end
  bh = table.concat(parts, ',')
  if before == 0 and hc > 0 then redis.call('HINCRBY', KEYS[1], 'readers', 1) end
  if before > 0 and hc == 0 then redis.call('HINCRBY', KEYS[1], 'readers', -1) end
  redis.call('HSET', KEYS[5], 'lt', now, 'bl', bl, 'bh', bh, 'bm', bm and '1' or '0', 'hc', hc)
  redis.call('PEXPIRE', KEYS[5], ret)
else
  redis.call('HINCRBY', KEYS[1], (machine and 'm:' or 'h:') .. field, 1)
  if not machine then redis.call('HINCRBY', KEYS[3], 'o:' .. hour, 1) end
end
redis.call('RPUSH', KEYS[6], now .. '|' .. field .. '|' .. (machine and 'm' or 'h'))
-- A reader's own copy hammered by a script keeps its most recent events only.
redis.call('LTRIM', KEYS[6], -${MAX_EVENTS_PER_READER}, -1)
redis.call('PEXPIRE', KEYS[6], ret)
redis.call('SADD', KEYS[7], ARGV[11])
redis.call('PEXPIRE', KEYS[7], ret)
return {machine and 'm' or 'h', reason}
`);

-- usher common prelude: prepended to every script in lua/ at build time
-- (see CMakeLists.txt), so each operation stays one self-contained script
-- that Redis runs atomically. Lua 5.1 only: Redis embeds 5.1.
--
-- Every script is called with the same keys of one event, all sharing the
-- Cluster hash tag {event}. Their names and order are lua/keys.list's: the
-- build puts a local K_<NAME> for each in front of this file (K_META =
-- KEYS[1], ...) and EVENT_KEYS, their count; lua/README.md documents what
-- each holds.

local TOMB_MS = 3600000      -- expired holds answer 410 for an hour
local SWEEP_PER_WRITE = 2    -- expired holds cleaned by each hold call

-- Milliseconds since the epoch, from Redis: every usherd agrees on it.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function fail(code, list)
  if list and #list > 0 then
    return redis.error_reply(code .. ' ' .. table.concat(list, ' '))
  end
  return redis.error_reply(code)
end

-- Appends one change to the event's journal, a stream trimmed to about
-- the event's journal_max entries: the seats (ids only: never hold or
-- order ids), their new status, the cause and the time.
local journal_max
local function journal(seats, status, cause, now)
  if #seats == 0 then return end
  if not journal_max then
    journal_max = redis.call('HGET', K_META, 'journal_max') or '100000'
  end
  redis.call('XADD', K_JOURNAL, 'MAXLEN', '~', journal_max, '*', 'seats',
             table.concat(seats, ' '), 'status', status, 'cause', cause,
             'ts', string.format('%d', now))
end

-- A hold record, usher:{E}:holds[hold id], is cjson of:
--   s      state: 'held', 'reserved' or 'expired' (a tombstone)
--   seats  the seat ids, in the order they were asked for
--   c, e   created and expires, ms since the epoch (Redis TIME)
--   holder the holder id, when the hold has one
--   o      the order id, once reserved
--   k      the Idempotency-Key field in usher:{E}:idem (scoped), if any
--   f      the request's fingerprint (seats|holder|ttl), for key reuse
--   t      1 while the hold is on its holder's list in usher:{E}:holders
-- Short names: every hold call decodes and encodes one (lua/README.md).
local function hold_load(hid)
  local raw = redis.call('HGET', K_HOLDS, hid)
  if not raw then return nil end
  return cjson.decode(raw)
end

local function hold_store(hid, h)
  redis.call('HSET', K_HOLDS, hid, cjson.encode(h))
end

-- The per-holder limit (max_seats_per_holder) is kept exact with a list
-- per holder of the holds that may count: usher:{E}:holders, holder ->
-- space-separated hold ids, kept only while the event has a limit (holds
-- on that list carry t = 1).
local function holder_drop(h, hid)
  if not h.t or not h.holder then return end
  local left = {}
  for x in string.gmatch(redis.call('HGET', K_HOLDERS, h.holder) or '', '%S+') do
    if x ~= hid then left[#left + 1] = x end
  end
  if #left > 0 then
    redis.call('HSET', K_HOLDERS, h.holder, table.concat(left, ' '))
  else
    redis.call('HDEL', K_HOLDERS, h.holder)
  end
end

-- Turns live hold `hid` into a tombstone: its seats become available,
-- its idempotency key is forgotten, and GET answers 410 for TOMB_MS.
local function hold_expire(hid, h, now)
  local freed = {}
  for _, s in ipairs(h.seats) do
    if redis.call('HGET', K_OWNER, s) == hid then
      redis.call('SETRANGE', K_STATUS, redis.call('HGET', K_SEATS, s), '.')
      redis.call('HDEL', K_OWNER, s)
      freed[#freed + 1] = s
    end
  end
  journal(freed, 'available', 'expire', now)
  if h.k and redis.call('HGET', K_IDEM, h.k) == hid then
    redis.call('HDEL', K_IDEM, h.k)
  end
  holder_drop(h, hid)
  h.s = 'expired'
  hold_store(hid, h)
  redis.call('ZREM', K_EXPIRY, hid)
  redis.call('ZADD', K_TOMBS, now + TOMB_MS, hid)
end

-- Expires up to `limit` holds whose time has passed; returns how many.
local function sweep_expired(now, limit)
  local due = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', now,
                         'LIMIT', 0, limit)
  for _, hid in ipairs(due) do
    local h = hold_load(hid)
    if h then hold_expire(hid, h, now) else redis.call('ZREM', K_EXPIRY, hid) end
  end
  return #due
end

-- Loads hold `hid`, expiring it first when its time has passed (lazy
-- expiry). Returns the hold or nil, and an error reply or nil.
local function hold_fetch(hid, now)
  local h = hold_load(hid)
  if not h then return nil, fail('HOLD_NOT_FOUND') end
  if h.s == 'held' and h.e <= now then hold_expire(hid, h, now) end
  if h.s == 'expired' then return nil, fail('HOLD_EXPIRED') end
  return h, nil
end

-- Seats that count against `holder`'s limit now: every seat of its live
-- holds and every seat of its reserved holds still sold to their order
-- (a refund gives the seat back to the count). Expires its due holds.
local function holder_seats(holder, now)
  local total, list = 0, redis.call('HGET', K_HOLDERS, holder)
  if not list then return 0 end
  for hid in string.gmatch(list, '%S+') do
    local h = hold_load(hid)
    if h and h.s == 'held' and h.e <= now then
      hold_expire(hid, h, now)
    elseif h and h.s == 'held' then
      total = total + #h.seats
    elseif h and h.s == 'reserved' then
      for _, s in ipairs(h.seats) do
        if redis.call('HGET', K_OWNER, s) == h.o then total = total + 1 end
      end
    end
  end
  return total
end

-- Status byte of seat `s` at index `idx` after lazy expiry:
-- '.' available, 'h' held, 'r' reserved, 'b' blocked.
local function seat_status(s, idx, now)
  local st = redis.call('GETRANGE', K_STATUS, idx, idx)
  if st == 'h' then
    local hid = redis.call('HGET', K_OWNER, s)
    local h = hid and hold_load(hid)
    if h and h.s == 'held' and h.e <= now then
      hold_expire(hid, h, now)
      st = '.'
    end
  end
  return st
end

-- Resolves seat ids ARGV[first..] to their indexes. Returns the list of
-- indexes, or nil and an UNKNOWN_SEATS error naming the unknown ids.
local function seats_resolve(first)
  local idx, unknown = {}, {}
  for i = first, #ARGV do
    local v = redis.call('HGET', K_SEATS, ARGV[i])
    if v then idx[#idx + 1] = v else unknown[#unknown + 1] = ARGV[i] end
  end
  if #unknown > 0 then return nil, fail('UNKNOWN_SEATS', unknown) end
  return idx, nil
end

-- The ids among ARGV[1..] (indexes idx) whose status byte is not `want`.
local function seats_not_in(idx, want)
  local bad = {}
  for i = 1, #ARGV do
    if redis.call('GETRANGE', K_STATUS, idx[i], idx[i]) ~= want then
      bad[#bad + 1] = ARGV[i]
    end
  end
  return bad
end

-- The seats of reserved hold `h` still sold to its order, and those given
-- back since (refunds: seats_release), in the hold's order. A refunded
-- seat may since belong to another hold or order: a replay or a read of
-- this hold must never present it as this order's.
local function hold_sold(h)
  local sold, refunded = {}, {}
  for _, s in ipairs(h.seats) do
    if redis.call('HGET', K_OWNER, s) == h.o then
      sold[#sold + 1] = s
    else
      refunded[#refunded + 1] = s
    end
  end
  return sold, refunded
end

-- Reply shape shared by hold scripts:
-- {hold_id, state, created_ms, expires_ms, now_ms, holder, order,
--  refunded (space-separated ids, '' = none), seats...}
-- state is held, reserved, or refunded (reserved, every seat given back
-- since); for a reserved hold, seats are those still sold to its order.
-- `sold`, `refunded`: hold_sold()'s lists when the caller has them.
local function hold_reply(hid, h, now, sold, refunded)
  local state, seats = h.s, h.seats
  if h.s == 'reserved' then
    if not sold then sold, refunded = hold_sold(h) end
    seats = sold
    if #sold == 0 then state = 'refunded' end
  end
  local r = {hid, state, h.c, h.e, now, h.holder or '', h.o or '',
             refunded and table.concat(refunded, ' ') or ''}
  for _, s in ipairs(seats) do r[#r + 1] = s end
  return r
end

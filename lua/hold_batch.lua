-- hold_batch: the hold operations of one event that usherd received
-- together (one loop turn), applied in the order given, each all or
-- nothing on its own and answered on its own, exactly as if each were a
-- call of its own; in one call, so Redis pays its fixed cost per call once
-- for all of them. One alone is a batch of one.
--
-- ARGV: n, then n operations, each an op code and its arguments:
--   H hold_id holder ttl_s|'' idem_field|'' fingerprint count seat...
--                                              hold seats (create)
--   G hold_id                                  read a hold
--   X hold_id ttl_s                            extend (ttl_s >= 1)
--   R hold_id order_id                         reserve (sell to an order)
--   D hold_id                                  release
-- Returns n results in order, each an error reply or:
--   H: hold_reply() with replay 1 when it replays an earlier hold made with
--      the same Idempotency-Key field, else 0
--   G, X, R: hold_reply() (R: a replay lists only the seats still sold)
--   D: the number of seats released
-- Errors (per operation): EVENT_NOT_FOUND; H: IDEMPOTENCY_KEY_REUSED,
--   INVALID_SEAT_COUNT, INVALID_TTL, UNKNOWN_SEATS ids, SEATS_UNAVAILABLE
--   ids, HOLDER_REQUIRED, HOLDER_LIMIT; G, X, R, D: HOLD_NOT_FOUND,
--   HOLD_EXPIRED; X, D: HOLD_ALREADY_RESERVED; R: HOLD_ALREADY_RESERVED
--   (another order), SEATS_REFUNDED ids.
-- Work: O(seats of the operations), plus a holder's holds where the event
-- limits seats per holder; usherd bounds operations and seats per call.
local meta = redis.call('HMGET', K_META, 'hold_ttl_s', 'max_hold_ttl_s',
                        'max_seats_per_hold', 'max_seats_per_holder', 'journal_max')
local TTL, MAX_TTL, MAX_SEATS = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local LIMIT = tonumber(meta[4] or '0')
journal_max = meta[5] or JOURNAL_MAX_DEFAULT

local function op_hold(a, at)
  local hid, holder, ttl, ikey, fp = a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4]
  local n = tonumber(a[at + 5])
  local first, last = at + 6, at + 5 + n
  local now = now_ms()
  if ikey ~= '' then
    local old = redis.call('HGET', K_IDEM, ikey)
    if old then
      local h = hold_fetch(old)        -- nil when gone or expired
      if h then
        if h.f ~= fp then return fail('IDEMPOTENCY_KEY_REUSED') end
        return hold_reply(old, h, '1')
      end
      redis.call('HDEL', K_IDEM, ikey)
    end
  end
  if n < 1 or n > MAX_SEATS then return fail('INVALID_SEAT_COUNT') end
  if ttl == '' then ttl = TTL else ttl = tonumber(ttl) end
  if ttl < 1 or ttl > MAX_TTL then return fail('INVALID_TTL') end
  local idx, err = seats_resolve(a, first, last)
  if err then return err end
  local taken = {}
  for i = 1, n do
    if seat_status(a[first + i - 1], idx[i]) ~= '.' then
      taken[#taken + 1] = a[first + i - 1]
    end
  end
  if #taken > 0 then return fail('SEATS_UNAVAILABLE', taken) end
  if LIMIT > 0 then
    if holder == '' then return fail('HOLDER_REQUIRED') end
    if holder_seats(holder) + n > LIMIT then return fail('HOLDER_LIMIT') end
  end
  local seats = {}
  for i = 1, n do
    seats[i] = a[first + i - 1]
    status_set(idx[i], 'h')
    owner_set(seats[i], hid)
  end
  local e = now + ttl * 1000
  local h = {s = 'held', seats = seats, idx = idx, c = NOW_S, e = e, es = string.format('%d', e)}
  if holder ~= '' then h.holder = holder end
  if LIMIT > 0 then
    h.t = true
    local list = redis.call('HGET', K_HOLDERS, holder)
    redis.call('HSET', K_HOLDERS, holder, list and (list .. ' ' .. hid) or hid)
  end
  if ikey ~= '' then
    h.k, h.f = ikey, fp
    redis.call('HSET', K_IDEM, ikey, hid)
  end
  hold_store(hid, h)
  zset_put(EXP, hid, h.es)
  journal(seats, 'held', 'hold')
  return hold_reply(hid, h, '0')
end

local function op_get(hid)
  local h, err = hold_fetch(hid)
  if err then return err end
  return hold_reply(hid, h)
end

local function op_extend(hid, ttl)
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
  local e = now_ms() + tonumber(ttl) * 1000
  local cap = tonumber(h.c) + MAX_TTL * 1000
  if e > cap then e = cap end
  h.e, h.es = e, string.format('%d', e)
  hold_store(hid, h)
  zset_put(EXP, hid, h.es)
  journal(h.seats, 'held', 'extend')
  return hold_reply(hid, h)
end

local function op_reserve(hid, oid)
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then
    if h.o ~= oid then return fail('HOLD_ALREADY_RESERVED') end
    local sold, refunded = hold_sold(h)
    if #sold == 0 then return fail('SEATS_REFUNDED', refunded) end
    return hold_reply(hid, h, nil, sold, refunded)
  end
  for i, s in ipairs(h.seats) do
    status_set(hold_idx(h, i), 'r')
    owner_set(s, oid)
  end
  local prev = redis.call('HGET', K_ORDERS, oid)
  local list = table.concat(h.seats, ' ')
  if prev and prev ~= '' then list = prev .. ' ' .. list end
  redis.call('HSET', K_ORDERS, oid, list)
  h.s, h.o = 'reserved', oid
  hold_store(hid, h)
  zset_del(EXP, hid)
  journal(h.seats, 'reserved', 'reserve')
  return hold_reply(hid, h, nil, h.seats, {})
end

local function op_release(hid)
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
  for i, s in ipairs(h.seats) do
    status_set(hold_idx(h, i), '.')
    owner_del(s)
  end
  idem_forget(hid, h)
  holder_drop(h, hid)
  hold_forget(hid)
  zset_del(EXP, hid)
  journal(h.seats, 'available', 'release')
  return #h.seats
end

-- Where each operation starts, checked whole before anything is done:
-- a malformed call changes nothing.
local starts, at, n = {}, 2, tonumber(ARGV[1] or '')
if not n then return fail('BAD_BATCH') end
for i = 1, n do
  local op = ARGV[at]
  starts[i] = at
  if op == 'H' then at = at + 7 + (tonumber(ARGV[at + 6] or '') or 0)
  elseif op == 'G' or op == 'D' then at = at + 2
  elseif op == 'X' or op == 'R' then at = at + 3
  else return fail('BAD_BATCH') end
  if at > #ARGV + 1 then return fail('BAD_BATCH') end
end

local out = {}
for i = 1, n do
  at = starts[i]
  local op = ARGV[at]
  if not TTL then
    out[i] = fail('EVENT_NOT_FOUND')
  elseif op == 'H' then
    out[i] = op_hold(ARGV, at + 1)
  elseif op == 'G' then
    out[i] = op_get(ARGV[at + 1])
  elseif op == 'X' then
    out[i] = op_extend(ARGV[at + 1], ARGV[at + 2])
  elseif op == 'R' then
    out[i] = op_reserve(ARGV[at + 1], ARGV[at + 2])
  else
    out[i] = op_release(ARGV[at + 1])
  end
end
return finish(out)

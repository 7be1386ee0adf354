-- hold_create: hold seats for a buyer, all or nothing.
-- ARGV: hold_id, holder ('' = none), ttl_s ('' = event default),
--       idempotency key ('' = none), request fingerprint, seat ids...
-- Returns hold_reply() plus a last element 1 when this replays an earlier
-- hold made with the same idempotency key, else 0.
-- Errors: EVENT_NOT_FOUND, IDEMPOTENCY_KEY_REUSED, INVALID_SEAT_COUNT,
--         INVALID_TTL, UNKNOWN_SEATS ids, SEATS_UNAVAILABLE ids,
--         HOLDER_REQUIRED, HOLDER_LIMIT (with max_seats_per_holder).
-- Work: O(seats + SWEEP_PER_WRITE * max_seats_per_hold), plus the
-- holder's holds and their seats when the event limits holders.
local meta = redis.call('HMGET', K_META, 'hold_ttl_s', 'max_hold_ttl_s',
                        'max_seats_per_hold', 'max_seats_per_holder')
if not meta[1] then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local hid, holder, ttl, ikey, fp = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

if ikey ~= '' then
  local old = redis.call('HGET', K_IDEM, ikey)
  if old then
    local h = hold_load(old)
    if h and h.s == 'held' and h.e <= now then hold_expire(old, h, now) end
    if h and h.s ~= 'expired' then
      if h.f ~= fp then return fail('IDEMPOTENCY_KEY_REUSED') end
      local r = hold_reply(old, h, now)
      r[#r + 1] = 1
      return r
    end
    redis.call('HDEL', K_IDEM, ikey)
  end
end

local n = #ARGV - 5
if n < 1 or n > tonumber(meta[3]) then return fail('INVALID_SEAT_COUNT') end
if ttl == '' then ttl = tonumber(meta[1]) else ttl = tonumber(ttl) end
if ttl < 1 or ttl > tonumber(meta[2]) then return fail('INVALID_TTL') end

local idx, err = seats_resolve(6)
if err then return err end
local taken = {}
for i = 1, n do
  if seat_status(ARGV[i + 5], idx[i], now) ~= '.' then
    taken[#taken + 1] = ARGV[i + 5]
  end
end
if #taken > 0 then return fail('SEATS_UNAVAILABLE', taken) end
local limit = tonumber(meta[4] or '0')
if limit > 0 then
  if holder == '' then return fail('HOLDER_REQUIRED') end
  if holder_seats(holder, now) + n > limit then return fail('HOLDER_LIMIT') end
end

local seats = {}
for i = 1, n do
  seats[i] = ARGV[i + 5]
  redis.call('SETRANGE', K_STATUS, idx[i], 'h')
  redis.call('HSET', K_OWNER, seats[i], hid)
end
local h = {s = 'held', seats = seats, c = now, e = now + ttl * 1000, f = fp}
if holder ~= '' then h.holder = holder end
if limit > 0 then
  h.t = 1
  local list = redis.call('HGET', K_HOLDERS, holder)
  redis.call('HSET', K_HOLDERS, holder, list and (list .. ' ' .. hid) or hid)
end
if ikey ~= '' then
  h.k = ikey
  redis.call('HSET', K_IDEM, ikey, hid)
end
hold_store(hid, h)
redis.call('ZADD', K_EXPIRY, h.e, hid)
journal(seats, 'held', 'hold', now)
sweep_expired(now, SWEEP_PER_WRITE)
local r = hold_reply(hid, h, now)
r[#r + 1] = 0
return r

-- hold_release: give a live hold's seats back; the hold is forgotten.
-- ARGV: hold_id. Returns the number of seats released.
-- Errors: EVENT_NOT_FOUND, HOLD_NOT_FOUND, HOLD_EXPIRED,
--         HOLD_ALREADY_RESERVED. Work: O(seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local hid = ARGV[1]
local h, err = hold_fetch(hid, now)
if err then return err end
if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
for _, s in ipairs(h.seats) do
  redis.call('SETRANGE', K_STATUS, redis.call('HGET', K_SEATS, s), '.')
  redis.call('HDEL', K_OWNER, s)
end
if h.k and redis.call('HGET', K_IDEM, h.k) == hid then
  redis.call('HDEL', K_IDEM, h.k)
end
holder_drop(h, hid)
redis.call('HDEL', K_HOLDS, hid)
redis.call('ZREM', K_EXPIRY, hid)
journal(h.seats, 'available', 'release', now)
return #h.seats

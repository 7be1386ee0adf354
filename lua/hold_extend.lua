-- hold_extend: move a live hold's expiry to now + ttl_s, capped at
-- created + max_hold_ttl_s.
-- ARGV: hold_id, ttl_s (>= 1, checked by usherd). Returns hold_reply().
-- Errors: EVENT_NOT_FOUND, HOLD_NOT_FOUND, HOLD_EXPIRED,
--         HOLD_ALREADY_RESERVED. Work: O(seats).
local max_ttl = redis.call('HGET', K_META, 'max_hold_ttl_s')
if not max_ttl then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local hid = ARGV[1]
local h, err = hold_fetch(hid, now)
if err then return err end
if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
local e = now + tonumber(ARGV[2]) * 1000
local cap = h.c + tonumber(max_ttl) * 1000
if e > cap then e = cap end
h.e = e
hold_store(hid, h)
redis.call('ZADD', K_EXPIRY, e, hid)
journal(h.seats, 'held', 'extend', now)
return hold_reply(hid, h, now)

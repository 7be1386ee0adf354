-- hold_reserve: sell every seat of a live hold to an order, atomically.
-- Idempotent: the same hold and order id again answers again, also long
-- after the hold's expiry time, but only ever with the seats still sold
-- to that order: seats refunded since (seats_release) are listed apart,
-- and when none is left the replay fails SEATS_REFUNDED naming them.
-- ARGV: hold_id, order_id. Returns hold_reply().
-- Errors: EVENT_NOT_FOUND, HOLD_NOT_FOUND, HOLD_EXPIRED,
--         HOLD_ALREADY_RESERVED, SEATS_REFUNDED ids. Work: O(seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local hid, oid = ARGV[1], ARGV[2]
local h, err = hold_fetch(hid, now)
if err then return err end
if h.s == 'reserved' then
  if h.o ~= oid then return fail('HOLD_ALREADY_RESERVED') end
  local sold, refunded = hold_sold(h)
  if #sold == 0 then return fail('SEATS_REFUNDED', refunded) end
  return hold_reply(hid, h, now, sold, refunded)
end
for _, s in ipairs(h.seats) do
  redis.call('SETRANGE', K_STATUS, redis.call('HGET', K_SEATS, s), 'r')
  redis.call('HSET', K_OWNER, s, oid)
end
local prev = redis.call('HGET', K_ORDERS, oid)
local list = table.concat(h.seats, ' ')
if prev and prev ~= '' then list = prev .. ' ' .. list end
redis.call('HSET', K_ORDERS, oid, list)
h.s, h.o = 'reserved', oid
hold_store(hid, h)
redis.call('ZREM', K_EXPIRY, hid)
journal(h.seats, 'reserved', 'reserve', now)
return hold_reply(hid, h, now, h.seats, {})

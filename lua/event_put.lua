-- event_put: create an event from a seat map, or replace it while no
-- seat is held or reserved.
-- ARGV: name, hold_ttl_s, max_hold_ttl_s, max_seats_per_hold,
--       sections_json, layout, seat ids in seat-map order...
-- Returns 1 when created, 0 when replaced.
-- Errors: EVENT_IN_USE. Work: O(seats) (plus every due hold on replace).
local now = now_ms()
local existed = redis.call('EXISTS', K_META) == 1
if existed then
  while sweep_expired(now, 1000) == 1000 do end
  if redis.call('ZCARD', K_EXPIRY) > 0 or redis.call('HLEN', K_ORDERS) > 0 then
    return fail('EVENT_IN_USE')
  end
  redis.call('DEL', K_META, K_SEATS, K_LAYOUT, K_STATUS, K_OWNER, K_HOLDS,
             K_EXPIRY, K_TOMBS, K_ORDERS, K_IDEM)
end
local n = #ARGV - 6
redis.call('HSET', K_META, 'name', ARGV[1], 'hold_ttl_s', ARGV[2],
           'max_hold_ttl_s', ARGV[3], 'max_seats_per_hold', ARGV[4],
           'sections', ARGV[5], 'total', n, 'created_ms', now)
redis.call('SET', K_LAYOUT, ARGV[6])
redis.call('SET', K_STATUS, string.rep('.', n))
-- HSET in batches: unpack() of the whole map would overflow Lua's stack.
local batch, i = {}, 1
while i <= n do
  local j = 0
  while i <= n and j < 1000 do
    batch[2 * j + 1] = ARGV[i + 6]
    batch[2 * j + 2] = i - 1
    i, j = i + 1, j + 1
  end
  redis.call('HSET', K_SEATS, unpack(batch, 1, 2 * j))
end
if existed then return 0 end
return 1

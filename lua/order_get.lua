-- order_get: the seats sold to one order, in seat-map order, and the
-- general-admission places it holds.
-- ARGV: order_id. Returns the seat ids, then "@<id>=<n>" for each area.
-- Errors: EVENT_NOT_FOUND, ORDER_NOT_FOUND. Work: O(seats log seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local list = redis.call('HGET', K_ORDERS, ARGV[1])
if not list then return fail('ORDER_NOT_FOUND') end
local seats, pos = {}, {}
for s in string.gmatch(list, '%S+') do
  seats[#seats + 1] = s
  pos[s] = tonumber(redis.call('HGET', K_SEATS, s))
end
table.sort(seats, function(a, b) return pos[a] < pos[b] end)
for _, a in ipairs(areas_decode(redis.call('HGET', K_AREAS, 'o:' .. ARGV[1]))) do
  seats[#seats + 1] = '@' .. a[1] .. '=' .. a[2]
end
return seats

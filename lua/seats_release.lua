-- seats_release: reserved seats back to available (refunds, voids), all
-- or nothing. The seats leave their orders; an order left empty is gone.
-- ARGV: seat ids. Returns the seat ids released.
-- Errors: EVENT_NOT_FOUND, UNKNOWN_SEATS ids, SEATS_NOT_RESERVED ids.
-- Work: O(seats * order size).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local idx, err = seats_resolve(ARGV, 1, #ARGV)
if err then return err end
local bad = seats_not_in(ARGV, idx, 'r')
if #bad > 0 then return fail('SEATS_NOT_RESERVED', bad) end
for i = 1, #ARGV do
  local s = ARGV[i]
  local oid = owner_get(s)
  if oid then
    local left = {}
    for t in string.gmatch(redis.call('HGET', K_ORDERS, oid) or '', '%S+') do
      if t ~= s then left[#left + 1] = t end
    end
    if #left > 0 then
      redis.call('HSET', K_ORDERS, oid, table.concat(left, ' '))
    else
      redis.call('HDEL', K_ORDERS, oid)
    end
  end
  status_set(idx[i], '.')
  owner_del(s)
end
journal(ARGV, 'available', 'admin_release')
return finish(ARGV)

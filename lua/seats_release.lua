-- seats_release: reserved seats back to available (refunds, voids), and
-- general-admission places an order bought back to their areas, all or
-- nothing. The seats leave their orders; an order left with nothing is
-- gone.
-- ARGV: seat ids, then optionally "#<order id>" and the areas to take
--       from that order, "@<id>=<n>" each (usherd checks the form).
-- Returns the seat ids released, then "@<id>=<n>" for each area.
-- Errors: EVENT_NOT_FOUND, UNKNOWN_SEATS ids, SEATS_NOT_RESERVED ids,
-- ORDER_NOT_FOUND, UNKNOWN_AREAS ids, AREAS_NOT_IN_ORDER ids (the order
-- has fewer of them than asked).
-- Work: O(seats * order size + areas).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local ns, oid = #ARGV, nil
for i = 1, #ARGV do
  if string.byte(ARGV[i], 1) == 35 then ns, oid = i - 1, string.sub(ARGV[i], 2) break end
end
local idx, err = seats_resolve(ARGV, 1, ns)
if err then return err end
local seats = {unpack(ARGV, 1, ns)}
local bad = seats_not_in(seats, idx, 'r')
if #bad > 0 then return fail('SEATS_NOT_RESERVED', bad) end
local areas, left = nil, nil
if oid then
  local _
  _, areas = areas_args(ARGV, ns + 2, #ARGV - ns - 1)
  if not _ then return areas end
  if not redis.call('HGET', K_ORDERS, oid) then return fail('ORDER_NOT_FOUND') end
  left = order_areas(oid)
  for _, a in ipairs(areas or {}) do
    if (left[a[1]] or 0) < a[2] then bad[#bad + 1] = a[1] end
  end
  if #bad > 0 then return fail('AREAS_NOT_IN_ORDER', bad) end
end
-- an order with no seat and no area left is forgotten
local function order_keep(o, list)
  if list ~= '' or redis.call('HEXISTS', K_AREAS, 'o:' .. o) == 1 then
    redis.call('HSET', K_ORDERS, o, list)
  else
    redis.call('HDEL', K_ORDERS, o)
  end
end
for i = 1, ns do
  local s = seats[i]
  local o = owner_get(s)
  if o then
    local rest = {}
    for t in string.gmatch(redis.call('HGET', K_ORDERS, o) or '', '%S+') do
      if t ~= s then rest[#rest + 1] = t end
    end
    order_keep(o, table.concat(rest, ' '))
  end
  status_set(idx[i], '.')
  owner_del(s)
end
journal(seats, 'available', 'admin_release')
local out = seats
for _, a in ipairs(areas or {}) do
  left[a[1]] = left[a[1]] - a[2]
  area_move(a[1], a[2], 0, -a[2], 'available', 'admin_release')
  out[#out + 1] = '@' .. a[1] .. '=' .. a[2]
end
if areas then
  local rest = {}
  for _, a in ipairs(areas_decode(redis.call('HGET', K_AREAS, 'o:' .. oid))) do
    if left[a[1]] > 0 then rest[#rest + 1] = {a[1], left[a[1]]} end
  end
  if #rest > 0 then
    redis.call('HSET', K_AREAS, 'o:' .. oid, areas_encode(rest))
  else
    redis.call('HDEL', K_AREAS, 'o:' .. oid)
  end
  order_keep(oid, redis.call('HGET', K_ORDERS, oid) or '')
end
return finish(out)

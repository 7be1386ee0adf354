-- sweep: periodic clean-up run by every usherd for every event.
-- ARGV: limit. Expires up to `limit` holds whose time has passed and
-- forgets up to `limit` tombstones older than an hour.
-- Returns {expired, purged, more} where more = 1 when work is left.
-- Work: O(limit * max_seats_per_hold).
if redis.call('EXISTS', K_META) == 0 then return {0, 0, 0} end
local limit = tonumber(ARGV[1])
local expired = sweep_expired(limit)
flush()
local old = redis.call('ZRANGEBYSCORE', K_TOMBS, '-inf', NOW_S, 'LIMIT', 0, limit)
for _, hid in ipairs(old) do
  local h = hold_load(hid)
  if h and h.s == 'expired' then hold_forget(hid) end
  zset_del(TOMBS, hid)
end
local more = 0
if expired == limit or #old == limit then more = 1 end
return finish({expired, #old, more})

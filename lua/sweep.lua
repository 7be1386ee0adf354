-- sweep: periodic clean-up run by every usherd for every event.
-- ARGV: limit. Expires up to `limit` holds whose time has passed and
-- forgets up to `limit` tombstones older than an hour.
-- Returns {expired, purged, more} where more = 1 when work is left; for
-- an event with a waiting room also its update (lib/queue.lua's
-- queue_tick, at most once a period whichever usherd sweeps) and then
-- the room: joined, waiting, admitted, expired, rate per minute
-- (string), seconds to clear (-1 at rate 0), state.
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
local q = QUEUE.meta()
if q then
  flush()
  local s = QUEUE.tick(q, now_ms())
  return finish({expired, #old, more, s[1], s[2], s[3], s[4], string.format('%.3f', s[5]),
                 s[6] or -1, q.state})
end
return finish({expired, #old, more})

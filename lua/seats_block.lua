-- seats_block: available seats to blocked (house seats, broken seats,
-- camera positions), all or nothing.
-- ARGV: seat ids. Returns the seat ids blocked.
-- Errors: EVENT_NOT_FOUND, UNKNOWN_SEATS ids, SEATS_UNAVAILABLE ids.
-- Work: O(seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local idx, err = seats_resolve(ARGV, 1, #ARGV)
if err then return finish(err) end
local bad = seats_taken(ARGV, idx, #ARGV)
if bad then return finish(fail('SEATS_UNAVAILABLE', bad)) end
for i = 1, #ARGV do status_set(idx[i], 'b') end
journal(ARGV, 'blocked', 'block')
return finish(ARGV)

-- seats_unblock: blocked seats back to available, all or nothing.
-- ARGV: seat ids. Returns the seat ids unblocked.
-- Errors: EVENT_NOT_FOUND, UNKNOWN_SEATS ids, SEATS_NOT_BLOCKED ids.
-- Work: O(seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local idx, err = seats_resolve(ARGV, 1, #ARGV)
if err then return err end
local bad = seats_not_in(ARGV, idx, 'b')
if #bad > 0 then return fail('SEATS_NOT_BLOCKED', bad) end
for i = 1, #ARGV do status_set(idx[i], '.') end
journal(ARGV, 'available', 'unblock')
return finish(ARGV)

-- hold_get: read one hold, expiring it first if its time has passed.
-- ARGV: hold_id. Returns hold_reply().
-- Errors: EVENT_NOT_FOUND, HOLD_NOT_FOUND, HOLD_EXPIRED. Work: O(seats).
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local h, err = hold_fetch(ARGV[1], now)
if err then return err end
return hold_reply(ARGV[1], h, now)

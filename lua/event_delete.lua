-- event_delete: remove an event and every key it has.
-- ARGV: none. Returns 1 when the event existed, else 0.
-- Work: O(1): UNLINK frees the keys' memory off the main thread.
local existed = redis.call('EXISTS', K_META)
redis.call('UNLINK', unpack(KEYS, 1, EVENT_KEYS))
return existed

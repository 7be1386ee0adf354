-- event_delete: remove an event and every key it has.
-- ARGV: none. Returns 1 when the event existed, else 0. Work: O(keys' size).
local existed = redis.call('EXISTS', K_META)
redis.call('DEL', K_META, K_SEATS, K_LAYOUT, K_STATUS, K_OWNER, K_HOLDS,
           K_EXPIRY, K_TOMBS, K_ORDERS, K_IDEM)
return existed

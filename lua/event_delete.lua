-- event_delete: remove an event and every key it has.
-- ARGV: none. Returns 1 when the event existed, else 0.
-- Work: O(1): UNLINK frees the keys' memory off the main thread.
local existed = redis.call('EXISTS', K_META)
redis.call('UNLINK', K_META, K_SEATS, K_LAYOUT, K_STATUS, K_OWNER, K_HOLDS,
           K_EXPIRY, K_TOMBS, K_ORDERS, K_IDEM, K_JOURNAL, K_HOLDERS)
return existed

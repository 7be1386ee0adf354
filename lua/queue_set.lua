-- queue_set: change an event's waiting room (admin), or give it one.
-- ARGV: opens ms, onsale ms, rate ("auto" or per minute), session s,
--       seats per admission.
-- opens and onsale may change only before the sale starts; the rate,
-- the session and the seats per admission at any time (a new rate
-- starts a new segment now: who was admitted stays admitted).
-- Returns 1. Errors: EVENT_NOT_FOUND, QUEUE_STARTED (onsale or opens
-- changed after the sale started).
local q = QUEUE.meta()
if redis.call('EXISTS', K_META) == 0 then return fail('EVENT_NOT_FOUND') end
local now = now_ms()
local opens, onsale = tonumber(ARGV[1]), tonumber(ARGV[2])
if q and now >= q.onsale and (opens ~= q.opens or onsale ~= q.onsale) then
  return fail('QUEUE_STARTED')
end
redis.call('HSET', K_META, 'q_opens', ARGV[1], 'q_onsale', ARGV[2], 'q_rate', ARGV[3],
           'q_session', ARGV[4], 'q_max', ARGV[5], 'q_tick', 0)
q = QUEUE.meta()
if redis.call('ZCARD', K_QRATE) > 0 and now >= onsale then
  QUEUE.seg_add(QUEUE.admitted_at(now), now, QUEUE.first_rate(q))
else                             -- not started (or a queue given to a live sale)
  redis.call('DEL', K_QRATE)
  QUEUE.seg_add(0, math.max(onsale, now), QUEUE.first_rate(q))
end
return finish(1)

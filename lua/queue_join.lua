-- queue_join: a buyer joins the event's waiting room.
-- ARGV: ticket (a new random token from usherd), a random place in
--       [0, 1e15) (usherd's getrandom: the pre-queue's shuffle), the
--       Idempotency-Key field or ''.
-- Returns {ticket, status, position (-1 before onsale), estimated wait s
-- (-1 unknown), session end ms (0 unless admitted), replay (1: the
-- ticket of an earlier join with that key)}.
-- Errors: EVENT_NOT_FOUND, NO_QUEUE, QUEUE_NOT_OPEN.
-- Work: O(log joined).
local q, err = QUEUE.or_fail()
if not q then return err end
local now = now_ms()
if now < q.opens then return fail('QUEUE_NOT_OPEN') end
local ticket, replay, ikey = ARGV[1], 0, ARGV[3]
local old = ikey ~= '' and redis.call('HGET', K_IDEM, 'q|' .. ikey)
if old and redis.call('ZSCORE', K_QUEUE, old) then
  ticket, replay = old, 1
else
  local place
  if now < q.onsale then
    place = tonumber(ARGV[2]) % QUEUE.PRE_SPAN
  else
    local seq = redis.call('HINCRBY', K_META, 'q_seq', 1)
    place = QUEUE.PRE_SPAN + (now - q.onsale) * 1000 + seq % 1000
  end
  redis.call('ZADD', K_QUEUE, 'NX', string.format('%.0f', place), ticket)
  if ikey ~= '' then redis.call('HSET', K_IDEM, 'q|' .. ikey, ticket) end
end
local t = QUEUE.ticket_state(q, ticket, now)
return {ticket, t.status, t.pos or -1, t.wait or -1, t.ends or 0, replay}

-- queue_get: where a ticket stands in the waiting room, or (ticket '')
-- the room as a whole. Reads only: admission is derived from Redis time
-- and the rate segments (lib/queue.lua), so every usherd answers alike.
-- ARGV: ticket or ''.
-- Returns for a ticket {status, position (-1 before onsale), estimated
-- wait s (-1 unknown), session end ms (0 unless admitted or expired)};
-- for the room {joined, waiting, admitted, expired, rate per minute
-- (string), seconds to clear (-1 at rate 0), state ('' or sold_out),
-- onsale ms}.
-- Errors: EVENT_NOT_FOUND, NO_QUEUE, TICKET_NOT_FOUND.
-- Work: O(log joined + log segments).
local q, err = QUEUE.or_fail()
if not q then return err end
local now = now_ms()
if ARGV[1] == '' then
  local s = QUEUE.summary(q, now)
  return {s[1], s[2], s[3], s[4], string.format('%.3f', s[5]), s[6] or -1, q.state, q.onsale}
end
local t = QUEUE.ticket_state(q, ARGV[1], now)
if not t then return fail('TICKET_NOT_FOUND') end
return {t.status, t.pos or -1, t.wait or -1, t.ends or 0}

-- event_read: an event's settings and the live status of every seat.
-- Expires up to READ_SWEEP due holds first, so the answer counts an
-- expired hold as available (the periodic sweep keeps the backlog far
-- below that bound).
-- ARGV: '1' to include the layout, '0' not to; and optionally the layout
--       id whose layout the caller already holds: when it is the event's,
--       the layout is left out (it never changes under one id).
-- Returns {name, hold_ttl_s, max_hold_ttl_s, max_seats_per_hold,
--          sections_json, status, layout or '', last journal id or '',
--          max_seats_per_holder (0 = none), layout id or '', areas, queue}:
-- areas is JSON [{"id","name","capacity","held","sold"}], '[]' for none;
-- queue, for an event with a waiting room, "joined waiting admitted
-- expired rate_per_min clear_s state" (clear_s -1 at rate 0, state open
-- or sold_out), else '';
-- the status and the journal position of one instant, for live streams.
-- Errors: EVENT_NOT_FOUND. Work: O(READ_SWEEP * max_seats_per_hold + N).
local READ_SWEEP = 1000
local m = redis.call('HMGET', K_META, 'name', 'hold_ttl_s', 'max_hold_ttl_s',
                     'max_seats_per_hold', 'sections', 'max_seats_per_holder',
                     'layout_id', 'areas')
if not m[1] then return fail('EVENT_NOT_FOUND') end
sweep_expired(READ_SWEEP)
flush()
local layout = ''
if ARGV[1] == '1' and not (m[7] and m[7] == ARGV[2]) then
  layout = redis.call('GET', K_LAYOUT) or ''
end
local areas = cjson.decode(m[8] or '[]')
for _, a in ipairs(areas) do
  local c = redis.call('HMGET', K_AREAS, 'h:' .. a.id, 's:' .. a.id)
  a.held, a.sold = tonumber(c[1] or '0'), tonumber(c[2] or '0')
end
local q, qs = QUEUE.meta(), ''
if q then
  local s = QUEUE.summary(q, now_ms())
  qs = string.format('%d %d %d %d %.3f %d %s', s[1], s[2], s[3], s[4], s[5], s[6] or -1,
                     q.state ~= '' and q.state or 'open')
end
local last = redis.call('XREVRANGE', K_JOURNAL, '+', '-', 'COUNT', 1)
return finish({m[1], tonumber(m[2]), tonumber(m[3]), tonumber(m[4]), m[5],
        redis.call('GET', K_STATUS) or '', layout, last[1] and last[1][1] or '',
        tonumber(m[6] or '0'), m[7] or '', #areas > 0 and cjson.encode(areas) or '[]', qs})

-- event_put: make a staged seat map the event's, creating the event or
-- replacing it while no seat is held or reserved. usherd first writes the
-- seat index (seat -> index), the layout and the seat-selection strings
-- (pick, rows, runs) to five staging keys of this PUT (the keys after the
-- event's) with plain commands in chunks, so that no single command
-- blocks Redis for long; this script swaps them in atomically.
-- ARGV: name, hold_ttl_s, max_hold_ttl_s, max_seats_per_hold,
--       sections_json, seat count, journal_max, max_seats_per_holder
--       (0 = no limit), layout id (this PUT's staging token: names the
--       layout for the readers' caches, see event_read), orphan_rule
--       (none, no_single_gaps), companions (1: some seat is a companion
--       seat), categories (their names, each followed by LF), areas
--       (JSON [{"id","name","capacity"}], the general-admission areas),
--       and the waiting room: opens ms, onsale ms, rate ("auto" or per
--       minute), session s, seats per admission ('' each: no queue).
-- Returns 1 when created, 0 when replaced.
-- Errors: EVENT_IN_USE; STAGE_INCOMPLETE when the staging keys are not
-- whole (expired, or a chunk was lost): usherd answers 503, retry.
-- Work: O(1) plus the status string (1 byte a seat) and every due hold
-- on replace; old keys are freed with UNLINK, off the main thread.
local K_STAGE_SEATS, K_STAGE_LAYOUT = KEYS[EVENT_KEYS + 1], KEYS[EVENT_KEYS + 2]
local STAGED = {K_STAGE_SEATS, K_STAGE_LAYOUT, KEYS[EVENT_KEYS + 3], KEYS[EVENT_KEYS + 4],
                KEYS[EVENT_KEYS + 5]}
local n = tonumber(ARGV[6])
if redis.call('HLEN', K_STAGE_SEATS) ~= n or
   redis.call('EXISTS', unpack(STAGED, 2)) ~= #STAGED - 1 then
  redis.call('UNLINK', unpack(STAGED))
  return fail('STAGE_INCOMPLETE')
end
local now = now_ms()
local existed = redis.call('EXISTS', K_META) == 1
if existed then
  while sweep_expired(1000) == 1000 do end
  flush()                      -- expiry as the sweep left it
  if redis.call('ZCARD', K_EXPIRY) > 0 or redis.call('HLEN', K_ORDERS) > 0 then
    redis.call('UNLINK', unpack(STAGED))
    return fail('EVENT_IN_USE')
  end
  -- every key but the journal: its ids must keep rising for the readers
  local old = {}
  for i = 1, EVENT_KEYS do
    if KEYS[i] ~= K_JOURNAL then old[#old + 1] = KEYS[i] end
  end
  redis.call('UNLINK', unpack(old))
end
local PLACED = {K_SEATS, K_LAYOUT, K_PICK, K_ROWS, K_RUNS}
for i = 1, #STAGED do
  if i > 1 or n > 0 then         -- an event of areas only has no seat index
    redis.call('RENAME', STAGED[i], PLACED[i])
    redis.call('PERSIST', PLACED[i])
  end
end
redis.call('HSET', K_META, 'name', ARGV[1], 'hold_ttl_s', ARGV[2],
           'max_hold_ttl_s', ARGV[3], 'max_seats_per_hold', ARGV[4],
           'sections', ARGV[5], 'total', n, 'created_ms', NOW_S,
           'journal_max', ARGV[7], 'max_seats_per_holder', ARGV[8],
           'layout_id', ARGV[9], 'orphan_rule', ARGV[10], 'companions', ARGV[11],
           'categories', ARGV[12], 'areas', ARGV[13])
for _, a in ipairs(cjson.decode(ARGV[13])) do
  redis.call('HSET', K_AREAS, 'c:' .. a.id, a.capacity, 'h:' .. a.id, 0, 's:' .. a.id, 0)
end
redis.call('SET', K_STATUS, string.rep('.', n))
-- a chunk of DIRTY_SEATS seats a byte: 1 once a seat of it was freed
redis.call('SET', K_DIRTY, string.rep('0', math.floor((n + DIRTY_SEATS - 1) / DIRTY_SEATS)))
if ARGV[15] ~= '' then
  redis.call('HSET', K_META, 'q_opens', ARGV[14], 'q_onsale', ARGV[15], 'q_rate', ARGV[16],
             'q_session', ARGV[17], 'q_max', ARGV[18], 'q_tick', 0)
  QUEUE.seg_add(0, tonumber(ARGV[15]), QUEUE.first_rate(QUEUE.meta()))
end
-- Say why in the journal: watchers of a replaced map must reload.
redis.call('XADD', K_JOURNAL, 'MAXLEN', '~', ARGV[7], '*', 'seats', '', 'status', '',
           'cause', existed and 'replace' or 'create', 'ts', NOW_S)
if existed then return 0 end
return 1

-- usher waiting room: who is admitted when, derived from Redis time and
-- the admission rate, so that no process has to tick admission and every
-- usherd computes the same answer. Put after lib/select.lua at build
-- time, in the same chunk: its locals are this file's. lua/README.md
-- ("The waiting room") has the rules.
--
-- Keys:
--   K_QUEUE  zset, ticket -> place. Who joined before onsale_at has a
--            random place in [0, PRE_SPAN) (from usherd's getrandom: no
--            edge for coming early); who joined after has PRE_SPAN +
--            (join ms - onsale ms) * 1000 + a counter mod 1000 (first
--            come, first served). A ticket's position is its ZRANK.
--   K_QRATE  zset of rate segments "<A0>:<t0>:<rate>" scored by A0: from
--            t0 (ms) on, A(t) = A0 + rate / 60000 * (t - t0) positions are
--            admitted (rate per minute, 0 paused). A new segment starts
--            whenever the rate changes (queue_tick), so the admission time
--            of any position is exact: its segment is the last one whose
--            A0 is at most the position.
-- Meta fields: q_opens, q_onsale (ms), q_rate ("auto" or per minute),
-- q_session (s), q_max (seats a admission may hold), q_seq, q_state
-- ("" or "sold_out"), q_ok and q_fail (holds since the last tick), q_tick
-- (ms of the last tick), q_p (the last share of holds that succeeded,
-- taken once at least 10 holds were counted).

-- Everything here is local to one block and reached through the table
-- QUEUE: a script sent as EVAL is one chunk, and Lua allows it 200 locals.
local QUEUE = {PRE_SPAN = 1e15}
do
local PRE_SPAN = 1e15         -- pre-queue places are below it, later ones above
local QUEUE_PERIOD = 2000     -- ms between rate updates (queue_tick)
local AUTO_PARTY = 2          -- seats a buyer takes, about ("auto")
local AUTO_HORIZON_S = 20     -- "auto" admits the free seats' worth of buyers in this long

-- The event's queue settings, or nil when it has none.
local function queue_meta()
  local m = redis.call('HMGET', K_META, 'q_opens', 'q_onsale', 'q_rate', 'q_session', 'q_max',
                       'q_state')
  if not m[2] then return nil end
  return {opens = tonumber(m[1]), onsale = tonumber(m[2]), rate = m[3],
          session = tonumber(m[4]), max = tonumber(m[5]), state = m[6] or ''}
end

-- The event's queue settings, or nil and EVENT_NOT_FOUND / NO_QUEUE.
local function queue_or_fail()
  local q = queue_meta()
  if q then return q, nil end
  if redis.call('EXISTS', K_META) == 0 then return nil, fail('EVENT_NOT_FOUND') end
  return nil, fail('NO_QUEUE')
end

-- A segment member "<A0>:<t0>:<rate>" as numbers.
local function seg_parse(m)
  local a0, t0, r = string.match(m, '^([^:]+):([^:]+):([^:]+)$')
  return tonumber(a0), tonumber(t0), tonumber(r)
end

-- A new segment from t0 on. The score is A0 as the member writes it, so
-- a segment starting where the last one did sorts after it (by t0).
local function seg_add(a0, t0, r)
  local a = string.format('%.6f', a0)
  redis.call('ZADD', K_QRATE, a, a .. string.format(':%d:%.6f', t0, r))
end

-- How many positions are admitted at time t (ms), a real number. The
-- segments in index order are in time order too (A0 never falls, and
-- equal A0s sort by the member, whose t0 has 13 digits), so the one
-- holding t is found by halving: O(log segments) reads.
-- The last (current) segment: A0, t0 and rate; 0, 0, 0 for none.
local function seg_last()
  return seg_parse(redis.call('ZREVRANGE', K_QRATE, 0, 0)[1] or '0:0:0')
end

local function admitted_at(t)
  local a0, t0, r = seg_last()
  if t < t0 then
    local lo, hi = 0, redis.call('ZCARD', K_QRATE) - 2   -- the last segment starting at or before t
    local found = nil
    while lo <= hi do
      local mid = math.floor((lo + hi) / 2)
      local ma, mt, mr = seg_parse(redis.call('ZRANGE', K_QRATE, mid, mid)[1])
      if mt <= t then found = {ma, mt, mr} lo = mid + 1 else hi = mid - 1 end
    end
    if not found then return 0 end
    a0, t0, r = found[1], found[2], found[3]
  end
  return a0 + r * (t - t0) / 60000
end

-- When position p (0-based) was or will be admitted (ms), or nil while
-- the current rate is 0 and it has not been.
local function admit_time(p)
  local s = redis.call('ZREVRANGEBYSCORE', K_QRATE, p, '-inf', 'LIMIT', 0, 1)[1]
  if not s then return nil end
  local a0, t0, r = seg_parse(s)
  if r <= 0 then return nil end
  return t0 + (p + 1 - a0) * 60000 / r
end

-- The join time of a ticket that joined after onsale (its place), or
-- onsale for the pre-queue.
local function join_time(place, onsale)
  if place < PRE_SPAN then return onsale end
  return onsale + math.floor((place - PRE_SPAN) / 1000)
end

-- A ticket's state at `now`: status (waiting, admitted, expired,
-- sold_out), its position (nil before onsale), the admission time and
-- the session's end (admitted or expired), and the estimated wait in
-- seconds (waiting). nil when there is no such ticket.
local function ticket_state(q, ticket, now)
  local place = redis.call('ZSCORE', K_QUEUE, ticket)
  if not place then return nil end
  place = tonumber(place)
  if now < q.onsale then
    return {status = 'waiting', wait = math.ceil((q.onsale - now) / 1000)}
  end
  local pos = redis.call('ZRANK', K_QUEUE, ticket)
  local a = admitted_at(now)
  if pos + 1 <= a then
    local at = admit_time(pos) or now
    local joined = join_time(place, q.onsale)
    if at < joined then at = joined end
    local ends = math.floor(at + q.session * 1000)
    return {status = ends > now and 'admitted' or 'expired', pos = pos, at = at, ends = ends}
  end
  if q.state == 'sold_out' then return {status = 'sold_out', pos = pos} end
  local _, _, r = seg_last()
  return {status = 'waiting', pos = pos,
          wait = r > 0 and math.ceil((pos + 1 - a) * 60 / r) or nil}
end

-- The queue as a whole at `now`: joined, waiting, admitted (sessions
-- running), expired (sessions over), the rate per minute and the
-- seconds until everyone waiting is admitted at it (nil at rate 0).
local function queue_summary(q, now)
  local n = redis.call('ZCARD', K_QUEUE)
  local _, _, r = seg_last()
  if now < q.onsale then
    return {n, n, 0, 0, r, nil}
  end
  local a = math.floor(admitted_at(now))
  if a > n then a = n end
  local gone = math.floor(admitted_at(now - q.session * 1000))
  if gone > a then gone = a end
  local waiting = n - a
  return {n, waiting, a - gone, gone, r, r > 0 and math.ceil(waiting * 60 / r) or nil}
end

-- Free and held seats and places now (after lazy expiry by the caller).
local function stock()
  local status = redis.call('GET', K_STATUS) or ''
  local _, free = string.gsub(status, '%.', '')
  local _, held = string.gsub(status, 'h', '')
  for _, x in ipairs(cjson.decode(redis.call('HGET', K_META, 'areas') or '[]')) do
    local a = area_get(x.id)
    if a then
      free = free + a.c - a.h - a.s
      held = held + a.h
    end
  end
  return free, held
end

-- "auto": the free seats' worth of buyers (free / AUTO_PARTY) every
-- AUTO_HORIZON_S, scaled by p, the share of holds that succeeded; at
-- least 1 a minute. Seats held by those admitted are not free, so the
-- rate falls as they shop and rises again when holds lapse; buyers
-- finding only taken seats (p falls) slow it at once. (A controller on
-- "buyers shopping" was tried: Redis cannot tell a buyer who bought from
-- one still shopping, and it starved the sale; bench/README.md.)
local function auto_rate(free, p)
  local r = free / AUTO_PARTY * 60 / AUTO_HORIZON_S * p
  return r < 1 and 1 or r
end

-- The rate a queue starts at: its own, or auto_rate.
local function queue_first_rate(q)
  if q.rate ~= 'auto' then return tonumber(q.rate) end
  return auto_rate((stock()), 1)
end

-- The periodic update (sweep, every usherd, at most once a QUEUE_PERIOD
-- for all of them): sold out when nothing is free or held (admission
-- stops; it resumes if seats come back), paused while nothing is free
-- but some are held, else the fixed rate or, for "auto", auto_rate:
-- enough buyers shopping for the free seats, fewer when holds fail. Admission never
-- runs more than a period ahead of the queue: credit unused because
-- nobody waited is dropped. Returns the summary (queue_summary).
local function queue_tick(q, now)
  if now < q.onsale then return queue_summary(q, now) end
  local m = redis.call('HMGET', K_META, 'q_tick', 'q_ok', 'q_fail', 'q_p')
  local last_tick = tonumber(m[1] or '0')
  if now - last_tick < QUEUE_PERIOD then return queue_summary(q, now) end
  local ok, bad, p = tonumber(m[2] or '0'), tonumber(m[3] or '0'), tonumber(m[4] or '1')
  local counted = ok + bad >= 10  -- else the counts carry on to the next update
  if counted then p = ok / (ok + bad) end
  local free, held = stock()
  local state, rate = '', 0
  if free == 0 and held == 0 then
    state = 'sold_out'
  elseif free > 0 then
    if q.rate == 'auto' then
      rate = auto_rate(free, p)
    else
      rate = tonumber(q.rate)
    end
  end
  local n = redis.call('ZCARD', K_QUEUE)
  local a = admitted_at(now)
  local a0, _, r = seg_last()
  if a > n + rate * QUEUE_PERIOD / 60000 then
    -- nobody waited for that credit: dropped (never below the last
    -- segment's start: A never falls, so the segments stay in order)
    a = math.max(n, a0)
    r = -1                        -- (a new segment)
  end
  if math.abs(r - rate) > 1e-9 then seg_add(a, now, rate) end
  redis.call('HSET', K_META, 'q_tick', now, 'q_p', string.format('%.4f', p), 'q_state', state)
  if counted then redis.call('HSET', K_META, 'q_ok', 0, 'q_fail', 0) end
  q.state = state
  return queue_summary(q, now)
end

QUEUE.meta, QUEUE.or_fail, QUEUE.seg_add, QUEUE.admitted_at = queue_meta, queue_or_fail, seg_add,
  admitted_at
QUEUE.ticket_state, QUEUE.summary, QUEUE.first_rate, QUEUE.tick = ticket_state, queue_summary,
  queue_first_rate, queue_tick
end

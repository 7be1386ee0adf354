-- usher seat selection: an event's rows, their free runs, the orphan
-- rule, companion seats and best available. Put after lib/common.lua at
-- build time, in the same chunk: its locals are this file's.
--
-- Keys (lua/README.md, "Seat selection"), written by event_put from what
-- usherd built at PUT (server/picks.c):
--   K_PICK   5 bytes a seat at its index: flags (ACCESSIBLE, COMPANION),
--            category number (0 none), place in the quality order (u24,
--            0 the best seat)
--   K_ROWS   a ROW_BYTES record a row in seat-map order (first seat,
--            seats, best place, layout offset and length, section,
--            accessible seats, category: 255 mixed), then the row
--            numbers best row first (u32 each); all big-endian
--   K_RUNS   a byte a row: never below the row's longest run of free
--            seats (capped at 255). A hold only shortens runs, so it
--            writes nothing here; a freed seat marks its chunk in
--   K_DIRTY  a byte a DIRTY_SEATS chunk ('1': its rows' bounds may be
--            low), by status_flush. Best available measures a row it
--            looks at and writes the exact figure back, and cleans a few
--            dirty chunks a call, so the bounds stay near exact.
-- A row is skipped when its bound is below the seats asked for and none
-- of its chunks is dirty: work per call is the rows' bounds (a byte a
-- row) plus the rows that may have room, best first, until no later row
-- can beat the best block found.

local ROW_BYTES, SEAT_BYTES = 25, 5
local ACCESSIBLE, COMPANION = 1, 2
local CLEAN_CHUNKS = 8        -- dirty chunks measured a best-available call

local ROWS, NROWS, RUNS_W     -- this call's: K_ROWS (false: none), rows, bounds written

rows_forget = function() ROWS, NROWS, RUNS_W = nil, 0, {} end

-- Loads K_ROWS once a call; false for an event made before seat
-- selection (no such key).
local function rows_load()
  if ROWS == nil then
    ROWS = redis.call('GET', K_ROWS) or false
    NROWS = ROWS and math.floor(#ROWS / (ROW_BYTES + 4)) or 0
  end
  return ROWS
end

-- Row r (0-based, seat-map order): first seat, seats, best place, layout
-- offset, layout length, section (0-based), accessible seats, category.
-- (string.byte: struct.unpack aligns its fields to the string's start.)
local function u32(o)
  local a, b, c, d = string.byte(ROWS, o, o + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

local function row_get(r)
  local o = r * ROW_BYTES + 1
  local s1, s2, n1, n2 = string.byte(ROWS, o + 20, o + 23)
  return u32(o), u32(o + 4), u32(o + 8), u32(o + 12), u32(o + 16), s1 * 256 + s2,
         n1 * 256 + n2, string.byte(ROWS, o + 24)
end

-- The row of seat index x (a number).
local function row_of(x)
  local lo, hi = 0, NROWS - 1
  while lo < hi do
    local mid = math.floor((lo + hi + 1) / 2)
    if u32(mid * ROW_BYTES + 1) <= x then lo = mid else hi = mid - 1 end
  end
  return lo
end

-- The row that is k-th best (0-based).
local function row_ranked(k)
  return u32(NROWS * ROW_BYTES + k * 4 + 1)
end

-- The status bytes of seats start .. start + len - 1. Callers flush()
-- first, so Redis holds what this call did so far.
local function row_status(start, len)
  return redis.call('GETRANGE', K_STATUS, start, start + len - 1)
end

-- Calls f(a, b) for each run of free seats in status string s (1-based,
-- inclusive; f may be nil); returns the longest run's length.
local function runs_each(s, f)
  local at, best = 1, 0
  while true do
    local a, b = string.find(s, '%.+', at)
    if not a then return best end
    if b - a + 1 > best then best = b - a + 1 end
    if f then f(a, b) end
    at = b + 1
  end
end

local function bound_get(runs, r)
  return RUNS_W[r] or string.byte(runs, r + 1) or 255
end

-- Row r's longest free run is v: the bound becomes exact.
local function bound_set(runs, r, v)
  if v > 255 then v = 255 end
  if bound_get(runs, r) ~= v then
    RUNS_W[r] = v
    redis.call('SETRANGE', K_RUNS, r, string.char(v))
  end
end

local function row_dirty(dirty, start, len)
  for c = math.floor(start / DIRTY_SEATS), math.floor((start + len - 1) / DIRTY_SEATS) do
    if string.byte(dirty, c + 1) == 49 then return true end
  end
  return false
end

-- Whether row r (start, len) may have a free run of n seats: its bound
-- says so, or a seat in it was freed since it was measured.
local function row_may_fit(runs, dirty, r, start, len, n)
  return bound_get(runs, r) >= n or row_dirty(dirty, start, len)
end

-- A row's K_PICK bytes (seat_info reads them).
local function row_pick(start, len)
  return redis.call('GETRANGE', K_PICK, start * SEAT_BYTES, (start + len) * SEAT_BYTES - 1)
end

-- Measures the rows of up to `limit` dirty chunks and clears them.
-- Returns the dirty string as it is then.
local function dirty_clean(runs, dirty, limit)
  local at = 1
  for _ = 1, limit do
    local c = string.find(dirty, '1', at, true)
    if not c then break end
    local first, last = (c - 1) * DIRTY_SEATS, c * DIRTY_SEATS - 1
    local r = row_of(first)
    while r < NROWS do
      local start, len = row_get(r)
      if start > last then break end
      bound_set(runs, r, runs_each(row_status(start, len)))
      r = r + 1
    end
    redis.call('SETRANGE', K_DIRTY, c - 1, '0')
    dirty = string.sub(dirty, 1, c - 1) .. '0' .. string.sub(dirty, c + 1)
    at = c + 1
  end
  return dirty
end

-- A seat's flags, category number and place from a row's K_PICK bytes p
-- (i: 0-based in the row).
local function seat_info(p, i)
  local o = i * SEAT_BYTES + 1
  local f, c, h, m, l = string.byte(p, o, o + 4)
  return f, c, h * 65536 + m * 256 + l
end

-- The seat ids of a row from its layout lines (lua/README.md: a range
-- line *prefix TAB from TAB to, or a line a seat): a function of the
-- seat's 0-based place in the row.
local function row_ids(loff, llen)
  local text = redis.call('GETRANGE', K_LAYOUT, loff, loff + llen - 1)
  if string.byte(text, 1) == 42 then            -- '*'
    local prefix, from = string.match(text, '^%*([^\t]*)\t(%d+)\t')
    from = tonumber(from)
    return function(i) return prefix .. string.format('%d', from + i) end
  end
  local ids = {}
  for line in string.gmatch(text, '([^\n]*)\n') do
    ids[#ids + 1] = string.match(line, '^[^,]*')
  end
  return function(i) return ids[i + 1] end
end

-- ---- rules for seats a caller names ----

-- The seat ids a hold of the seats at indexes idx (n) would strand under
-- no_single_gaps, or nil. own: indexes (numbers, as keys) the hold has
-- now, counted free (a change places the hold anew). For every free run
-- the hold takes k seats of, a free seat left alone between taken seats
-- or a taken seat and the row's end strands, unless the run has k + 1
-- seats (then every placement leaves one). The rows' status is Redis' as
-- this call left it (flushed first).
local function orphans_left(idx, n, own)
  if not rows_load() then return nil end
  flush()
  local by_row, stranded = {}, nil
  for i = 1, n do
    local x = tonumber(idx[i])
    local r = row_of(x)
    local t = by_row[r]
    if not t then t = {} by_row[r] = t end
    t[x] = true
  end
  for r, mine in pairs(by_row) do
    local start, len, _, loff, llen = row_get(r)
    local s = row_status(start, len)
    if own then
      for x in pairs(own) do
        if x >= start and x < start + len then
          s = string.sub(s, 1, x - start) .. '.' .. string.sub(s, x - start + 2)
        end
      end
    end
    local ids
    runs_each(s, function(a, b)
      local k, gap, singles = 0, 0, {}
      for p = a, b do
        if mine[start + p - 1] then
          if gap == 1 then singles[#singles + 1] = p - 1 end
          k, gap = k + 1, 0
        else
          gap = gap + 1
        end
      end
      if k > 0 and gap == 1 then singles[#singles + 1] = b end
      if #singles > 0 and b - a + 1 - k ~= 1 then
        ids = ids or row_ids(loff, llen)
        stranded = stranded or {}
        for _, p in ipairs(singles) do stranded[#stranded + 1] = ids(p - 1) end
      end
    end)
  end
  return stranded
end

-- The companion seats among seats (indexes idx, n of them) without an
-- accessible seat of their row among them, or nil.
local function companions_alone(seats, idx, n)
  if not rows_load() then return nil end
  local comp, acc
  for i = 1, n do
    local x = tonumber(idx[i])
    local f = string.byte(redis.call('GETRANGE', K_PICK, x * SEAT_BYTES, x * SEAT_BYTES)) or 0
    if f % 4 >= COMPANION then
      comp = comp or {}
      comp[#comp + 1] = i
    elseif f % 2 == ACCESSIBLE then
      acc = acc or {}
      acc[row_of(x)] = true
    end
  end
  if not comp then return nil end
  local bad
  for _, i in ipairs(comp) do
    if not (acc and acc[row_of(tonumber(idx[i]))]) then
      bad = bad or {}
      bad[#bad + 1] = seats[i]
    end
  end
  return bad
end

-- ---- best available ----

-- The numbers of the names in list (ids of meta's sections, or its
-- categories) as a set, or nil and the names that match none.
local function names_set(list, known)
  if #list == 0 then return nil, nil end
  local set, unknown = {}, nil
  for _, name in ipairs(list) do
    local no = known[name]
    if no then set[no] = true else unknown = unknown or {} unknown[#unknown + 1] = name end
  end
  return set, unknown
end

-- The best block of n free seats next to each other in row r (start,
-- len), as (tier, sum of places, first 1-based position) or nil. A
-- block's tier: +1 when it strands a single seat in its run (refused
-- outright under the rule unless its run has n + 1 seats), +2 when it
-- takes accessible or companion seats nobody asked for. It must hold
-- `acc` accessible seats, a companion seat only beside an accessible one,
-- and (cats given, the row's category mixed) only seats of cats.
local function row_best_block(s, start, len, n, q)
  local p
  local bt, bs, bo
  runs_each(s, function(a, b)
    if b - a + 1 < n then return end
    p = p or row_pick(start, len)
    local ordv, fl, bad = {}, {}, {}
    for c0 = a, b, 1000 do             -- string.byte's values in pieces
      local c1 = math.min(b, c0 + 999)
      local v = {string.byte(p, (c0 - 1) * SEAT_BYTES + 1, c1 * SEAT_BYTES)}
      local k = 1
      for i = c0, c1 do
        local f = v[k]
        ordv[i] = (v[k + 2] * 256 + v[k + 3]) * 256 + v[k + 4]
        fl[i] = f
        bad[i] = (q.mixed_cats and not q.cats[v[k + 1]]) and 1 or 0
        k = k + SEAT_BYTES
      end
    end
    local sum, nacc, ncomp, nbad = 0, 0, 0, 0
    for i = a, b do
      sum = sum + ordv[i]
      nacc = nacc + fl[i] % 2
      ncomp = ncomp + (fl[i] % 4 >= COMPANION and 1 or 0)
      nbad = nbad + bad[i]
      local o = i - n + 1            -- the block o .. i
      if o > a then
        local j = o - 1
        sum = sum - ordv[j]
        nacc = nacc - fl[j] % 2
        ncomp = ncomp - (fl[j] % 4 >= COMPANION and 1 or 0)
        nbad = nbad - bad[j]
      end
      if o >= a and nbad == 0 and nacc >= q.acc and (ncomp == 0 or nacc > 0) then
        local left, right, t = o - a, b - i, 0
        local ok = true
        if left == 1 or right == 1 then
          if q.rule and b - a + 1 ~= n + 1 then ok = false end
          t = 1
        end
        if q.acc == 0 and nacc + ncomp > 0 then t = t + 2 end
        if ok and (not bt or t < bt or (t == bt and sum < bs)) then
          bt, bs, bo = t, sum, o
        end
      end
    end
  end)
  return bt, bs, bo
end

-- Free seats of row r for a split choice, in runs, left-aligned pieces
-- that leave no run one seat long under the rule: appends {index, id,
-- place} to out until `need` are there; `want(f)` says which seats
-- (accessible ones, or plain ones). Returns how many it added.
local function row_split(s, start, len, loff, llen, need, q, want, out)
  local p = row_pick(start, len)
  local ids, got = nil, 0
  runs_each(s, function(a, b)
    local i = a
    while i <= b and got < need do
      local j = i                    -- a stretch of wanted seats i .. j - 1
      while j <= b do
        local f, c = seat_info(p, j - 1)
        if not want(f) or (q.mixed_cats and not q.cats[c]) then break end
        j = j + 1
      end
      local l = j - i
      local t = math.min(need - got, l)
      if q.rule and l - t == 1 then t = t > 1 and t - 1 or 0 end
      for k = i, i + t - 1 do
        local _, _, o = seat_info(p, k - 1)
        ids = ids or row_ids(loff, llen)
        out[#out + 1] = {start + k - 1, ids(k - 1), o}
      end
      got = got + t
      i = j + 1
    end
  end)
  return got
end

-- The rows (seat-map order) whose bound is at least n, when there are
-- at most FEW_ROWS of them; else nil. The scan is string.find's, in C.
local FEW_ROWS = 64
local function rows_with_room(runs, n, limit)
  limit = limit or FEW_ROWS
  if n > 255 then n = 255 end
  local c = string.char(n)
  local pat
  if n == 255 then
    pat = '\255'
  elseif string.find(c, '[%]%^%%%-]') then   -- magic in a set: escape it, range from n + 1
    pat = '[%' .. c .. string.char(n + 1) .. '-\255]'
  else
    pat = '[' .. c .. '-\255]'
  end
  local out, at = {}, 1
  while true do
    local i = string.find(runs, pat, at)
    if not i then return out end
    if #out == limit then return nil end
    out[#out + 1] = i - 1
    at = i + 1
  end
end

-- Whether row r passes q's filters (sections, accessible places, a
-- category of the row or a row of mixed ones); with them, its fields.
local function row_passes(q, r)
  local start, len, minord, loff, llen, sec, nacc, cat = row_get(r)
  return (not q.secs or q.secs[sec]) and nacc >= q.acc and
         (not q.cats or cat == 255 or q.cats[cat]),
         start, len, minord, loff, llen, cat
end

-- The rows passing the filters that may have a free seat: with no dirty
-- chunk, those the bounds say (a scan of them, in C), best first when
-- `ranked`; else every row passing the filters, best first.
local function rows_matching(q, runs, dirty, ranked)
  local out, list = {}, nil
  if not string.find(dirty, '1', 1, true) then list = rows_with_room(runs, 1, NROWS + 1) end
  if list then
    local key = {}
    for _, r in ipairs(list) do
      local ok, _, _, minord = row_passes(q, r)
      if ok then out[#out + 1] = r key[r] = minord end
    end
    if ranked then table.sort(out, function(x, y) return key[x] < key[y] end) end
    return out
  end
  for k = 0, NROWS - 1 do
    local r = row_ranked(k)
    if row_passes(q, r) then out[#out + 1] = r end
  end
  return out
end

-- Whether any row passes the filters at all (422 when none does).
local function rows_any(q)
  if not q.secs and not q.cats and q.acc == 0 then return NROWS > 0 end
  for k = 0, NROWS - 1 do
    if row_passes(q, row_ranked(k)) then return true end
  end
  return false
end

-- The first best-available call of an event starts its bounds: until
-- now no freed seat marked its chunk (SELECTING), so any bound may be
-- low; each row's length is a bound whatever its seats, and from here on
-- every freed seat marks its chunk.
local function selection_begin()
  if SELECTING == nil then SELECTING = redis.call('HGET', K_META, 'selecting') == '1' end
  if SELECTING then return end
  local b = {}
  for r = 0, NROWS - 1 do
    local _, len = row_get(r)
    b[r + 1] = string.char(len < 255 and len or 255)
  end
  redis.call('SET', K_RUNS, table.concat(b))
  redis.call('SET', K_DIRTY, string.rep('0', string.len(redis.call('GET', K_DIRTY) or '')))
  redis.call('HSET', K_META, 'selecting', '1')
  SELECTING = true
end

-- Chooses n seats (q: acc, sections, cats, mixed_cats, rule, together,
-- split) as lua/README.md's "Best available" says. Returns the indexes
-- (decimal strings, as K_SEATS gives them), the ids, whether they are
-- next to each other and the sum of their places; or nil and an error.
local function best_choose(n, q)
  if not rows_load() then return nil, fail('BEST_AVAILABLE_UNSUPPORTED') end
  flush()
  selection_begin()
  local runs = redis.call('GET', K_RUNS) or ''
  local dirty = dirty_clean(runs, redis.call('GET', K_DIRTY) or '', CLEAN_CHUNKS)
  if next(RUNS_W) then runs = redis.call('GET', K_RUNS) or '' RUNS_W = {} end
  if not rows_any(q) then return nil, fail('NO_MATCHING_SEATS') end
  local bt, bs, bo, brow
  -- Few rows with room (a full house) and no dirty chunk left: only
  -- those, found by a pattern scan of the bounds; else every row, best
  -- first, until no later row can beat the best block.
  local few = not string.find(dirty, '1', 1, true) and rows_with_room(runs, n)
  local nwalk = q.together and (few and #few or NROWS) or 0
  for k = 0, nwalk - 1 do
    local r = few and few[k + 1] or row_ranked(k)
    local ok, start, len, minord, _, _, cat = row_passes(q, r)
    if ok then
      if not few and bt == 0 and n * minord >= bs then break end
      if len >= n and row_may_fit(runs, dirty, r, start, len, n) then
        local s = row_status(start, len)
        bound_set(runs, r, runs_each(s))
        q.mixed_cats = q.cats and cat == 255
        local t, sum, o = row_best_block(s, start, len, n, q)
        if t and (not bt or t < bt or (t == bt and sum < bs)) then
          bt, bs, bo, brow = t, sum, o, r
        end
      end
    end
  end
  if bt then
    local start, len, _, loff, llen = row_get(brow)
    local ids = row_ids(loff, llen)
    local idx, seats = {}, {}
    for i = 0, n - 1 do
      idx[i + 1] = string.format('%d', start + bo - 1 + i)
      seats[i + 1] = ids(bo - 1 + i)
    end
    return idx, seats, true, bs
  end
  local rows = rows_matching(q, runs, dirty, q.split or not q.together)
  if q.together and not q.split then
    -- no block: say whether n free seats are there at all
    local free = 0
    for _, r in ipairs(rows) do
      local start, len = row_get(r)
      if row_may_fit(runs, dirty, r, start, len, 1) then
        local _, c = string.gsub(row_status(start, len), '%.', '')
        free = free + c
        if free >= n then return nil, fail('NO_SEATS_TOGETHER') end
      end
    end
    return nil, fail('NOT_ENOUGH_SEATS')
  end
  -- split: the best rows first, accessible seats first when asked for
  local out, sum = {}, 0
  local function take(need, want)
    local got = 0
    for _, r in ipairs(rows) do
      if got >= need then break end
      local start, len, _, loff, llen, _, _, cat = row_get(r)
      if row_may_fit(runs, dirty, r, start, len, 1) then
        q.mixed_cats = q.cats and cat == 255
        got = got + row_split(row_status(start, len), start, len, loff, llen, need - got, q,
                              want, out)
      end
    end
    return got
  end
  if q.acc > 0 and take(q.acc, function(f) return f % 2 == ACCESSIBLE end) < q.acc then
    return nil, fail('NOT_ENOUGH_SEATS')
  end
  if take(n - q.acc, function(f) return f % 4 == 0 end) < n - q.acc then
    return nil, fail('NOT_ENOUGH_SEATS')
  end
  local idx, seats = {}, {}
  for i, e in ipairs(out) do
    idx[i] = string.format('%d', e[1])
    seats[i] = e[2]
    sum = sum + e[3]
  end
  return idx, seats, false, sum
end

-- ---- hold or suggest ----

-- The block of n free seats next to each other in row r (start, len,
-- status s) nearest to column col (0-based in the row): returns its first
-- 1-based position and its distance (tier first: +1 when it strands a
-- single seat, refused under `rule` unless its run has n + 1 seats; +2
-- when it takes accessible or companion seats; a companion seat only
-- beside an accessible one in the block), or nil.
local function row_near_block(s, start, len, n, col, rule)
  local p, bo, bd
  runs_each(s, function(a, b)
    if b - a + 1 < n then return end
    p = p or row_pick(start, len)
    for o = a, b - n + 1 do
      local left, right, t = o - a, b - (o + n - 1), 0
      if left == 1 or right == 1 then t = 1 end
      if not (t == 1 and rule and b - a + 1 ~= n + 1) then
        local nacc, ncomp = 0, 0
        for i = o, o + n - 1 do
          local f = seat_info(p, i - 1)
          nacc = nacc + f % 2
          ncomp = ncomp + (f % 4 >= COMPANION and 1 or 0)
        end
        if ncomp == 0 or nacc > 0 then
          if nacc + ncomp > 0 then t = t + 2 end
          local d = t * 1000000 + math.abs(o - 1 - col)
          if not bd or d < bd then bo, bd = o, d end
        end
      end
    end
  end)
  return bo, bd
end

-- What to offer instead of the n seats at indexes idx that could not be
-- held: the ids of the block of n free seats next to each other nearest
-- to them (the rows of their section outward from the first seat's, up to
-- SUGGEST_ROWS each way, the nearest column first), else the best block of
-- their section, else nil. Under `rule` (no_single_gaps) no block that
-- would strand a seat is offered.
local SUGGEST_ROWS = 16
local function suggest_near(idx, n, rule)
  if n == 0 or not rows_load() then return nil end
  flush()
  local x0 = tonumber(idx[1])
  for i = 2, n do x0 = math.min(x0, tonumber(idx[i])) end
  local r0 = row_of(x0)
  local start0, _, _, _, _, sec0 = row_get(r0)
  local col = x0 - start0
  for d = 0, SUGGEST_ROWS do
    local bd, brow, bo
    for _, r in ipairs(d == 0 and {r0} or {r0 - d, r0 + d}) do
      if r >= 0 and r < NROWS then
        local start, len, _, _, _, sec = row_get(r)
        if sec == sec0 and len >= n then
          local o, dist = row_near_block(row_status(start, len), start, len, n, col, rule)
          if o and (not bd or dist < bd) then bd, brow, bo = dist, r, o end
        end
      end
    end
    if brow then
      local _, _, _, loff, llen = row_get(brow)
      local ids, out = row_ids(loff, llen), {}
      for i = 0, n - 1 do out[i + 1] = ids(bo - 1 + i) end
      return out
    end
  end
  local got, seats = best_choose(n, {together = true, acc = 0, rule = rule,
                                     secs = {[sec0] = true}})
  return got and seats or nil
end

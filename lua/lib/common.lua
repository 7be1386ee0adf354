-- usher common prelude: prepended to every script in lua/ at build time
-- (see CMakeLists.txt), so each operation stays one self-contained script
-- that Redis runs atomically. Lua 5.1 only: Redis embeds 5.1.
--
-- Every script is called with the same keys of one event, all sharing the
-- Cluster hash tag {event}. Their names and order are lua/keys.list's: the
-- build puts a local K_<NAME> for each in front of this file, bound to
-- KEYS by keys_bind (K_META = KEYS[1], ...), and EVENT_KEYS, their
-- count; lua/README.md documents what each holds.
--
-- usherd loads all scripts as one Redis Functions library: this file
-- then runs once, when the library loads, and its functions and the
-- state below live from call to call; call_begin() makes that state the
-- call's own. Sent as EVAL scripts (tests, bench, a Redis without
-- FUNCTION), it runs on every call, as before.
--
-- Every script starts with call_begin(KEYS) (the build puts it there) and
-- ends in `return finish(result)`: its hold records, seat owners, status
-- bytes, expiry and tombstone zsets and journal entries are collected
-- while it runs (later reads of the same call see them) and made there,
-- merged into a few commands.

-- The globals the scripts use, as locals: a global is a table lookup at
-- every use, and in a Functions library a second one through the
-- library's environment (about 2,700 instructions an operation). A
-- library's load sees none of them, so call_begin takes them, every call.
local function globals_get()
  return redis, string, table, math, cmsgpack, cjson,
         tonumber, tostring, ipairs, pairs, next, unpack, type
end
local redis, string, table, math, cmsgpack, cjson,
      tonumber, tostring, ipairs, pairs, next, unpack, type

local TOMB_MS = 3600000      -- expired holds answer 410 for an hour
local JOURNAL_MAX_DEFAULT = '100000'

-- Milliseconds since the epoch, from Redis: every usherd agrees on it.
-- One TIME per call: every change of one call shares its instant.
local NOW, NOW_S
local function now_ms()
  if not NOW then
    local t = redis.call('TIME')
    NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    NOW_S = string.format('%d', NOW)
  end
  return NOW
end

-- True when `ms` (milliseconds since the epoch as a decimal string, as
-- records keep them) is now or past. Two such strings of one length
-- compare as their numbers do (13 digits from 2001 to 2286), with no
-- conversion to a number.
local function ms_due(ms)
  now_ms()
  if #ms == #NOW_S then return ms <= NOW_S end
  return tonumber(ms) <= NOW
end

local function fail(code, list)
  if list and #list > 0 then
    return redis.error_reply(code .. ' ' .. table.concat(list, ' '))
  end
  return redis.error_reply(code)
end

-- ---- deferred writes ----

-- The journal: each entry is one change of seat status, its seats (ids
-- only: never hold or order ids), the new status, the cause and the time.
-- A change joins an earlier entry of this call with the same status and
-- cause when no entry since touched any of its seats, so every seat's
-- changes keep their order while a call of many requests adds a few
-- entries instead of one each.
local J                 -- {seats = {...}, status, cause}
local J_LAST            -- status -> cause -> index in J of its last entry
local J_SEAT            -- seat -> index in J of its last change; nil while
                        -- J has one entry (then every change may join it)
local journal_max

local function journal(seats, status, cause)
  local n = #seats
  if n == 0 then return end
  local by_cause = J_LAST[status]
  if not by_cause then
    by_cause = {}
    J_LAST[status] = by_cause
  end
  local last = #J
  local at = by_cause[cause]
  if at and at ~= last then     -- joins an earlier entry only past no later one
    for i = 1, n do
      local l = J_SEAT[seats[i]]
      if l and l > at then at = nil break end
    end
  end
  local list
  if at then
    list = J[at].seats
  else
    at = last + 1
    list = {}
    J[at] = {seats = list, status = status, cause = cause}
    by_cause[cause] = at
    if at == 2 then             -- two entries now: say where each seat is
      J_SEAT = {}
      local first = J[1].seats
      for i = 1, #first do J_SEAT[first[i]] = 1 end
    end
  end
  local m = #list
  for i = 1, n do list[m + i] = seats[i] end
  if J_SEAT then
    for i = 1, n do J_SEAT[seats[i]] = at end
  end
end

-- The expiry zset (live holds by expiry) and the tombstones (expired
-- holds by when they may be forgotten): member -> score string, or false
-- for a removal.
local EXP, TOMBS

local function zset_put(t, hid, score) t[hid] = score end
local function zset_del(t, hid) t[hid] = false end

-- Sends `cmd key` with args[from..] in pieces of at most `step` (Lua's
-- unpack takes a few thousand values at most).
local function call_chunked(cmd, key, args)
  local step = 4000
  for i = 1, #args, step do
    local last = i + step - 1
    if last > #args then last = #args end
    redis.call(cmd, key, unpack(args, i, last))
  end
end

-- Makes the deferred changes of map t (member -> value, false for a
-- removal) to `key`: one removing command, then one setting command
-- (ZADD takes the score before the member, HSET the field first).
local function map_flush(key, t, del_cmd, set_cmd, value_first)
  local del, set = {}, {}
  for m, v in pairs(t) do
    if v == false then
      del[#del + 1] = m
    elseif value_first then
      set[#set + 1] = v
      set[#set + 1] = m
    else
      set[#set + 1] = m
      set[#set + 1] = v
    end
  end
  if #del > 0 then call_chunked(del_cmd, key, del) end
  if #set > 0 then call_chunked(set_cmd, key, set) end
end

-- The hold records, seat owners and status bytes this call wrote, read
-- back by its later operations before Redis is asked: hid -> encoded
-- record or false (deleted); seat -> owner or false; status index ->
-- byte. Made at the end: one HSET and HDEL each, a SETRANGE a byte.
local HOLDS_W, OWNER_W, STATUS_W

local function owner_get(seat)
  local w = OWNER_W[seat]
  if w ~= nil then return w or nil end
  return redis.call('HGET', K_OWNER, seat)
end
local function owner_set(seat, who) OWNER_W[seat] = who end
local function owner_del(seat) OWNER_W[seat] = false end

local function status_get(idx)
  return STATUS_W[idx] or redis.call('GETRANGE', K_STATUS, idx, idx)
end
local function status_set(idx, byte) STATUS_W[idx] = byte end

-- A freed seat marks its chunk of DIRTY_SEATS seats in usher:{E}:dirty:
-- the per-row upper bounds of free runs (usher:{E}:runs) that seat
-- selection skips rows by may be too low there (lib/select.lua).
local DIRTY_SEATS = 64
-- Whether the event's bounds are kept (meta `selecting`, set by the first
-- best-available call): until then no freed seat marks anything, so an
-- event that never asks for best available pays nothing for it. nil:
-- not read yet this call.
local SELECTING

-- One SETRANGE a changed byte: BITFIELD's four arguments a byte (SET u8
-- #idx value) cost more than a command of its own. The dirty chunks of
-- freed seats: a SETRANGE each for one or two, else the string read and
-- written whole (64 releases of a call mark up to 64 chunks, and a
-- SETRANGE each was 7 % of a hold+release pair's instructions;
-- bench/README.md).
local function status_flush()
  local dirty
  for idx, byte in pairs(STATUS_W) do
    redis.call('SETRANGE', K_STATUS, idx, byte)
    if byte == '.' then
      if SELECTING == nil then SELECTING = redis.call('HGET', K_META, 'selecting') == '1' end
      if SELECTING then
        local c = idx / DIRTY_SEATS
        dirty = dirty or {}
        dirty[c - c % 1] = true
      end
    end
  end
  if not dirty then return end
  local list = {}
  for c in pairs(dirty) do list[#list + 1] = c end
  if #list < 3 then
    for _, c in ipairs(list) do redis.call('SETRANGE', K_DIRTY, c, '1') end
    return
  end
  -- many (a call of 64 releases): the string read, changed and written
  -- whole, two commands instead of one a chunk
  table.sort(list)
  local d, parts, at = redis.call('GET', K_DIRTY) or '', {}, 1
  for _, c in ipairs(list) do
    if string.byte(d, c + 1) == 48 then          -- '0': not marked yet
      parts[#parts + 1] = string.sub(d, at, c)
      parts[#parts + 1] = '1'
      at = c + 2
    end
  end
  if at > 1 then
    parts[#parts + 1] = string.sub(d, at)
    redis.call('SET', K_DIRTY, table.concat(parts))
  end
end

-- Before the journal's entries are written: its trim length and the
-- call's time.
local function journal_begin()
  if not journal_max then
    journal_max = redis.call('HGET', K_META, 'journal_max') or JOURNAL_MAX_DEFAULT
  end
  now_ms()
end

-- ---- general-admission areas ----

-- An area is sold by quantity, not by seat (lua/README.md): usher:{E}:areas
-- keeps per area `c:<id>` its capacity, `h:<id>` the quantity held and
-- `s:<id>` the quantity sold, and per order `o:<order>` the quantities
-- still sold to it ("<id>=<n> ..."). A hold's record keeps its own
-- ("<id>=<n> ..."). In the arguments of a hold or a change an area is a
-- token "@<id>=<n>" after the seat ids: '@' and '=' are in no id.
-- AREA_W: area id -> {c, h, s, w} (numbers; w: changed) as this call
-- left it, false for an area the event lacks; AJ: the area journal,
-- entries {id, n, status, cause, held, sold} in order.
local AREA_W, AJ

-- "<id>=<n> ..." into a list of {id, n}; '' or nil gives {}.
local function areas_decode(str)
  local list = {}
  if str then
    for id, n in string.gmatch(str, '([^ =]+)=(%d+)') do list[#list + 1] = {id, tonumber(n)} end
  end
  return list
end

local function areas_encode(list)
  local out = {}
  for i, a in ipairs(list) do out[i] = a[1] .. '=' .. string.format('%d', a[2]) end
  return table.concat(out, ' ')
end

-- Area `id` of this event as this call sees it, or nil.
local function area_get(id)
  local a = AREA_W[id]
  if a == nil then
    local v = redis.call('HMGET', K_AREAS, 'c:' .. id, 'h:' .. id, 's:' .. id)
    a = v[1] and {c = tonumber(v[1]), h = tonumber(v[2] or '0'), s = tonumber(v[3] or '0')} or false
    AREA_W[id] = a
  end
  return a or nil
end

-- Moves n of area id: dh to its held quantity, ds to its sold one, and
-- journals it with `status` (held, reserved, available) and `cause`.
local function area_move(id, n, dh, ds, status, cause)
  local a = area_get(id)
  a.h, a.s, a.w = a.h + dh, a.s + ds, true
  AJ[#AJ + 1] = {id, n, status, cause, a.h, a.s}
end

-- The quantities of the order `oid` still sold, by area id.
local function order_areas(oid)
  local by = {}
  for _, a in ipairs(areas_decode(redis.call('HGET', K_AREAS, 'o:' .. oid))) do
    by[a[1]] = a[2]
  end
  return by
end

-- Splits the n hold arguments list[first..] into the seat ids (the first
-- ns) and the area tokens "@<id>=<n>" after them. Returns ns and the
-- areas ({id, n} each; nil for none), or nil and an UNKNOWN_AREAS error
-- naming the areas the event lacks.
local function areas_args(list, first, n)
  local ns = n
  while ns > 0 and string.byte(list[first + ns - 1], 1) == 64 do ns = ns - 1 end
  if ns == n then return n, nil end
  local areas, unknown = {}, nil
  for i = first + ns, first + n - 1 do
    local id, q = string.match(list[i], '^@([^=]+)=(%d+)$')
    if not id or not area_get(id) then
      unknown = unknown or {}
      unknown[#unknown + 1] = id or list[i]
    end
    areas[#areas + 1] = {id, tonumber(q)}
  end
  if unknown then return nil, fail('UNKNOWN_AREAS', unknown) end
  return ns, areas
end

-- The sum of the quantities of an {id, n} list (nil: 0).
local function areas_total(list)
  local t = 0
  for _, a in ipairs(list or {}) do t = t + a[2] end
  return t
end

-- The ids among `want` ({id, n} list) whose area has fewer places free
-- than n beyond what `have` (id -> quantity, or nil) holds already, or nil.
local function areas_short(want, have)
  local bad
  for _, a in ipairs(want) do
    local x, more = area_get(a[1]), a[2] - (have and have[a[1]] or 0)
    if more > 0 and x.c - x.h - x.s < more then
      bad = bad or {}
      bad[#bad + 1] = a[1]
    end
  end
  return bad
end

-- The counts and the area journal, after the seat journal.
local function areas_flush()
  local set = {}
  for id, a in pairs(AREA_W) do
    if a and a.w then
      set[#set + 1] = 'h:' .. id
      set[#set + 1] = string.format('%d', a.h)
      set[#set + 1] = 's:' .. id
      set[#set + 1] = string.format('%d', a.s)
      a.w = nil
    end
  end
  if #set > 0 then redis.call('HSET', K_AREAS, unpack(set)) end
  if #AJ > 0 then
    journal_begin()
    for _, e in ipairs(AJ) do
      redis.call('XADD', K_JOURNAL, 'MAXLEN', '~', journal_max, '*', 'seats', '',
                 'status', e[3], 'cause', e[4], 'ts', NOW_S, 'area', e[1],
                 'quantity', string.format('%d', e[2]), 'held', string.format('%d', e[5]),
                 'sold', string.format('%d', e[6]))
    end
    AJ = {}
  end
end


-- Makes every deferred write: records, owners and statuses, the zsets,
-- then the journal in order.
local function flush()
  if next(HOLDS_W) then map_flush(K_HOLDS, HOLDS_W, 'HDEL', 'HSET') HOLDS_W = {} end
  if next(OWNER_W) then map_flush(K_OWNER, OWNER_W, 'HDEL', 'HSET') OWNER_W = {} end
  if next(STATUS_W) then status_flush() STATUS_W = {} end
  if next(EXP) then map_flush(K_EXPIRY, EXP, 'ZREM', 'ZADD', true) EXP = {} end
  if next(TOMBS) then map_flush(K_TOMBS, TOMBS, 'ZREM', 'ZADD', true) TOMBS = {} end
  if #J > 0 then
    journal_begin()
    for _, e in ipairs(J) do
      redis.call('XADD', K_JOURNAL, 'MAXLEN', '~', journal_max, '*', 'seats',
                 table.concat(e.seats, ' '), 'status', e.status, 'cause', e.cause,
                 'ts', NOW_S)
    end
    J, J_LAST, J_SEAT = {}, {}, nil
  end
  if next(AREA_W) then areas_flush() end
end


local function finish(result)
  flush()
  return result
end

-- ---- hold records ----

-- A hold record, usher:{E}:holds[hold id], is MessagePack (cmsgpack, in
-- Redis' Lua: decoding one is about a tenth of cjson's and of splitting a
-- string in Lua) of ten values in this order:
--   state    'held', 'reserved' or 'expired' (a tombstone)
--   created  ms since the epoch (Redis TIME), as a decimal string
--   expires  likewise (strings: the answers and the expiry zset take them
--            as they are, with no number formatting)
--   listed   true while the hold is on its holder's list in usher:{E}:holders
--   holder   the holder id, '' for none
--   order    the order id once reserved, ''
--   key      its Idempotency-Key's field in usher:{E}:idem (scoped), ''
--   print    the request's fingerprint (seats|holder|ttl), with a key, ''
--   seats    the seat ids, in the order they were asked for
--   indexes  their indexes in the status string (freeing needs no lookup)
--   pick     for a hold best available chose: "<1|0> <quality>", next
--            to each other or not, and its quality (0..1); else '' when
--            areas follow, else absent
--   areas    for a hold with general-admission places: its quantities,
--            "<id>=<n> ..."; else '' when a queue key follows, else absent
--   queue    only for a hold made with a waiting-room admission: "@<ticket>",
--            the list in usher:{E}:holders its seats count against
-- Records an older usherd wrote as cjson are still read.
-- In Lua a hold is {s, c, es, t, holder, o, k, f, seats, idx, pk, ar, q}.

local function hold_decode(raw)
  if string.byte(raw, 1) == 123 then          -- '{': an older usherd's cjson
    local h = cjson.decode(raw)
    h.idx = {}
    h.c = string.format('%d', h.c)
    h.es = string.format('%d', h.e)
    h.e = nil
    return h
  end
  local s, c, es, t, holder, o, k, f, seats, idx, pk, ar, qk = cmsgpack.unpack(raw)
  return {s = s, c = c, es = es, t = t,
          holder = holder ~= '' and holder or nil,
          o = o ~= '' and o or nil, k = k ~= '' and k or nil, f = f ~= '' and f or nil,
          seats = seats, idx = idx, pk = pk ~= '' and pk or nil, ar = ar ~= '' and ar or nil,
          q = qk ~= '' and qk or nil}
end

local function hold_encode(h)
  if h.q then
    return cmsgpack.pack(h.s, h.c, h.es, h.t and true or false, h.holder or '', h.o or '',
                         h.k or '', h.f or '', h.seats, h.idx, h.pk or '', h.ar or '', h.q)
  end
  if h.ar then
    return cmsgpack.pack(h.s, h.c, h.es, h.t and true or false, h.holder or '', h.o or '',
                         h.k or '', h.f or '', h.seats, h.idx, h.pk or '', h.ar)
  end
  if h.pk then
    return cmsgpack.pack(h.s, h.c, h.es, h.t and true or false, h.holder or '', h.o or '',
                         h.k or '', h.f or '', h.seats, h.idx, h.pk)
  end
  return cmsgpack.pack(h.s, h.c, h.es, h.t and true or false, h.holder or '', h.o or '',
                       h.k or '', h.f or '', h.seats, h.idx)
end

local function hold_load(hid)
  local raw = HOLDS_W[hid]
  if raw == nil then raw = redis.call('HGET', K_HOLDS, hid) end
  if not raw then return nil end
  return hold_decode(raw)
end

local function hold_store(hid, h)
  HOLDS_W[hid] = hold_encode(h)
end

local function hold_forget(hid)
  HOLDS_W[hid] = false
end

-- The status-string index of the hold's i-th seat (a record from an
-- older usherd has none: asked of the seat index then).
local function hold_idx(h, i)
  local ix = h.idx[i]
  if not ix then
    ix = redis.call('HGET', K_SEATS, h.seats[i])
    h.idx[i] = ix
  end
  return ix
end

-- The per-holder limit (max_seats_per_holder) is kept exact with a list
-- per holder of the holds that may count: usher:{E}:holders, holder ->
-- space-separated hold ids, kept only while the event has a limit (holds
-- on that list have t set).
local function holder_add(key, hid)
  local list = redis.call('HGET', K_HOLDERS, key)
  redis.call('HSET', K_HOLDERS, key, list and (list .. ' ' .. hid) or hid)
end

local function holder_drop(hid, listed, holder)
  if not listed or not holder or holder == '' then return end
  local left = {}
  for x in string.gmatch(redis.call('HGET', K_HOLDERS, holder) or '', '%S+') do
    if x ~= hid then left[#left + 1] = x end
  end
  if #left > 0 then
    redis.call('HSET', K_HOLDERS, holder, table.concat(left, ' '))
  else
    redis.call('HDEL', K_HOLDERS, holder)
  end
end

-- Forgets the Idempotency-Key field k of hold `hid` while it still names
-- the hold (k nil or '': none).
local function idem_forget(hid, k)
  if k and k ~= '' and redis.call('HGET', K_IDEM, k) == hid then
    redis.call('HDEL', K_IDEM, k)
  end
end

-- Turns live hold `hid` into a tombstone: its seats become available,
-- its idempotency key is forgotten, and GET answers 410 for TOMB_MS.
local function hold_expire(hid, h)
  local freed = {}
  for i, s in ipairs(h.seats) do
    if owner_get(s) == hid then
      status_set(hold_idx(h, i), '.')
      owner_del(s)
      freed[#freed + 1] = s
    end
  end
  journal(freed, 'available', 'expire')
  if h.ar then
    for _, a in ipairs(areas_decode(h.ar)) do area_move(a[1], a[2], -a[2], 0, 'available', 'expire') end
  end
  idem_forget(hid, h.k)
  holder_drop(hid, h.t, h.holder)
  if h.q then holder_drop(hid, true, h.q) end
  h.s = 'expired'
  hold_store(hid, h)
  zset_del(EXP, hid)
  zset_put(TOMBS, hid, string.format('%d', now_ms() + TOMB_MS))
end

-- Lazy expiry: expires live hold `hid` if its time has passed; true
-- when it did.
local function hold_lapse(hid, h)
  if h.s == 'held' and ms_due(h.es) then
    hold_expire(hid, h)
    return true
  end
  return false
end

-- Expires up to `limit` holds whose time has passed; returns how many.
local function sweep_expired(limit)
  flush()                      -- the expiry zset as this call left it
  local due = redis.call('ZRANGEBYSCORE', K_EXPIRY, '-inf', now_ms(), 'LIMIT', 0, limit)
  for _, hid in ipairs(due) do
    local h = hold_load(hid)
    if h and h.s == 'held' then hold_expire(hid, h) else zset_del(EXP, hid) end
  end
  return #due
end

-- Loads hold `hid`, expiring it first when its time has passed (lazy
-- expiry). Returns the hold or nil, and an error reply or nil.
local function hold_fetch(hid)
  local h = hold_load(hid)
  if not h then return nil, fail('HOLD_NOT_FOUND') end
  hold_lapse(hid, h)
  if h.s == 'expired' then return nil, fail('HOLD_EXPIRED') end
  return h, nil
end

-- The areas of reserved hold `h` still sold to its order: per area the
-- hold's quantity, or what the order has left if less (refunds), those
-- with none left out.
local function hold_areas_sold(h)
  local out = {}
  if not h.ar then return out end
  local left = order_areas(h.o)
  for _, a in ipairs(areas_decode(h.ar)) do
    local n = left[a[1]] or 0
    if n > a[2] then n = a[2] end
    if n > 0 then
      out[#out + 1] = {a[1], n}
      left[a[1]] = left[a[1]] - n
    end
  end
  return out
end

-- Seats that count against `holder`'s limit now: every seat of its live
-- holds and every seat of its reserved holds still sold to their order
-- (a refund gives the seat back to the count). Expires its due holds.
local function holder_seats(holder)
  local total, list = 0, redis.call('HGET', K_HOLDERS, holder)
  if not list then return 0 end
  for hid in string.gmatch(list, '%S+') do
    local h = hold_load(hid)
    if h and hold_lapse(hid, h) then
      -- expired now: counts no more
    elseif h and h.s == 'held' then
      total = total + #h.seats + areas_total(areas_decode(h.ar))
    elseif h and h.s == 'reserved' then
      for _, s in ipairs(h.seats) do
        if owner_get(s) == h.o then total = total + 1 end
      end
      total = total + areas_total(hold_areas_sold(h))
    end
  end
  return total
end

-- Status byte of seat `s` at index `idx` after lazy expiry:
-- '.' available, 'h' held, 'r' reserved, 'b' blocked.
local function seat_status(s, idx)
  local st = status_get(idx)
  if st == 'h' then
    local hid = owner_get(s)
    local h = hid and hold_load(hid)
    if h and hold_lapse(hid, h) then st = '.' end
  end
  return st
end

-- Copies the n seat ids list[first..] into seats (nil: not copied) and
-- their indexes into idx. Returns nil, or an UNKNOWN_SEATS error naming
-- the unknown ids.
local function seats_index(list, first, n, seats, idx)
  local unknown
  for i = 1, n do
    local s = list[first + i - 1]
    local v = redis.call('HGET', K_SEATS, s)
    if seats then seats[i] = s end
    if v then
      idx[i] = v
    else
      unknown = unknown or {}
      unknown[#unknown + 1] = s
    end
  end
  if unknown then return fail('UNKNOWN_SEATS', unknown) end
  return nil
end

-- Resolves the seat ids list[first..last] to their indexes. Returns the
-- indexes, or nil and an UNKNOWN_SEATS error naming the unknown ids.
local function seats_resolve(list, first, last)
  local idx = {}
  local err = seats_index(list, first, last - first + 1, nil, idx)
  if err then return nil, err end
  return idx, nil
end

-- The ids among seats (indexes idx, n of them) that are not free after
-- lazy expiry, or nil when all are.
local function seats_taken(seats, idx, n)
  local taken
  for i = 1, n do
    if seat_status(seats[i], idx[i]) ~= '.' then
      taken = taken or {}
      taken[#taken + 1] = seats[i]
    end
  end
  return taken
end

-- The ids among list (indexes idx) whose status byte is not `want`.
local function seats_not_in(list, idx, want)
  local bad = {}
  for i = 1, #list do
    if status_get(idx[i]) ~= want then
      bad[#bad + 1] = list[i]
    end
  end
  return bad
end

-- The seats of reserved hold `h` still sold to its order, and those given
-- back since (refunds: seats_release), in the hold's order. A refunded
-- seat may since belong to another hold or order: a replay or a read of
-- this hold must never present it as this order's.
local function hold_sold(h)
  local sold, refunded = {}, {}
  for _, s in ipairs(h.seats) do
    if owner_get(s) == h.o then
      sold[#sold + 1] = s
    else
      refunded[#refunded + 1] = s
    end
  end
  return sold, refunded
end

-- The hold reply's areas field: " @<id>=<n>,<id>=<n>", '' for none.
local function areas_field(list)
  if not list or #list == 0 then return '' end
  return ' @' .. string.gsub(areas_encode(list), ' ', ',')
end

-- Reply shared by hold operations, one string of ten fields separated by
-- single spaces (decoded by server/replies.c):
--   replay hold_id state created_ms expires_ms now_ms holder order refunded seats
-- replay is 1 or 0 for a hold operation (the replay of an earlier hold made
-- with the same Idempotency-Key field, or not), else empty; holder and
-- order are empty for none; refunded and seats are comma-separated. state
-- is held, reserved, or refunded (reserved, every seat given back since);
-- for a reserved hold, seats are those still sold to its order.
-- One string, not a list: building and sending ten values per operation
-- cost more than the operation. A hold best available chose adds two
-- fields, "<1|0> <quality>": its seats next to each other or not, and
-- their quality. A hold with general-admission places ends in one more,
-- "@<id>=<n>,<id>=<n>" (a reserved hold: the quantities still sold).
-- `sold`, `refunded`: hold_sold()'s lists when the caller has them.
local function hold_reply(hid, h, replay, sold, refunded)
  local state, seats, areas = h.s, h.seats, h.ar and areas_decode(h.ar)
  if h.s == 'reserved' then
    if not sold then sold, refunded = hold_sold(h) end
    seats = sold
    if areas then areas = hold_areas_sold(h) end
    if #sold == 0 and not (areas and #areas > 0) then state = 'refunded' end
  end
  now_ms()
  return (replay or '') .. ' ' .. hid .. ' ' .. state .. ' ' .. h.c .. ' ' .. h.es .. ' ' ..
         NOW_S .. ' ' .. (h.holder or '') .. ' ' .. (h.o or '') .. ' ' ..
         (refunded and table.concat(refunded, ',') or '') .. ' ' .. table.concat(seats, ',') ..
         (h.pk and (' ' .. h.pk) or '') .. areas_field(areas)
end

-- Set by lib/select.lua (after this file): forgets its per-call state.
local rows_forget

-- ---- one call ----

-- Binds the event's keys and forgets what an earlier call left (as a
-- Functions library, even a call that failed halfway). Every script's
-- first line.
local function call_begin(keys)
  redis, string, table, math, cmsgpack, cjson,
    tonumber, tostring, ipairs, pairs, next, unpack, type = globals_get()
  keys_bind(keys)
  NOW, NOW_S, journal_max = nil, nil, nil
  J, J_LAST, J_SEAT = {}, {}, nil
  EXP, TOMBS = {}, {}
  HOLDS_W, OWNER_W, STATUS_W = {}, {}, {}
  AREA_W, AJ = {}, {}
  SELECTING = nil
  if rows_forget then rows_forget() end
end

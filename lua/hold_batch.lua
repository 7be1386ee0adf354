-- hold_batch: the hold operations of one event that usherd received
-- together (one loop turn), applied in the order given, each all or
-- nothing on its own and answered on its own, exactly as if each were a
-- call of its own; in one call, so Redis pays its fixed cost per call once
-- for all of them. One alone is a batch of one.
--
-- ARGV: n, then n operations, each an op code and its arguments:
--   H hold_id holder ttl_s|'' idem_field|'' fingerprint count seat...
--                                              hold seats (create)
--   h hold_id count seat...                    the same with holder, ttl_s,
--                                              idem_field, fingerprint ''
--                                              (four arguments fewer)
--   A (as H)                                   the same, the seat ids followed
--                                              by area tokens @<id>=<n> and/or
--                                              '?' (suggest), all counted
--   G hold_id                                  read a hold
--   X hold_id ttl_s                            extend (ttl_s >= 1)
--   R hold_id order_id                         reserve (sell to an order)
--   D hold_id                                  release
--   M hold_id n_add seat... n_remove seat...   change a live hold's seats
-- Returns n results in order, each an error reply or:
--   H, h: hold_reply() with replay 1 when it replays an earlier hold made with
--      the same Idempotency-Key field, else 0
--   G, X, R: hold_reply() (R: a replay lists only the seats still sold)
--   D: the number of seats released
--   M: hold_reply() of the changed hold (replay empty)
-- Errors (per operation): EVENT_NOT_FOUND; H: IDEMPOTENCY_KEY_REUSED,
--   INVALID_SEAT_COUNT, INVALID_TTL, UNKNOWN_SEATS ids, SEATS_UNAVAILABLE
--   ids, HOLDER_REQUIRED, HOLDER_LIMIT; G, X, R, D: HOLD_NOT_FOUND,
--   HOLD_EXPIRED; X, D: HOLD_ALREADY_RESERVED; R: HOLD_ALREADY_RESERVED
--   (another order), SEATS_REFUNDED ids; M: HOLD_NOT_FOUND, HOLD_EXPIRED,
--   HOLD_ALREADY_RESERVED, SEATS_NOT_IN_HOLD ids, SEATS_ALREADY_IN_HOLD
--   ids, INVALID_SEAT_COUNT, UNKNOWN_SEATS ids, SEATS_UNAVAILABLE ids,
--   HOLDER_LIMIT.
-- Work: O(seats of the operations), plus a holder's holds where the event
-- limits seats per holder; usherd bounds operations and seats per call.
local meta = redis.call('HMGET', K_META, 'hold_ttl_s', 'max_hold_ttl_s',
                        'max_seats_per_hold', 'max_seats_per_holder', 'journal_max',
                        'orphan_rule', 'companions', 'q_onsale', 'q_max')
local TTL, MAX_TTL, MAX_SEATS = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3])
local LIMIT = tonumber(meta[4] or '0')
local EXPIRES = {}                   -- ttl_s -> expiry ms string, this call's
journal_max = meta[5] or JOURNAL_MAX_DEFAULT
local NO_SINGLE_GAPS = meta[6] == 'no_single_gaps'
local COMPANIONS = meta[7] == '1'
local QUEUED, QMAX = meta[8] and true or false, tonumber(meta[9] or '0')
local Q_OK, Q_FAIL = 0, 0             -- this call's holds, for the queue's "auto" rate

-- On an event with a waiting room, every hold needs an admission: adm is
-- "<ticket>=<expiry ms>" (usherd checked its signature), n the seats and
-- places the hold adds. Its seats count against the admission's budget
-- (q_max) on the list "@<ticket>" in usher:{E}:holders, exactly as a
-- holder's do. Returns that list's key, or nil and an error; nil, nil
-- without a queue.
local function admission_admit(adm, n)
  if not QUEUED then return nil, nil end
  if not adm or adm == '' then return nil, fail('ADMISSION_REQUIRED') end
  local ticket, exp = string.match(adm, '^([^=]+)=(%d+)$')
  if not ticket then return nil, fail('ADMISSION_INVALID') end
  if tonumber(exp) <= now_ms() then return nil, fail('ADMISSION_EXPIRED') end
  local key = '@' .. ticket
  if holder_seats(key) + n > QMAX then return nil, fail('ADMISSION_LIMIT') end
  return key, nil
end

-- The seat rules of a hand-picked set (seats, indexes idx, n of them;
-- own: the indexes a changed hold has now): companion seats only with an
-- accessible seat of their row, and the orphan rule. The error's code
-- and the seats it names, or nil.
local function seats_rules(seats, idx, n, own)
  if COMPANIONS then
    local bad = companions_alone(seats, idx, n)
    if bad then return 'COMPANION_REQUIRES_ACCESSIBLE', bad end
  end
  if NO_SINGLE_GAPS then
    local bad = orphans_left(idx, n, own)
    if bad then return 'WOULD_ORPHAN_SEAT', bad end
  end
  return nil
end

-- The error `code` naming `bad` for a hold of the n seats at indexes idx;
-- with `suggest`, followed by '|' and the block to offer instead
-- (suggest_near; nothing after '|' when there is none).
local function offer(code, bad, suggest, idx, n)
  if not suggest then return fail(code, bad) end
  local list = {unpack(bad)}
  list[#list + 1] = '|'
  for _, s in ipairs(suggest_near(idx, n, NO_SINGLE_GAPS) or {}) do list[#list + 1] = s end
  return fail(code, list)
end

-- An earlier hold made with Idempotency-Key field ikey: its reply (or
-- IDEMPOTENCY_KEY_REUSED when fingerprint fp differs), or nil for none.
local function idem_replay(ikey, fp)
  if ikey == '' then return nil end
  local old = redis.call('HGET', K_IDEM, ikey)
  if not old then return nil end
  local h = hold_fetch(old)            -- nil when gone or expired
  if h then
    if h.f ~= fp then return fail('IDEMPOTENCY_KEY_REUSED') end
    return hold_reply(old, h, '1')
  end
  redis.call('HDEL', K_IDEM, ikey)
  return nil
end

-- The checks of a new hold before its seats: count and TTL (ttl '' for
-- the event's). Returns the TTL, or nil and an error.
local function hold_admit(n, ttl)
  if n < 1 or n > MAX_SEATS then return nil, fail('INVALID_SEAT_COUNT') end
  if ttl == '' then ttl = TTL else ttl = tonumber(ttl) end
  if ttl < 1 or ttl > MAX_TTL then return nil, fail('INVALID_TTL') end
  return ttl, nil
end

-- A new hold's start: the replay of an earlier one with its key, else
-- hold_admit's checks. Returns the TTL, or nil and the answer.
local function hold_begin(ikey, fp, n, ttl)
  now_ms()
  local replay = idem_replay(ikey, fp)
  if replay then return nil, replay end
  return hold_admit(n, ttl)
end

-- The holder's limit for n more seats: an error or nil.
local function holder_admit(holder, n)
  if LIMIT > 0 then
    if holder == '' then return fail('HOLDER_REQUIRED') end
    if holder_seats(holder) + n > LIMIT then return fail('HOLDER_LIMIT') end
  end
  return nil
end

-- The areas of a new hold or a change ({id, n} list) that have too few
-- places free beyond `have` (id -> quantity, or nil): an error, or nil.
-- Holds that lapsed unswept still count in an area's held quantity, so
-- a short area first has up to AREA_SWEEP due holds expired.
local AREA_SWEEP = 200
local function areas_admit(areas, have)
  if not areas or not areas_short(areas, have) then return nil end
  sweep_expired(AREA_SWEEP)
  local bad = areas_short(areas, have)
  if bad then return fail('AREA_UNAVAILABLE', bad) end
  return nil
end

-- Makes hold hid of the n free seats (indexes idx) and the areas ({id,
-- n} list, or nil) and answers it; pk: best available's "<1|0>
-- <quality>", or nil.
local function hold_place(hid, holder, ttl, ikey, fp, seats, idx, n, pk, areas, qkey)
  for i = 1, n do
    STATUS_W[idx[i]] = 'h'
    OWNER_W[seats[i]] = hid
  end
  local es = EXPIRES[ttl]            -- one number formatted per TTL per call
  if not es then
    es = string.format('%d', now_ms() + ttl * 1000)
    EXPIRES[ttl] = es
  end
  local listed = LIMIT > 0
  if listed then holder_add(holder, hid) end
  if qkey then holder_add(qkey, hid) end
  if ikey ~= '' then
    redis.call('HSET', K_IDEM, ikey, hid)
  else
    fp = ''
  end
  -- the record as hold_encode writes it, from the locals: no table
  local tail = ''
  if areas or qkey then
    for _, x in ipairs(areas or {}) do area_move(x[1], x[2], x[2], 0, 'held', 'hold') end
    HOLDS_W[hid] = cmsgpack.pack('held', NOW_S, es, listed, holder, '', ikey, fp, seats, idx,
                                 pk or '', areas and areas_encode(areas) or '', qkey or '')
    tail = areas_field(areas)
  elseif pk then
    HOLDS_W[hid] = cmsgpack.pack('held', NOW_S, es, listed, holder, '', ikey, fp, seats, idx, pk)
  else
    HOLDS_W[hid] = cmsgpack.pack('held', NOW_S, es, listed, holder, '', ikey, fp, seats, idx)
  end
  EXP[hid] = es
  journal(seats, 'held', 'hold')
  -- hold_reply's answer: replay 0, no order, nothing refunded
  return '0 ' .. hid .. ' held ' .. NOW_S .. ' ' .. es .. ' ' .. NOW_S .. ' ' .. holder ..
         '   ' .. table.concat(seats, ',') .. (pk and (' ' .. pk) or '') .. tail
end

-- A hold of n seats: a[at] the hold id, then holder, ttl, key field and
-- fingerprint unless `bare` (all four empty: the op `h`), then the count
-- and the seats; with `more` (the op `A`), the seat ids may end in area
-- tokens and then '?' (suggest). Plain holds (H, h) pay for neither.
local function op_hold(a, at, n, bare, more)
  local hid, holder, ttl, ikey, fp, first = a[at], '', '', '', '', at + 2
  if not bare then
    holder, ttl, ikey, fp, first = a[at + 1], a[at + 2], a[at + 3], a[at + 4], at + 6
  end
  local suggest, ns, areas, places, adm = false, n, nil, 0, nil
  if more then                          -- trailing: areas, then "!<admission>", then "?"
    suggest = n > 0 and a[first + n - 1] == '?'
    if suggest then n = n - 1 end
    if n > 0 and string.byte(a[first + n - 1], 1) == 33 then
      adm = string.sub(a[first + n - 1], 2)
      n = n - 1
    end
    ns, areas = areas_args(a, first, n)
    if not ns then return areas end
    places = areas_total(areas)
  end
  local err, qkey
  ttl, err = hold_begin(ikey, fp, ns + places, ttl)
  if err then return err end
  qkey, err = admission_admit(adm, ns + places)   -- first: no seat work for the unadmitted
  if err then return err end
  local seats, idx = {}, {}
  err = seats_index(a, first, ns, seats, idx)
  if err then return err end
  local taken = seats_taken(seats, idx, ns)
  if taken then return offer('SEATS_UNAVAILABLE', taken, suggest, idx, ns) end
  if (COMPANIONS or NO_SINGLE_GAPS) and ns > 0 then
    local code, bad = seats_rules(seats, idx, ns, nil)
    if code then return offer(code, bad, suggest, idx, ns) end
  end
  err = areas_admit(areas, nil)
  if err then return err end
  err = holder_admit(holder, ns + places)
  if err then return err end
  return hold_place(hid, holder, ttl, ikey, fp, seats, idx, ns, nil, areas, qkey)
end

-- Best available: a[at] hold id, holder, ttl, key field, fingerprint,
-- count, together (1/0), allow_split (1/0), accessible seats, the count
-- of sections and their ids, the count of categories and their names.
local SECTIONS, CATEGORIES          -- id -> number, name -> number; this call's
local function op_best(a, at)
  local hid, holder, ttl, ikey, fp = a[at], a[at + 1], a[at + 2], a[at + 3], a[at + 4]
  local n, ns = tonumber(a[at + 5]), tonumber(a[at + 9])
  local q = {together = a[at + 6] == '1', split = a[at + 7] == '1',
             acc = tonumber(a[at + 8]), rule = NO_SINGLE_GAPS}
  local err, qkey
  ttl, err = hold_begin(ikey, fp, n, ttl)
  if err then return err end
  qkey, err = admission_admit(a[at + 11 + ns + tonumber(a[at + 10 + ns])], n)
  if err then return err end
  err = holder_admit(holder, n)
  if err then return err end
  if not SECTIONS then
    local m = redis.call('HMGET', K_META, 'sections', 'categories')
    SECTIONS, CATEGORIES = {}, {}
    for i, sec in ipairs(cjson.decode(m[1])) do SECTIONS[sec.id] = i - 1 end
    local no = 0
    for name in string.gmatch(m[2] or '', '([^\n]+)\n') do
      no = no + 1
      CATEGORIES[name] = no
    end
  end
  local unknown, bad
  q.secs, unknown = names_set({unpack(a, at + 10, at + 9 + ns)}, SECTIONS)
  q.cats, bad = names_set({unpack(a, at + 11 + ns, at + 10 + ns + tonumber(a[at + 10 + ns]))},
                          CATEGORIES)
  if unknown or bad then
    for _, x in ipairs(bad or {}) do unknown = unknown or {} unknown[#unknown + 1] = x end
    return fail('NO_MATCHING_SEATS')
  end
  local idx, seats, together, sum = best_choose(n, q)
  if not idx then return seats end
  local total = tonumber(redis.call('HGET', K_META, 'total'))
  local quality = total > 1 and 1 - sum / n / (total - 1) or 1
  return hold_place(hid, holder, ttl, ikey, fp, seats, idx, n,
                    (together and '1 ' or '0 ') .. string.format('%.3f', quality), nil, qkey)
end

local function op_get(hid)
  local h, err = hold_fetch(hid)
  if err then return err end
  return hold_reply(hid, h)
end

local function op_extend(hid, ttl)
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
  local e = now_ms() + tonumber(ttl) * 1000
  local cap = tonumber(h.c) + MAX_TTL * 1000
  if e > cap then e = cap end
  h.es = string.format('%d', e)
  hold_store(hid, h)
  zset_put(EXP, hid, h.es)
  journal(h.seats, 'held', 'extend')
  return hold_reply(hid, h)
end

local function op_reserve(hid, oid)
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then
    if h.o ~= oid then return fail('HOLD_ALREADY_RESERVED') end
    local sold, refunded = hold_sold(h)
    if #sold == 0 and #hold_areas_sold(h) == 0 then return fail('SEATS_REFUNDED', refunded) end
    return hold_reply(hid, h, nil, sold, refunded)
  end
  for i, s in ipairs(h.seats) do
    status_set(hold_idx(h, i), 'r')
    owner_set(s, oid)
  end
  local prev = redis.call('HGET', K_ORDERS, oid)
  local list = table.concat(h.seats, ' ')
  if prev and prev ~= '' then list = prev .. ' ' .. list end
  redis.call('HSET', K_ORDERS, oid, list)
  if h.ar then                        -- the order's areas: what it had plus the hold's
    local by, order = {}, areas_decode(redis.call('HGET', K_AREAS, 'o:' .. oid))
    for _, x in ipairs(order) do by[x[1]] = x end
    for _, x in ipairs(areas_decode(h.ar)) do
      area_move(x[1], x[2], -x[2], x[2], 'reserved', 'reserve')
      if by[x[1]] then by[x[1]][2] = by[x[1]][2] + x[2] else order[#order + 1] = {x[1], x[2]} end
    end
    redis.call('HSET', K_AREAS, 'o:' .. oid, areas_encode(order))
  end
  h.s, h.o = 'reserved', oid
  hold_store(hid, h)
  zset_del(EXP, hid)
  journal(h.seats, 'reserved', 'reserve')
  return hold_reply(hid, h, nil, h.seats, {})
end

-- Release: a live hold's record is read straight into locals (no table);
-- anything else (expired, reserved, an older record) takes hold_fetch.
local function op_release(hid)
  local raw = HOLDS_W[hid]
  if raw == nil then raw = redis.call('HGET', K_HOLDS, hid) end
  if not raw then return fail('HOLD_NOT_FOUND') end
  local seats, idx, listed, holder, k, ar, qk
  if string.byte(raw, 1) ~= 123 then          -- MessagePack, not an old cjson record
    local s, _, es
    s, _, es, listed, holder, _, k, _, seats, idx, _, ar, qk = cmsgpack.unpack(raw)
    if s ~= 'held' or ms_due(es) then seats = nil end
  end
  if not seats then
    local h, err = hold_fetch(hid)
    if err then return err end
    if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
    for i = 1, #h.seats do hold_idx(h, i) end
    seats, idx, listed, holder, k, ar, qk = h.seats, h.idx, h.t, h.holder, h.k, h.ar, h.q
  end
  for i = 1, #seats do
    STATUS_W[idx[i]] = '.'
    OWNER_W[seats[i]] = false
  end
  idem_forget(hid, k)
  holder_drop(hid, listed, holder)
  if qk and qk ~= '' then holder_drop(hid, true, qk) end
  HOLDS_W[hid] = false
  EXP[hid] = false
  journal(seats, 'available', 'release')
  local freed = #seats
  if ar and ar ~= '' then
    for _, x in ipairs(areas_decode(ar)) do
      area_move(x[1], x[2], -x[2], 0, 'available', 'release')
      freed = freed + x[2]
    end
  end
  return freed
end

-- Change: the seats a[at + 2 ..] (na of them) join live hold a[at] and
-- the nr after the count that follows them leave it, all or nothing; the
-- hold keeps its expiry, holder and key. Checked in this order: the hold,
-- seats to remove that it lacks, seats to add that it has, the count it
-- would have, unknown seats, seats not free, the holder's limit.
local function op_change(a, at, na, nr)
  local hid = a[at]
  local h, err = hold_fetch(hid)
  if err then return err end
  if h.s == 'reserved' then return fail('HOLD_ALREADY_RESERVED') end
  local nseat, want = areas_args(a, at + 2, na)
  if not nseat then return want end
  local rfirst = at + 3 + na              -- past the area tokens too
  na = nseat
  -- the areas as the hold would have them: want's quantities replace its own
  local old, had, set, areas = areas_decode(h.ar), {}, {}, {}
  for _, x in ipairs(old) do had[x[1]] = x[2] end
  for _, x in ipairs(want or {}) do set[x[1]] = x[2] end
  for _, x in ipairs(old) do                 -- kept in their order
    local q = set[x[1]] or x[2]
    if q > 0 then areas[#areas + 1] = {x[1], q} end
  end
  for _, x in ipairs(want or {}) do          -- then the new ones
    if not had[x[1]] and x[2] > 0 then areas[#areas + 1] = {x[1], x[2]} end
  end
  local grow = areas_total(areas) - areas_total(old)
  local have, gone, bad = {}, {}, nil
  for i = 1, #h.seats do
    have[h.seats[i]] = i
    hold_idx(h, i)
  end
  for i = 0, nr - 1 do
    local s = a[rfirst + i]
    if have[s] then gone[s] = true else bad = bad or {}; bad[#bad + 1] = s end
  end
  if bad then return fail('SEATS_NOT_IN_HOLD', bad) end
  for i = 0, na - 1 do
    local s = a[at + 2 + i]
    if have[s] then bad = bad or {}; bad[#bad + 1] = s end
  end
  if bad then return fail('SEATS_ALREADY_IN_HOLD', bad) end
  local n = #h.seats + na - nr + areas_total(areas)
  if n < 1 or n > MAX_SEATS then return fail('INVALID_SEAT_COUNT') end
  local add, aidx = {}, {}
  err = seats_index(a, at + 2, na, add, aidx)
  if err then return err end
  bad = seats_taken(add, aidx, na)
  if bad then return fail('SEATS_UNAVAILABLE', bad) end
  if want then
    err = areas_admit(areas, had)
    if err then return err end
  end
  if LIMIT > 0 and h.t and h.holder and na - nr + grow > 0 and
     holder_seats(h.holder) + na - nr + grow > LIMIT then
    return fail('HOLDER_LIMIT')
  end
  if h.q and na - nr + grow > 0 and holder_seats(h.q) + na - nr + grow > QMAX then
    return fail('ADMISSION_LIMIT')
  end
  local seats, idx, removed, own = {}, {}, {}, {}
  for i = 1, #h.seats do
    local s = h.seats[i]
    own[tonumber(h.idx[i])] = true
    if gone[s] then
      removed[#removed + 1] = s
    else
      seats[#seats + 1] = s
      idx[#idx + 1] = h.idx[i]
    end
  end
  for i = 1, na do
    seats[#seats + 1] = add[i]
    idx[#idx + 1] = aidx[i]
  end
  if (COMPANIONS or NO_SINGLE_GAPS) and na + nr > 0 then
    local code, bad2 = seats_rules(seats, idx, #seats, own)
    if code then return fail(code, bad2) end
  end
  for _, x in ipairs(old) do
    local d = (set[x[1]] or x[2]) - x[2]
    if d < 0 then area_move(x[1], -d, d, 0, 'available', 'change')
    elseif d > 0 then area_move(x[1], d, d, 0, 'held', 'change') end
  end
  for _, x in ipairs(want or {}) do
    if not had[x[1]] and x[2] > 0 then area_move(x[1], x[2], x[2], 0, 'held', 'change') end
  end
  for i = 1, #h.seats do
    if gone[h.seats[i]] then
      STATUS_W[h.idx[i]] = '.'
      OWNER_W[h.seats[i]] = false
    end
  end
  for i = 1, na do
    STATUS_W[aidx[i]] = 'h'
    OWNER_W[add[i]] = hid
  end
  h.seats, h.idx, h.pk = seats, idx, nil
  h.ar = #areas > 0 and areas_encode(areas) or nil
  hold_store(hid, h)
  journal(removed, 'available', 'change')
  journal(add, 'held', 'change')
  return hold_reply(hid, h)
end

-- Where each operation starts, checked whole before anything is done:
-- a malformed call changes nothing.
-- counts[i]: an H, h or M operation's seat count (M: to add), removes[i]:
-- an M's seats to remove.
local starts, counts, removes, at, n, nargv = {}, {}, {}, 2, tonumber(ARGV[1] or ''), #ARGV
if not n then return fail('BAD_BATCH') end
for i = 1, n do
  local op = ARGV[at]
  starts[i] = at
  if op == 'H' or op == 'h' or op == 'A' then
    local c = op == 'h' and 2 or 6     -- where the seat count is
    local cnt = tonumber(ARGV[at + c] or '')
    if not cnt then return fail('BAD_BATCH') end
    counts[i] = cnt
    at = at + c + 1 + cnt
  elseif op == 'M' then
    local na = tonumber(ARGV[at + 2] or '')
    local nr = na and na >= 0 and tonumber(ARGV[at + 3 + na] or '')
    if not nr or nr < 0 then return fail('BAD_BATCH') end
    counts[i], removes[i] = na, nr
    at = at + 4 + na + nr
  elseif op == 'B' then
    local ns = tonumber(ARGV[at + 10] or '')
    local nc = ns and ns >= 0 and tonumber(ARGV[at + 11 + ns] or '')
    if not nc or nc < 0 or not tonumber(ARGV[at + 6] or '') or
       not tonumber(ARGV[at + 9] or '') then
      return fail('BAD_BATCH')
    end
    counts[i] = tonumber(ARGV[at + 6])
    at = at + 13 + ns + nc             -- the last: the admission or ''
  elseif op == 'G' or op == 'D' then at = at + 2
  elseif op == 'X' or op == 'R' then at = at + 3
  else return fail('BAD_BATCH') end
  if at > nargv + 1 then return fail('BAD_BATCH') end
end

local out = {}
for i = 1, n do
  at = starts[i]
  local op = ARGV[at]
  if not TTL then
    out[i] = fail('EVENT_NOT_FOUND')
  elseif op == 'H' or op == 'h' then
    out[i] = op_hold(ARGV, at + 1, counts[i], op == 'h', false)
  elseif op == 'A' then
    out[i] = op_hold(ARGV, at + 1, counts[i], false, true)
  elseif op == 'B' then
    out[i] = op_best(ARGV, at + 1)
  elseif op == 'G' then
    out[i] = op_get(ARGV[at + 1])
  elseif op == 'M' then
    out[i] = op_change(ARGV, at + 1, counts[i], removes[i])
  elseif op == 'X' then
    out[i] = op_extend(ARGV[at + 1], ARGV[at + 2])
  elseif op == 'R' then
    out[i] = op_reserve(ARGV[at + 1], ARGV[at + 2])
  else
    out[i] = op_release(ARGV[at + 1])
  end
  if QUEUED and (op == 'H' or op == 'h' or op == 'A' or op == 'B') then
    local e = type(out[i]) == 'table' and out[i].err
    if not e then
      Q_OK = Q_OK + 1
    elseif string.find(e, '^SEATS_UNAVAILABLE') or string.find(e, '^NO_SEATS_TOGETHER') or
           string.find(e, '^NOT_ENOUGH_SEATS') or string.find(e, '^AREA_UNAVAILABLE') then
      Q_FAIL = Q_FAIL + 1            -- what "auto" slows down for: buyers finding nothing
    end
  end
end
if Q_OK > 0 then redis.call('HINCRBY', K_META, 'q_ok', Q_OK) end
if Q_FAIL > 0 then redis.call('HINCRBY', K_META, 'q_fail', Q_FAIL) end
return finish(out)

-- wrk script: hold one random seat, then release that hold, over and over.
-- Each wrk thread keeps the hold ids it was given; a connection that is
-- free sends a release when one is pending, else a new hold. So about half
-- the requests are POST .../holds and half DELETE .../holds/{id}.
-- Env: EVENT (default "bench"), or EVENTS=a,b,c (each hold goes to one of
-- them at random, its release to the same), ROWS (100), SEATS_PER_ROW (1000).
local events = {}
for e in string.gmatch(os.getenv("EVENTS") or os.getenv("EVENT") or "bench", "[^,]+") do
  events[#events + 1] = e
end
local rows = tonumber(os.getenv("ROWS") or "100")
local per_row = tonumber(os.getenv("SEATS_PER_ROW") or "1000")
local holds = {}
codes = {}      -- global: done() reads it from each thread
local threads = {}
local hdrs = {["Content-Type"] = "application/json"}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(id * 7919 + os.time())
end

function request()
  local n = #holds
  if n > 0 then
    local h = holds[n]
    holds[n] = nil
    return wrk.format("DELETE", "/v1/events/" .. h)
  end
  local seat = string.format("S-R%d-%d", math.random(1, rows), math.random(1, per_row))
  return wrk.format("POST", "/v1/events/" .. events[math.random(1, #events)] .. "/holds", hdrs,
                    '{"seats":["' .. seat .. '"]}')
end

function response(status, headers, body)
  codes[status] = (codes[status] or 0) + 1
  if status == 201 then
    -- the answer names its event: replies of several connections interleave
    holds[#holds + 1] = body:match('"event":"([^"]+)"') .. "/holds/" ..
                        body:match('"hold_id":"([^"]+)"')
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("codes")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do parts[#parts + 1] = k .. "=" .. v end
  table.sort(parts)
  io.write(string.format("codes: %s\n", table.concat(parts, " ")))
  io.write(string.format("p50_us=%d p99_us=%d p999_us=%d\n",
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end

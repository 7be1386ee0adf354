-- hold-storm: everybody fights for the same 100 seats (the first 100 of
-- the seat map). A test of conflicts, not of throughput: almost every hold
-- is a 409, and the audit must still balance to the seat.
--
--   usher-bench venue --event storm --sections 1 --rows 10 --seats 50
--   usher-bench swarm --event storm --script bench/scenarios/hold-storm.lua
config = {
  users = 5000,
  arrival = "burst:2",
  party = "1-2",
  retries = 6,
  think = 0.5,
  hold_ttl = 5,
  patience = 20,
}

local HOT = 100

-- Pick k seats among the hot 100 that look free, from a random start.
function pick(buyer, k, attempt)
  local n = math.min(HOT, usher.nseats())
  local out, start = {}, usher.random(1, n)
  for j = 0, n - 1 do
    local i = (start + j - 1) % n + 1
    if usher.is_free(i) then
      out[#out + 1] = i
      if #out == k then return out end
    end
  end
  -- nothing free among the hot seats: ask for them anyway and let the
  -- server say 409 (that is the storm)
  out = {}
  for j = 0, k - 1 do out[#out + 1] = (start + j - 1) % n + 1 end
  return out
end

function decide(buyer, hold)
  if usher.random() < 0.6 then return "reserve" end
  return "abandon"
end

-- theatre-matinee: a 2,000-seat theatre, a gentle ramp of buyers over a
-- minute, and many who hold seats and then wander off.
--
-- Venue (2,000 seats = 4 sections x 20 rows x 25 seats):
--   usher-bench venue --event matinee --sections 4 --rows 20 --seats 25
-- Run:
--   usher-bench swarm --event matinee --script bench/scenarios/theatre-matinee.lua
config = {
  users = 3000,
  arrival = "ramp:60",
  party = "1-4",
  hotspot = 0.6,        -- matinee crowds care less about the front
  retries = 3,
  think = 4,
  hold_ttl = 20,
  patience = 90,
}

-- Four in ten walk away from their hold (it expires), one in ten releases
-- it, half buy.
function decide(buyer, hold)
  local u = usher.random()
  if u < 0.5 then return "reserve" end
  if u < 0.6 then return "release" end
  return "abandon"
end

-- Matinee buyers are patient: after a conflict they try a few more times.
function on_conflict(buyer, taken, attempt)
  if attempt < 5 then return "retry" end
  return "giveup"
end

-- box-office: an on-sale where most buyers never pick seats on a map.
-- Half ask for "n together, best available" (families the circle's
-- cheaper category, everyone else any seat), a tenth buy general-admission
-- places on the floor, the rest pick seats themselves.
--
-- Venue (5,000 seats in 4 sections of 25 rows x 50, categories by row
-- bands, and a standing floor of 2,000):
--   usher-bench venue --event box --sections 4 --rows 25 --seats 50 \
--     --categories stalls,circle --ga 2000 --max-seats-per-hold 8
-- Run:
--   usher-bench swarm --event box --script bench/scenarios/box-office.lua
config = {
  users = 20000,
  arrival = "ramp:10",
  party = "1-6",
  p_best = 0.5,
  p_ga = 0.1,
  p_reserve = 0.8,
  p_release = 0.1,
  think = 1,
  hold_ttl = 20,
  patience = 60,
}

-- What a best-available buyer asks for: parties of four or more want the
-- circle (cheaper for a family), one in four couples wants section S1
-- only, the rest take the best seats anywhere.
function best(buyer, k)
  if k >= 4 then return {categories = {"circle"}} end
  if k == 2 and usher.random() < 0.25 then return {sections = {"S1"}} end
  return nil
end

-- stadium-onsale: a 50,000-seat stadium goes on sale and the crowd arrives
-- at once. Parties of 2 to 4, everybody wants the front rows.
--
-- Venue (50,000 seats = 20 sections x 50 rows x 50 seats):
--   usher-bench venue --event stadium --sections 20 --rows 50 --seats 50 \
--     --categories floor,lower,upper --max-seats-per-hold 4
-- Run:
--   usher-bench swarm --event stadium --script bench/scenarios/stadium-onsale.lua
config = {
  users = 200000,
  arrival = "burst:5",
  party = "2-4",
  hotspot = 1.3,        -- a strong pull to the front rows
  retries = 4,
  p_reserve = 0.8,
  p_release = 0.1,
  think = 3,
  hold_ttl = 30,
  patience = 180,
}

-- Groups stick together: a party of four insists on four adjacent seats,
-- so keep the built-in picker (pick returns nil) but think longer about
-- bigger parties.
function think(buyer)
  return 1 + usher.random() * 4
end

#!/usr/bin/env bash
# One command from a fresh clone to a running usher: installs what is
# missing, builds, starts a private redis-server (loopback, data in .run/)
# and usherd, loads a 2,000-seat demo theatre, prints curl examples, and
# runs until Ctrl-C, then stops what it started.
#
# Environment: USHER_DEMO_PORT (default 8080), USHER_DEMO_REDIS_PORT (6390).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${USHER_DEMO_PORT:-8080}
RPORT=${USHER_DEMO_REDIS_PORT:-6390}
RUN=$ROOT/.run

./deploy/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null

mkdir -p "$RUN/redis"
pids=()
cleanup() {
  trap - EXIT INT TERM
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  echo "usher demo: stopped."
}
trap cleanup EXIT
trap 'exit 0' INT TERM

redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$RUN/redis" \
  --appendonly yes --appendfsync everysec --save "" \
  --maxmemory-policy noeviction --daemonize no \
  --hash-max-listpack-entries 0 --zset-max-listpack-entries 0 \
  --logfile "$RUN/redis/redis.log" &
pids+=($!)
for _ in $(seq 50); do
  redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done

./build/usherd --listen "127.0.0.1:$PORT" --redis "redis://127.0.0.1:$RPORT" \
  2>>"$RUN/usherd.log" &
pids+=($!)
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/readyz" >/dev/null || {
  echo "usher demo: usherd did not become ready; see $RUN/usherd.log" >&2
  exit 1
}

# The demo theatre: stalls 20 x 50, circle 10 x 50, balcony 10 x 50.
rows() { # section rows seats category
  local out="" r
  for r in $(seq 1 "$2"); do
    out+="${out:+,}{\"id\":\"$r\",\"range\":{\"from\":1,\"to\":$3},\"category\":\"$4\"}"
  done
  printf '%s' "$out"
}
body="{\"name\":\"Demo Theatre\",\"hold_ttl_s\":600,\"sections\":[
 {\"id\":\"stalls\",\"name\":\"Stalls\",\"rows\":[$(rows stalls 20 50 A)]},
 {\"id\":\"circle\",\"name\":\"Dress Circle\",\"rows\":[$(rows circle 10 50 B)]},
 {\"id\":\"balcony\",\"name\":\"Balcony\",\"rows\":[$(rows balcony 10 50 C)]}]}"
code=$(curl -s -o "$RUN/put-demo.json" -w '%{http_code}' -X PUT \
  "http://127.0.0.1:$PORT/v1/events/demo" -d "$body")
case $code in
  200|201) ;;
  409) echo "usher demo: event 'demo' has holds or sales from an earlier run; kept as is." ;;
  *) echo "usher demo: loading the demo event failed with HTTP $code: $(cat "$RUN/put-demo.json")" >&2
     exit 1 ;;
esac

B="http://127.0.0.1:$PORT"
cat <<EOT

usher demo is running: usherd on $B, redis-server on 127.0.0.1:$RPORT
(data and logs in .run/). Event "demo" has 2,000 seats. Try:

  curl -s $B/v1/events/demo
  curl -s -X POST $B/v1/events/demo/holds -d '{"seats":["stalls-1-10","stalls-1-11"],"holder":"me"}'
  curl -s -X POST $B/v1/events/demo/holds/HOLD_ID/seats -d '{"add":["stalls-1-12"],"remove":["stalls-1-10"]}'
  curl -s -X POST $B/v1/events/demo/holds/HOLD_ID/reserve -d '{"order_id":"order-1"}'
  curl -s -X DELETE $B/v1/events/demo/holds/HOLD_ID
  curl -s "$B/v1/events/demo/seats?section=stalls&status=held"

Press Ctrl-C to stop.
EOT
wait -n "${pids[@]}" || true
echo "usher demo: usherd or redis-server has stopped (logs: .run/usherd.log, .run/redis/redis.log)" >&2

#!/usr/bin/env bash
# Measures hold+release through usherd (wrk) next to the same hold_batch
# EVALSHA calls sent to Redis directly, with per-process CPU
# time of usherd and redis-server over each run. Private redis-server and
# usherd on loopback; everything started here is stopped on exit.
#
# Usage: bench/measure.sh [runs=3] [seconds=10] [connections=32]
# Needs: build/usherd, redis-server, redis-benchmark, wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECS=${2:-10}
CONNS=${3:-32}
RPORT=${BENCH_REDIS_PORT:-6391}
HPORT=${BENCH_HTTP_PORT:-8091}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd ./build/usherd
bench_event 100

echo "== wrk: POST hold + DELETE hold through usherd (-t1 -c$CONNS -d${SECS}s), $RUNS runs"
for run in $(seq "$RUNS"); do
  redis-cli -p "$RPORT" config resetstat >/dev/null
  u0=$(ticks "$UPID"); r0=$(ticks "$RPID")
  wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/wrk/hold-release.lua \
    "http://127.0.0.1:$HPORT" > "$TMP/wrk.out"
  u1=$(ticks "$UPID"); r1=$(ticks "$RPID")
  reqs=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  rps=$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")
  lat=$(grep p99_us "$TMP/wrk.out")
  codes=$(grep codes: "$TMP/wrk.out")
  evalsha=$(redis-cli -p "$RPORT" info commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
  awk -v u=$((u1 - u0)) -v r=$((r1 - r0)) -v n="$reqs" -v t="$TCK" -v rps="$rps" \
      -v lat="$lat" -v codes="$codes" -v ev="$evalsha" 'BEGIN {
    us_u = u / t * 1e6 / n; us_r = r / t * 1e6 / n;
    printf "run: %s req/s  %s  %s\n", rps, lat, codes;
    printf "     CPU per request: usherd %.1f us, redis %.1f us (evalsha %s us inside redis); per hold+release pair: %.1f us\n",
      us_u, us_r, ev, 2 * (us_u + us_r) }'
done

# Redis alone, the same work: hold + release pairs sent as hold_batch
# calls straight to Redis, 64 operations in flight (bench/redis_direct.py),
# BENCH_BATCH operations a call (default 1: each alone).
echo "== direct: hold + release pairs as EVALSHA hold_batch, ${BENCH_BATCH:-1} a call, no HTTP (${SECS}s), $RUNS runs"
for run in $(seq "$RUNS"); do
  redis-cli -p "$RPORT" config resetstat >/dev/null
  r0=$(ticks "$RPID")
  out=$(python3 bench/redis_direct.py "$RPORT" bench "$SECS" "${BENCH_BATCH:-1}")
  r1=$(ticks "$RPID")
  evalsha=$(redis-cli -p "$RPORT" info commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
  pairs=${out#pairs=}; pairs=${pairs%% *}
  awk -v r=$((r1 - r0)) -v t="$TCK" -v p="$pairs" -v s="$SECS" -v ev="$evalsha" 'BEGIN {
    printf "run: %.0f pairs/s; CPU per pair: redis %.1f us (evalsha %s us per call inside redis)\n",
      p / s, r / t * 1e6 / p, ev }'
done

# The bare EVALSHA floor: redis-benchmark reading one live hold through
# hold_batch (HMGET meta, TIME, HGET, decode, reply): what Redis does per
# script call before any seat work.
HID=$(curl -fs -X POST "http://127.0.0.1:$HPORT/v1/events/bench/holds" -d '{"seats":["S-R1-1"]}' |
      sed 's/.*"hold_id":"\([^"]*\)".*/\1/')
# the script as usherd embeds it, and the event's keys (lua/keys.list)
py_harness() { python3 -c "import sys; sys.path.insert(0, 'tests/integration'); import harness; $1"; }
SHA=$(redis-cli -p "$RPORT" script load "$(py_harness 'print(harness.script_source("hold_batch"))')")
K=$(py_harness 'print(" ".join(harness.event_keys("bench")))')
NK=$(py_harness 'print(len(harness.key_names()))')
echo "== redis-benchmark: EVALSHA hold_batch 1 G (-c$CONNS -n 200000), $RUNS runs"
for run in $(seq "$RUNS"); do
  redis-cli -p "$RPORT" config resetstat >/dev/null
  r0=$(ticks "$RPID")
  # shellcheck disable=SC2086
  out=$(redis-benchmark -p "$RPORT" -c "$CONNS" -n 200000 -q EVALSHA "$SHA" "$NK" $K 1 G "$HID" |
        tr '\r' '\n' | tail -1)
  r1=$(ticks "$RPID")
  evalsha=$(redis-cli -p "$RPORT" info commandstats | tr -d '\r' | grep '^cmdstat_evalsha' | sed 's/.*usec_per_call=\([0-9.]*\).*/\1/')
  awk -v r=$((r1 - r0)) -v t="$TCK" -v out="$out" -v ev="$evalsha" 'BEGIN {
    printf "run: %s\n     CPU per call: redis %.1f us (evalsha %s us inside redis)\n",
      out, r / t * 1e6 / 200000, ev }'
done

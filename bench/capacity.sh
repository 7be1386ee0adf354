#!/usr/bin/env bash
# The figures of the capacity guide (deploy/README.md):
#  1. one event's ceiling: hold+release pairs per second of one Redis core,
#     from the CPU redis-server spends per pair when one event's
#     operations arrive BATCH a call (as usherd coalesces them under load;
#     bench/redis_direct.py sends them, FCALL, no HTTP), for each BATCH;
#  2. usherd per Redis core: the CPU usherd and redis-server spend per
#     request for the same hold+release load through usherd (wrk), so how
#     many usherd cores one Redis core keeps busy.
# Private redis-server and usherd on loopback, stopped on exit.
#
# Usage: bench/capacity.sh [seconds=10] [connections=64]
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}; CONNS=${2:-64}
RPORT=${BENCH_REDIS_PORT:-6396}
HPORT=${BENCH_HTTP_PORT:-8096}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd ./build/usherd
bench_event 100
echo "== 1. one event's ceiling: Redis CPU per hold+release pair, straight to Redis"
for b in 1 16 64; do
  r0=$(ticks "$RPID")
  out=$(BENCH_FCALL=1 python3 bench/redis_direct.py "$RPORT" bench "$SECS" "$b")
  r1=$(ticks "$RPID")
  n=${out#pairs=}; n=${n%% *}
  awk -v r=$((r1 - r0)) -v n="$n" -v t="$TCK" -v b="$b" 'BEGIN {
    us = r / t * 1e6 / n
    printf "batch %2d: %7d pairs, Redis %5.1f us per pair: one core = %6.0f pairs/s (%6.0f operations/s)\n",
      b, n, us, 1e6 / us, 2e6 / us }'
done
echo "== 2. usherd per Redis core: wrk hold+release through usherd (-t1 -c$CONNS -d${SECS}s)"
u0=$(ticks "$UPID"); r0=$(ticks "$RPID")
ROWS=100 wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/wrk/hold-release.lua \
  "http://127.0.0.1:$HPORT" > "$TMP/wrk.out"
u1=$(ticks "$UPID"); r1=$(ticks "$RPID")
n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
awk -v u=$((u1 - u0)) -v r=$((r1 - r0)) -v n="$n" -v t="$TCK" \
    -v rps="$(awk '/Requests/ && /sec/ {print $2}' "$TMP/wrk.out")" 'BEGIN {
  uu = u / t * 1e6 / n; ru = r / t * 1e6 / n
  printf "%s req/s: usherd %.1f us, Redis %.1f us per request: %.2f usherd cores per Redis core\n",
    rps, uu, ru, uu / ru }'

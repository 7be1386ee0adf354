#!/usr/bin/env bash
# A/B of two usherd binaries on one private Redis: alternating runs of wrk
# hold-release (bench/wrk/hold-release.lua), printing throughput, latency
# and CPU per request of usherd and redis-server for each run.
#
# Usage: bench/ab.sh OLD_USHERD NEW_USHERD [runs=3] [seconds=8] [connections=32]
#   BENCH_AB_CONFIG_A / _B: "name value ..." set on the Redis (CONFIG SET)
#   before each A / B run: one binary against two Redis settings, e.g.
#   BENCH_AB_CONFIG_A="hash-max-listpack-entries 128 zset-max-listpack-entries 128"
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; RUNS=${3:-3}; SECS=${4:-8}; CONNS=${5:-32}
RPORT=${BENCH_REDIS_PORT:-6392}
HPORT=${BENCH_HTTP_PORT:-8092}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis

one() { # binary label [redis config]
  if [ -n "${3:-}" ]; then
    # shellcheck disable=SC2086
    redis-cli -p "$RPORT" config set $3 >/dev/null
  fi
  bench_usherd "$1"
  bench_event 10
  local u0 r0 u1 r1 n
  u0=$(ticks "$UPID"); r0=$(ticks "$RPID")
  ROWS=10 wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/wrk/hold-release.lua \
    "http://127.0.0.1:$HPORT" > "$TMP/wrk.out"
  u1=$(ticks "$UPID"); r1=$(ticks "$RPID")
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  awk -v u=$((u1 - u0)) -v r=$((r1 - r0)) -v n="$n" -v t="$TCK" -v l="$2" \
      -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")" \
      -v p="$(grep p99_us "$TMP/wrk.out")" 'BEGIN {
    printf "%-4s %9s req/s  usherd %5.1f us  redis %5.1f us per request  %s\n",
      l, rps, u / t * 1e6 / n, r / t * 1e6 / n, p }'
  kill "$UPID"; wait "$UPID" 2>/dev/null || true
  redis-cli -p "$RPORT" flushall >/dev/null
}
for _ in $(seq "$RUNS"); do
  one "$A" A "${BENCH_AB_CONFIG_A:-}"; one "$B" B "${BENCH_AB_CONFIG_B:-}"
done

#!/usr/bin/env bash
# usherd --threads 1 against --threads 2, side by side: alternating runs of
# wrk on GET /healthz (no Redis) and on hold+release
# (bench/wrk/hold-release.lua), printing throughput, p99, CPU per request
# of usherd and redis-server, and for hold+release the operations per
# hold_batch call (what coalescing does with more loops).
#
# Usage: bench/threads.sh [runs=3] [seconds=5] [connections=64] [usherd=./build/usherd]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; SECS=${2:-5}; CONNS=${3:-64}; USHERD=${4:-./build/usherd}
RPORT=${BENCH_REDIS_PORT:-6397}
HPORT=${BENCH_HTTP_PORT:-8097}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis

one() { # threads what
  local u0 r0 u1 r1 n per="" m
  BENCH_USHERD_FLAGS="--max-inflight 0 --threads $1" bench_usherd "$USHERD"
  bench_event 10
  u0=$(ticks "$UPID"); r0=$(ticks "$RPID")
  if [ "$2" = healthz ]; then
    wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "http://127.0.0.1:$HPORT/healthz" > "$TMP/wrk.out"
  else
    ROWS=10 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s bench/wrk/hold-release.lua \
      "http://127.0.0.1:$HPORT" > "$TMP/wrk.out"
  fi
  u1=$(ticks "$UPID"); r1=$(ticks "$RPID")
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  if [ "$2" != healthz ]; then
    m=$(curl -fs "http://127.0.0.1:$HPORT/metrics")
    per=$(awk '/^usher_redis_batches_total/ {c = $2} /^usher_redis_batch_ops_total/ {o = $2}
               END { if (c) printf "%.1f ops a call", o / c }' <<<"$m")
  fi
  awk -v u=$((u1 - u0)) -v r=$((r1 - r0)) -v n="$n" -v t="$TCK" -v th="$1" -v w="$2" \
      -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")" \
      -v p99="$(awk '$1 == "99%" {print $2}' "$TMP/wrk.out")" -v per="$per" 'BEGIN {
    printf "%-12s --threads %d %9s req/s  p99 %7s  usherd %5.1f us  redis %5.1f us per request  %s\n",
      w, th, rps, p99, u / t * 1e6 / n, r / t * 1e6 / n, per }'
  kill "$UPID"; wait "$UPID" 2>/dev/null || true
  redis-cli -p "$RPORT" flushall >/dev/null
}
for what in healthz hold-release; do
  for _ in $(seq "$RUNS"); do one 1 "$what"; one 2 "$what"; done
done

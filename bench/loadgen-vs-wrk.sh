#!/usr/bin/env bash
# usher-bench's own HTTP client against wrk on a trivial endpoint (usherd's
# GET /healthz, no Redis call), both single-threaded, closed loop, same
# connections, alternating runs. Prints each run (with each generator's
# own CPU time per request, from time(1)) and the medians.
#
# Usage: bench/loadgen-vs-wrk.sh [runs=5] [seconds=5] [connections=32]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}; SECS=${2:-5}; CONNS=${3:-32}
RPORT=${BENCH_REDIS_PORT:-6393}
HPORT=${BENCH_HTTP_PORT:-8093}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd ./build/usherd
U="http://127.0.0.1:$HPORT"
: > "$TMP/wrk"; : > "$TMP/ub"
cpu_us() { # total requests, time(1) output file -> CPU microseconds per request
  awk -v n="$1" '{printf "%.1f", ($1 + $2) * 1e6 / n}' "$2"
}
for run in $(seq "$RUNS"); do
  /usr/bin/time -f "%U %S" -o "$TMP/t.w" wrk -t1 -c"$CONNS" -d"${SECS}s" "$U/healthz" > "$TMP/w.out"
  w=$(awk '/Requests\/sec/ {print $2}' "$TMP/w.out")
  wn=$(awk '/requests in/ {print $1}' "$TMP/w.out")
  /usr/bin/time -f "%U %S" -o "$TMP/t.b" ./build/usher-bench rate --target "$U" --op healthz \
    --rate max --connections "$CONNS" --duration "$SECS" --quiet > "$TMP/b.out"
  b=$(awk '$1 == "healthz" {print $3}' "$TMP/b.out")
  bn=$(awk '$1 == "healthz" {print $2}' "$TMP/b.out")
  echo "run $run: wrk $w req/s ($(cpu_us "$wn" "$TMP/t.w") us CPU/req), usher-bench $b req/s ($(cpu_us "$bn" "$TMP/t.b") us CPU/req), ratio $(awk -v a="$b" -v b="$w" 'BEGIN {printf "%.2f", a / b}')"
  echo "$w" >> "$TMP/wrk"; echo "$b" >> "$TMP/ub"
done
med() { sort -n "$1" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
mw=$(med "$TMP/wrk"); mb=$(med "$TMP/ub")
echo "median: wrk $mw req/s, usher-bench $mb req/s, ratio $(awk -v a="$mb" -v b="$mw" 'BEGIN {printf "%.2f", a / b}')"

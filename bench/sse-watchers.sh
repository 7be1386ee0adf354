#!/usr/bin/env bash
# What live-stream watchers cost a swarm: the same swarm with 0 and with N
# SSE clients reading the event's changes, alternating, on a fresh venue
# each time. Prints hold throughput, p99 and what the watchers read.
#
# Usage: bench/sse-watchers.sh [runs=2] [watchers=1000] [users=50000]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-2}; N=${2:-1000}; USERS=${3:-50000}
RPORT=${BENCH_REDIS_PORT:-6396}
HPORT=${BENCH_HTTP_PORT:-8096}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd ./build/usherd
U="http://127.0.0.1:$HPORT"
for run in $(seq "$RUNS"); do
  for w in 0 "$N"; do
    redis-cli -p "$RPORT" flushall >/dev/null
    ./build/usher-bench venue --target "$U" --event sse --sections 10 --rows 40 --seats 50 >/dev/null
    : > "$TMP/watch.txt"
    if [ "$w" -gt 0 ]; then
      # the watchers in a process of their own, so that their reading does
      # not slow the load generator's loop
      ./build/usher-bench rate --target "$U" --event sse --op healthz --rate 1 --duration 300 \
        --watchers "$w" --quiet > "$TMP/watch.txt" 2>&1 &
      wpid=$!
      sleep 2
    fi
    u0=$(ticks "$UPID"); r0=$(ticks "$RPID"); w0=0
    [ "$w" -gt 0 ] && w0=$(ticks "$wpid")
    ./build/usher-bench swarm --target "$U" --event sse --users "$USERS" --arrival burst:5 \
      --party 1-4 --think 1 --hold-ttl "${BENCH_HOLD_TTL:-10}" --patience 30 --connections 256 --seed "$run" \
      --quiet --json "$TMP/r.json" > "$TMP/out.txt" 2>&1 || true
    u1=$(ticks "$UPID"); r1=$(ticks "$RPID"); w1=0
    [ "$w" -gt 0 ] && w1=$(ticks "$wpid")
    if [ "$w" -gt 0 ]; then
      kill -INT "$wpid" 2>/dev/null || true
      wait "$wpid" 2>/dev/null || true
    fi
    python3 - "$TMP/r.json" "$w" "$TMP/watch.txt" $(( u1 - u0 )) $(( r1 - r0 )) $(( w1 - w0 )) "$TCK" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); h = r["ops"]["hold"]
watch = [l for l in open(sys.argv[3]) if l.startswith("watchers:")]
tck = float(sys.argv[7])
cpu = "cpu s: usherd %.1f redis %.1f watchers %.1f" % tuple(int(x) / tck for x in sys.argv[4:7])
shed = h["codes"].get("503", 0) + h["codes"].get("429", 0)
adm = h["rps"] * (h["requests"] - shed) / max(h["requests"], 1)
print("watchers %5s: hold %8.0f req/s (admitted %6.0f/s, p99 %6.0f ms), p99 %6.0f ms, %7d holds, "
      "sold %5d, audit %s; %s %s" % (
    sys.argv[2], h["rps"], adm, h["admitted"]["p99_us"] / 1000, h["p99_us"] / 1000,
    h["requests"], r["seats"]["sold"],
    "clean" if r["audit"]["ok"] else "VIOLATIONS", cpu, watch[0].strip() if watch else ""))
PY
  done
done

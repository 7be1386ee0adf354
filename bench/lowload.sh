#!/usr/bin/env bash
# Latency at low load, A/B: alternating runs of usher-bench rate (open
# model: requests sent at their due time, latency from it) doing
# hold-release on a private Redis, against two usherd binaries; prints
# p50 and p99 per run (from the JSON report).
#
# Usage: bench/lowload.sh OLD_USHERD NEW_USHERD [runs=3] [rate=2200] [seconds=10]
#   BENCH_USHER_BENCH: the usher-bench binary (default build/usher-bench)
#   BENCH_USHERD_FLAGS: flags for both usherd (e.g. --max-inflight 0)
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; RUNS=${3:-3}; RATE=${4:-2200}; SECS=${5:-10}
BENCH=${BENCH_USHER_BENCH:-build/usher-bench}
RPORT=${BENCH_REDIS_PORT:-6396}
HPORT=${BENCH_HTTP_PORT:-8096}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis

one() { # binary label
  bench_usherd "$1"
  bench_event 10
  "$BENCH" rate --target "http://127.0.0.1:$HPORT" --event bench --op hold-release \
    --rate "$RATE" --duration "$SECS" --connections 32 --quiet --json "$TMP/r.json" >/dev/null 2>&1 || true
  python3 - "$TMP/r.json" "$2" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
lat = {}
for name, op in rep["ops"].items():
    if name in ("hold", "release"):
        lat[name] = (op["p50_us"], op["p99_us"])
print("%-3s %s  sent %d, never sent %d" % (sys.argv[2], "  ".join(
    "%s p50 %.2f ms p99 %.2f ms" % (k, v[0] / 1000, v[1] / 1000) for k, v in sorted(lat.items())),
    rep["requests"], rep.get("unsent", 0)))
PY
  kill "$UPID"; wait "$UPID" 2>/dev/null || true
  redis-cli -p "$RPORT" flushall >/dev/null
}
for _ in $(seq "$RUNS"); do one "$A" A; one "$B" B; done

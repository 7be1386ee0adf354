#!/usr/bin/env bash
# Instructions per request of one usherd binary, counted by valgrind's
# callgrind (repeatable whatever else the machine does, unlike seconds):
# a private Redis, usherd under callgrind with instrumentation off until
# the event is loaded, then a fixed load from usher-bench rate, then the
# total divided by the requests answered. Prints one line per run.
#
# Usage: bench/callgrind.sh USHERD [op=hold-release] [runs=1] [rate=500] [seconds=8] [connections=8]
#   BENCH_USHER_BENCH: the usher-bench binary (default build/usher-bench)
#   BENCH_CALLGRIND_OUT: keep each run's callgrind profile in this directory
set -euo pipefail
cd "$(dirname "$0")/.."
U=$1; OP=${2:-hold-release}; RUNS=${3:-1}; RATE=${4:-500}; SECS=${5:-8}; CONNS=${6:-8}
BENCH=${BENCH_USHER_BENCH:-build/usher-bench}
RPORT=${BENCH_REDIS_PORT:-6393}
HPORT=${BENCH_HTTP_PORT:-8093}
command -v callgrind_control >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis

for run in $(seq "$RUNS"); do
  out="$TMP/cg.$run.out"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
    "$U" --listen "127.0.0.1:$HPORT" --redis "redis://127.0.0.1:$RPORT" \
    --redis-timeout 30s 2>>"$TMP/usherd.log" &
  UPID=$!; bench_pids+=("$UPID")
  for _ in $(seq 300); do curl -fs "http://127.0.0.1:$HPORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  bench_event 10
  callgrind_control -i on "$UPID" >/dev/null 2>&1
  "$BENCH" rate --target "http://127.0.0.1:$HPORT" --event bench --op "$OP" --rate "$RATE" \
    --duration "$SECS" --connections "$CONNS" --quiet --json "$TMP/rate.json" >/dev/null 2>&1 ||
    true   # the venue is the bench's own: usher-bench only loads, it need not agree
  callgrind_control -i off "$UPID" >/dev/null 2>&1
  kill "$UPID"; wait "$UPID" 2>/dev/null || true
  redis-cli -p "$RPORT" flushall >/dev/null
  if [ -n "${BENCH_CALLGRIND_OUT:-}" ]; then
    mkdir -p "$BENCH_CALLGRIND_OUT" && cp "$out" "$BENCH_CALLGRIND_OUT/"
  fi
  python3 - "$out" "$TMP/rate.json" "$OP" <<'PY'
import json, sys
ir = 0
with open(sys.argv[1]) as f:
    for line in f:
        if line.startswith("summary:") or line.startswith("totals:"):
            ir = int(line.split()[1])
rep = json.load(open(sys.argv[2]))
n = rep["requests"]
codes = {}
for op in rep["ops"].values():
    for c, k in op["codes"].items():
        codes[c] = codes.get(c, 0) + k
print("%-13s %6d requests (%d never sent)  %11d instructions  %7.0f per request  codes %s" %
      (sys.argv[3], n, rep.get("unsent", 0), ir, ir / max(n, 1), dict(sorted(codes.items()))))
PY
done

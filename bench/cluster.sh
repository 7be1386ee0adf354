#!/usr/bin/env bash
# Hold+release through one usherd on one Redis and on a 3-primary Redis
# Cluster (no replicas, persistence off as for the single one), side by
# side: alternating runs of wrk hold-release (bench/wrk/hold-release.lua)
# spread over three events, one on each primary of the cluster (the same
# three on the single Redis), printing throughput, latency and CPU per
# request of usherd and of all redis-server processes together.
#
# Usage: bench/cluster.sh [runs=3] [seconds=5] [connections=64] [usherd=./build/usherd]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; SECS=${2:-5}; CONNS=${3:-64}; USHERD=${4:-./build/usherd}
RPORT=${BENCH_REDIS_PORT:-6395}
HPORT=${BENCH_HTTP_PORT:-8095}
CPORT=${BENCH_CLUSTER_PORT:-7391}      # and the next two; bus ports +10000
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
CPIDS=()
for i in 0 1 2; do
  p=$((CPORT + i)); mkdir -p "$TMP/c$p"
  "${PIN_SERVER[@]}" redis-server --port "$p" --bind 127.0.0.1 --save "" --appendonly no "${REDIS_ENCODING[@]}" \
    --cluster-enabled yes --cluster-config-file nodes.conf --dir "$TMP/c$p" \
    --daemonize no --logfile "$TMP/c$p/redis.log" &
  CPIDS+=($!); bench_pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 50); do redis-cli -p $((CPORT + i)) ping >/dev/null 2>&1 && break; sleep 0.1; done
done
redis-cli --cluster create 127.0.0.1:$CPORT 127.0.0.1:$((CPORT + 1)) 127.0.0.1:$((CPORT + 2)) \
  --cluster-yes >/dev/null
for _ in $(seq 100); do
  redis-cli -p "$CPORT" cluster info | grep -q cluster_state:ok && break; sleep 0.1
done
# three event ids, one on each primary
EVENTS=$(python3 - "$CPORT" <<'PY'
import subprocess, sys
sys.path.insert(0, "tests/integration")
import harness
port = sys.argv[1]
out = subprocess.run(["redis-cli", "-p", port, "cluster", "shards"], capture_output=True,
                     text=True).stdout.split("\n")
ranges = []   # (first, last, port of the shard's first master)
i = 0
while i < len(out):
    if out[i] == "slots":
        first, last = int(out[i + 1]), int(out[i + 2])
        j = out.index("port", i)
        ranges.append((first, last, out[j + 1]))
    i += 1
names, seen, n = [], set(), 0
while len(names) < 3:
    name = "bench%d" % n
    slot = harness.key_slot(name)
    owner = next(p for a, b, p in ranges if a <= slot <= b)
    if owner not in seen:
        seen.add(owner)
        names.append(name)
    n += 1
print(",".join(names))
PY
)
echo "events: $EVENTS (one per primary)"

one() { # url label pids...
  local url=$1 label=$2; shift 2
  local rp=("$@") u0 r0=0 u1 r1=0 n p e
  # shellcheck disable=SC2086
  "$USHERD" --listen "127.0.0.1:$HPORT" --redis "$url" ${BENCH_USHERD_FLAGS:-} \
    2>>"$TMP/usherd.log" &
  UPID=$!; bench_pids+=("$UPID")
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$HPORT/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
  for e in ${EVENTS//,/ }; do bench_event 10 "$e"; done
  u0=$(ticks "$UPID"); for p in "${rp[@]}"; do r0=$((r0 + $(ticks "$p"))); done
  EVENTS=$EVENTS ROWS=10 wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/wrk/hold-release.lua \
    "http://127.0.0.1:$HPORT" > "$TMP/wrk.out"
  u1=$(ticks "$UPID"); for p in "${rp[@]}"; do r1=$((r1 + $(ticks "$p"))); done
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  awk -v u=$((u1 - u0)) -v r=$((r1 - r0)) -v n="$n" -v t="$TCK" -v l="$label" \
      -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")" \
      -v c="$(grep codes "$TMP/wrk.out")" -v p="$(grep p99_us "$TMP/wrk.out")" 'BEGIN {
    printf "%-8s %9s req/s  usherd %5.1f us  redis %5.1f us per request  %s  %s\n",
      l, rps, u / t * 1e6 / n, r / t * 1e6 / n, p, c }'
  kill "$UPID"; wait "$UPID" 2>/dev/null || true
}
for _ in $(seq "$RUNS"); do
  one "redis://127.0.0.1:$RPORT" single "$RPID"
  redis-cli -p "$RPORT" flushall >/dev/null
  one "redis-cluster://127.0.0.1:$CPORT" cluster "${CPIDS[@]}"
  for i in 0 1 2; do redis-cli -p $((CPORT + i)) flushall >/dev/null; done
done

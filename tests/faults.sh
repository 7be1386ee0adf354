#!/usr/bin/env bash
# Runs fault tests N times in a row against the build in build/
# (./tests/run.sh or cmake --build build first), stopping at the first
# failure. Each run prints its figures.
#   crash (default): tests/integration/test_crash.py: usherd and
#     redis-server killed mid-swarm, Redis paused.
#   cluster: tests/integration/test_cluster.py on a Redis Cluster: a swarm
#     across a slot migration, a manual CLUSTER FAILOVER and a kill -9 of a
#     primary (the last two with --reserve-wait 1:100): answers by status,
#     acknowledged sales, and how many of them Redis no longer has.
#
# Usage: tests/faults.sh [runs=5] [crash|cluster]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
KIND=${2:-crash}
case $KIND in
  crash) run=(tests/integration/test_crash.py --usher-bench build/usher-bench)
         figures='\((a|b|c)\) .*' ;;
  cluster) run=(tests/integration/test_cluster.py Routing.test_swarm_while_the_slot_migrates
                Failover)
           figures='^cluster .*' ;;
  *) echo "usage: tests/faults.sh [runs] [crash|cluster]" >&2; exit 2 ;;
esac
for i in $(seq "$RUNS"); do
  echo "== $KIND fault tests, run $i of $RUNS"
  python3 "${run[0]}" --usherd build/usherd --redis-server "$(command -v redis-server)" \
    "${run[@]:1}" 2>&1 |
    grep -oE "$figures|^(OK|FAILED).*|Error.*|assert.*" || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "run $i failed"; exit 1; }
done
echo "all $RUNS runs passed"

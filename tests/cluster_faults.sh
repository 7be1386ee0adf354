#!/usr/bin/env bash
# Runs the Redis Cluster fault tests (tests/integration/test_cluster.py:
# a swarm across a slot migration, a manual CLUSTER FAILOVER and a kill -9
# of a primary, the last two with --reserve-wait 1:100) N times in a row
# against the build in build/ (./tests/run.sh or cmake --build build
# first), stopping at the first failure. Each run prints its figures:
# answers by status (503s included), acknowledged sales, and how many of
# them Redis no longer has.
#
# Usage: tests/cluster_faults.sh [runs=5]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
for i in $(seq "$RUNS"); do
  echo "== cluster fault tests, run $i of $RUNS"
  python3 tests/integration/test_cluster.py --usherd build/usherd \
    --redis-server "$(command -v redis-server)" \
    Routing.test_swarm_while_the_slot_migrates Failover 2>&1 |
    grep -oE '^cluster .*|^(OK|FAILED).*|Error.*|assert.*' || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "run $i failed"; exit 1; }
done
echo "all $RUNS runs passed"

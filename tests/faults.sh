#!/usr/bin/env bash
# Runs the fault tests (tests/integration/test_crash.py: usherd and
# redis-server killed mid-swarm, Redis paused) N times in a row against
# the build in build/ (./tests/run.sh or cmake --build build first),
# stopping at the first failure. Each run prints its figures.
#
# Usage: tests/faults.sh [runs=5]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
for i in $(seq "$RUNS"); do
  echo "== fault tests, run $i of $RUNS"
  python3 tests/integration/test_crash.py --usherd build/usherd \
    --usher-bench build/usher-bench --redis-server "$(command -v redis-server)" 2>&1 |
    grep -oE '\((a|b|c)\) .*|^(OK|FAILED).*|Error.*|assert.*' || true
  [ "${PIPESTATUS[0]}" -eq 0 ] || { echo "run $i failed"; exit 1; }
done
echo "all $RUNS runs passed"

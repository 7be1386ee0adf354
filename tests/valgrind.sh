#!/usr/bin/env bash
# Runs the integration tests that cover usherd's request paths with every
# usherd under valgrind memcheck (full leak check); a test fails on any
# memcheck error or definite/indirect leak in an usherd log.
#
# Usage: tests/valgrind.sh [build dir, default build]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
status=0
for t in test_api test_hostile test_guard test_stream test_contract; do
  echo "=== valgrind: $t"
  USHER_VALGRIND=1 timeout 900 python3 tests/integration/$t.py --usherd "$B/usherd" \
    --redis-server "$(command -v redis-server)" > "/tmp/usher-valgrind-$t.log" 2>&1 ||
    { status=1; tail -40 "/tmp/usher-valgrind-$t.log"; }
  tail -3 "/tmp/usher-valgrind-$t.log"
done
exit $status

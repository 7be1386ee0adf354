#!/usr/bin/env bash
# Best available on a 100,000-seat event at fill levels 0, 50, 95 and
# 99.9 % (scattered): Redis' time a hold_batch call with a best-available
# operation takes, from SLOWLOG (bench/best_available.py says how).
#
# Usage: bench/best.sh [rows=1000] [seats a row=100] [calls=400] [usherd=./build/usherd]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000}; PER=${2:-100}; CALLS=${3:-400}; BIN=${4:-./build/usherd}
RPORT=${BENCH_REDIS_PORT:-6394}
HPORT=${BENCH_HTTP_PORT:-8094}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd "$BIN"
python3 bench/best_available.py "$HPORT" "$RPORT" "$ROWS" "$PER" "$CALLS"

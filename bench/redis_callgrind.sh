#!/usr/bin/env bash
# Instructions redis-server executes per hold+release pair of hold_batch
# calls (callgrind: repeatable whatever else the machine does, unlike
# CPU seconds): a private redis-server under callgrind, a 100,000-seat
# event, a warm-up, then a fixed amount of work from bench/redis_direct.py
# (ROUNDS rounds of 64 holds and their releases, BATCH operations a call)
# counted alone. The script is the working tree's lua/, so two checkouts
# compare two scripts (see BENCH_LUA_ROOT).
#
# Usage: bench/redis_callgrind.sh [batch=64] [rounds=20]
#   BENCH_LUA_ROOT: the checkout whose lua/ and harness to use (default .)
#   BENCH_REDIS_CONFIG: "name value" set on the redis-server first
#   BENCH_REDIS_ENCODING=default: Redis' default encodings (bench/lib.sh)
#   BENCH_CUT_AFTER: see bench/redis_direct.py (only holds then)
#   BENCH_FCALL=1: call hold_batch as a Functions library (as usherd does)
#   BENCH_CALLGRIND_OUT: keep the callgrind profile in this directory
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-64}; ROUNDS=${2:-20}
LUA_ROOT=$(cd "${BENCH_LUA_ROOT:-.}" && pwd)
RPORT=${BENCH_REDIS_PORT:-6394}
HPORT=${BENCH_HTTP_PORT:-8094}
command -v callgrind_control >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. bench/lib.sh
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$TMP/cg.out" \
  redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$TMP" \
  "${REDIS_ENCODING[@]}" --daemonize no >"$TMP/redis.log" 2>&1 &
RPID=$!; bench_pids+=("$RPID")
for _ in $(seq 300); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
if [ -n "${BENCH_REDIS_CONFIG:-}" ]; then
  # shellcheck disable=SC2086
  redis-cli -p "$RPORT" config set $BENCH_REDIS_CONFIG >/dev/null
fi
bench_usherd ./build/usherd          # only to create the event
bench_event 100
kill "$UPID"; wait "$UPID" 2>/dev/null || true
direct() { BENCH_LUA_ROOT=$LUA_ROOT python3 bench/redis_direct.py "$RPORT" bench "rounds=$1" "$B"; }
direct 2 >/dev/null
callgrind_control -i on "$RPID" >/dev/null 2>&1
out=$(direct "$ROUNDS")
callgrind_control -d "$RPID" >/dev/null 2>&1
callgrind_control -i off "$RPID" >/dev/null 2>&1
for _ in $(seq 50); do ls "$TMP"/cg.out.* >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.5
n=${out#pairs=}; n=${n%% *}
total=$(awk '/^(summary|totals):/ {print $2; exit}' "$TMP"/cg.out.*)
if [ -n "${BENCH_CALLGRIND_OUT:-}" ]; then mkdir -p "$BENCH_CALLGRIND_OUT"; cp "$TMP"/cg.out.* "$BENCH_CALLGRIND_OUT"/; fi
unit=pairs; [ -n "${BENCH_CUT_AFTER:-}" ] && unit=holds
awk -v t="$total" -v n="$n" -v b="$B" -v u="$unit" 'BEGIN {
  printf "batch %3d: %6d %s  %12d instructions  %7.0f per %s\n", b, n, u, t, t / n, substr(u, 1, length(u) - 1) }'

#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan, leak checks) in
# build-fuzz/ and runs each for FUZZ_SECONDS (default 60) from the seed
# corpus in tests/fuzz/corpus/. Fails on any crash, leak or sanitizer
# report; the reproducer is left in build-fuzz/artifacts/.
#
# Usage: tests/fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-${FUZZ_SECONDS:-60}}
command -v clang >/dev/null || { echo "fuzz: clang is not installed" >&2; exit 1; }
CC=clang cmake -S . -B build-fuzz -DUSHER_FUZZ=ON -DUSHER_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_bodies fuzz_request fuzz_keys fuzz_wire >/dev/null
mkdir -p build-fuzz/artifacts
status=0
for t in bodies request keys wire; do
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  cp -n tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  echo "=== fuzz_$t: ${SECS}s"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      build-fuzz/fuzz_$t "$work" -max_total_time="$SECS" -max_len=70000 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix=build-fuzz/artifacts/$t- -print_final_stats=1 \
      > "build-fuzz/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t FAILED:"; tail -40 "build-fuzz/fuzz_$t.log"; status=1
  else
    grep -E "stat::number_of_executed_units|Done" "build-fuzz/fuzz_$t.log" | tail -2
  fi
done
exit $status

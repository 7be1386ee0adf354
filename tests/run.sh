#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what is
# missing, builds twice (plain, and with ASan+UBSan), and runs every test
# with ctest against a real redis-server and the real usherd on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh

jobs=$(nproc)
status=0
for variant in plain sanitize; do
  dir=build-test-$variant
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
  if [ $variant = sanitize ]; then
    flags=(-DCMAKE_BUILD_TYPE=Debug -DUSHER_SANITIZE=ON)
  fi
  echo "=== usher tests: $variant build ==="
  cmake -S . -B "$dir" "${flags[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure --timeout 600 || status=1
done
exit $status

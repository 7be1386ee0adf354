#!/usr/bin/env bash
# One command from a fresh clone to the whole test suite: installs what is
# missing, builds twice (plain, and with ASan+UBSan), runs every test with
# ctest against a real redis-server and the real usherd on loopback, then
# runs the libFuzzer targets (tests/fuzz) for FUZZ_SECONDS each (60).
set -euo pipefail
cd "$(dirname "$0")/.."

./deploy/install-deps.sh

# For the browser test: Debian's chromium and playwright-core from npm; for
# the metrics tests: promtool (Debian's prometheus). Best effort: without
# them those checks report themselves skipped.
if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    chromium >/dev/null 2>&1 || echo "usher tests: chromium could not be installed" >&2
fi
if ! command -v promtool >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    prometheus >/dev/null 2>&1 || echo "usher tests: promtool could not be installed" >&2
  # the package starts a Prometheus server we do not want running
  $SUDO pkill -x prometheus 2>/dev/null || true
fi
# For the deploy tests (tests/integration/test_deploy.py): nginx in front
# of two usherd, systemd-analyze for the unit, PyYAML for the manifests.
# Required: integration_deploy fails without them. nginx's package may
# start a server on port 80 we do not want running.
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
python3 -c "import yaml" 2>/dev/null || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need[@]}" >/dev/null 2>&1 || echo "usher tests: ${need[*]} could not be installed" >&2
  $SUDO pkill -x nginx 2>/dev/null || true
fi
# clang for the fuzz targets: required, the suite fails without it.
if ! command -v clang >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    clang >/dev/null 2>&1 || echo "usher tests: clang could not be installed" >&2
fi
if command -v npm >/dev/null 2>&1 && [ ! -d tests/browser/node_modules/playwright-core ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --silent >/dev/null 2>&1 ||
    echo "usher tests: playwright-core could not be installed" >&2
fi
# For the spec lint: Node.js and npm (Debian's), and Redocly's linter from
# npm, pinned in tests/spec/package-lock.json. Required: spec_lint fails
# without it.
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    nodejs npm >/dev/null 2>&1 || echo "usher tests: npm could not be installed" >&2
fi
if [ ! -f tests/spec/node_modules/@redocly/cli/bin/cli.js ]; then
  npm ci --prefix tests/spec --no-audit --no-fund --silent >/dev/null 2>&1 ||
    echo "usher tests: @redocly/cli could not be installed" >&2
fi

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
echo "=== usher tests: fuzzing ==="
tests/fuzz/run.sh "${FUZZ_SECONDS:-60}" || status=1
exit $status

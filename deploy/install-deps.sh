#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages usher needs to build, run and test,
# skipping those already present. Used by deploy/demo.sh and tests/run.sh.
set -euo pipefail

PKGS=(build-essential cmake pkg-config libevent-dev libhiredis-dev
      libjansson-dev liblua5.4-dev lua5.4 libcmocka-dev redis-server
      redis-tools python3 curl)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "usher: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

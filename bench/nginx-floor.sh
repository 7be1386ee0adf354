#!/usr/bin/env bash
# The floor of any HTTP server's CPU per request on this machine: nginx
# (one worker, no logging) answering the hold/release route shapes with
# a fixed body, no Redis behind it, under the same wrk hold+release
# script and connections as bench/ab.sh. Prints nginx's user and system
# CPU per request for each run: what usherd's own share is measured
# against (bench/README.md, issue 15).
#
# Usage: bench/nginx-floor.sh [runs=3] [seconds=5] [connections=64]
# Needs: nginx (Debian nginx-light), wrk.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; SECS=${2:-5}; CONNS=${3:-64}
PORT=${BENCH_HTTP_PORT:-8097}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed (apt-get install nginx-light)" >&2; exit 1; }
TMP=$(mktemp -d)
mkdir -p "$TMP/logs"
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
error_log $TMP/logs/error.log;
pid $TMP/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$PORT;
    location ~ ^/v1/events/bench/holds\$ {
      default_type application/json;
      return 201 '{"event":"bench","hold_id":"AAAAAAAAAAAAAAAAAAAAAA","state":"held","seats":["S-R1-1"],"created_at":"2026-12-02T05:30:00.000Z","expires_at":"2026-12-02T05:40:00.000Z"}';
    }
    location ~ ^/v1/events/bench/holds/ { return 204; }
  }
}
CONF
"$NGINX" -c "$TMP/nginx.conf" -p "$TMP" &
NPID=$!
trap 'kill $NPID 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do [ -s "$TMP/nginx.pid" ] && curl -s "http://127.0.0.1:$PORT/" >/dev/null && break; sleep 0.1; done
W=$(pgrep -P "$(cat "$TMP/nginx.pid")" | head -1)
TCK=$(getconf CLK_TCK)
for run in $(seq "$RUNS"); do
  read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$W/stat")
  ROWS=10 wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/wrk/hold-release.lua \
    "http://127.0.0.1:$PORT" >"$TMP/wrk.out"
  read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$W/stat")
  n=$(awk '/requests in/ {print $1}' "$TMP/wrk.out")
  awk -v n="$n" -v u=$((u1 - u0)) -v s=$((s1 - s0)) -v t="$TCK" -v r="$run" \
      -v rps="$(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.out")" 'BEGIN {
    printf "run %d: %9s req/s  nginx user %4.1f us + system %4.1f us = %4.1f us per request\n",
      r, rps, u / t * 1e6 / n, s / t * 1e6 / n, (u + s) / t * 1e6 / n }'
done

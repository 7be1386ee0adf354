#!/usr/bin/env bash
# Redis memory of one idle event: used_memory before and after PUT of a
# ROWS x 1,000-seat event (bench_event), per seat, and MEMORY USAGE of
# each of its keys (SAMPLES 0: every element counted).
#
# Usage: bench/memory.sh [rows=100] [form=range|seats] [usherd=./build/usherd]
#   range: rows of {"range"} (the bench's maps); seats: every seat listed
#   with "x" and "y", as a drawn seat map sends it
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-100}; FORM=${2:-range}; BIN=${3:-./build/usherd}
RPORT=${BENCH_REDIS_PORT:-6395}
HPORT=${BENCH_HTTP_PORT:-8095}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
bench_usherd "$BIN"
mem() { redis-cli -p "$RPORT" info memory | awk -F: '/^used_memory:/ {print $2+0}'; }
curl -fs "http://127.0.0.1:$HPORT/v1/events" >/dev/null
sleep 0.3
before=$(mem)
if [ "$FORM" = seats ]; then
  python3 - "$ROWS" >"$TMP/map.json" <<'PY'
import json, sys
rows = [{"id": "R%d" % r, "seats": [{"id": "S-R%d-%d" % (r, n), "x": round(n * 0.55, 2),
                                     "y": round(r * 0.9, 2)} for n in range(1, 1001)]}
        for r in range(1, int(sys.argv[1]) + 1)]
print(json.dumps({"name": "bench", "sections": [{"id": "S", "rows": rows}]}))
PY
  curl -fs -X PUT "http://127.0.0.1:$HPORT/v1/events/bench" --data-binary "@$TMP/map.json" >/dev/null
else
  bench_event "$ROWS"
fi
sleep 0.5          # the staging keys' UNLINK frees off the main thread
after=$(mem)
seats=$((ROWS * 1000))
awk -v a="$after" -v b="$before" -v n="$seats" \
  'BEGIN { printf "%d seats ('"$FORM"' rows): used_memory +%d bytes, %.1f bytes a seat\n", n, a - b, (a - b) / n }'
for k in $(redis-cli -p "$RPORT" --scan --pattern 'usher:{bench}:*' | sort); do
  printf "  %-24s %10d bytes\n" "$k" "$(redis-cli -p "$RPORT" memory usage "$k" samples 0)"
done
# then 1,000 live one-seat holds, and what each adds
before=$(mem)
for n in $(seq 1 1000); do
  printf '{"seats":["S-R1-%d"]}' "$n" >"$TMP/h.json"
  curl -fs -X POST "http://127.0.0.1:$HPORT/v1/events/bench/holds" --data-binary "@$TMP/h.json" >/dev/null
done
after=$(mem)
awk -v a="$after" -v b="$before" \
  'BEGIN { printf "1000 live one-seat holds: +%d bytes, %.0f bytes a hold (with their journal entries)\n", a - b, (a - b) / 1000 }'

#!/usr/bin/env bash
# Overload: what admitted requests see when twice the servable load
# arrives. First the saturation rate S of hold+release (usher-bench rate
# --rate max, closed loop); then an open-model run at 2 x S, once with
# load shedding off (--max-inflight 0) and once on (--max-inflight M),
# alternating, on a fresh usherd each time. Prints, per run, the answered
# throughput, the p99 of admitted answers (not 429/503, measured from each
# request's due time, as wrk2) and how many were shed. Then the same for
# a swarm of buyers at twice the swarm's own servable rate (below).
#
# Usage: bench/overload.sh [runs=3] [seconds=10] [max_inflight=64] [connections=256]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}; SECS=${2:-10}; MAXIF=${3:-64}; CONNS=${4:-256}
RPORT=${BENCH_REDIS_PORT:-6398}
HPORT=${BENCH_HTTP_PORT:-8098}
# shellcheck source=bench/lib.sh
. bench/lib.sh
bench_redis
U="http://127.0.0.1:$HPORT"

PIN_LOAD=()
[ -n "${BENCH_LOAD_CPUS:-}" ] && PIN_LOAD=(taskset -c "$BENCH_LOAD_CPUS")
start_usherd() { # max_inflight
  "${PIN_SERVER[@]}" "${BENCH_USHERD:-./build/usherd}" --listen "127.0.0.1:$HPORT" --redis "redis://127.0.0.1:$RPORT" \
    --max-inflight "$1" 2>>"$TMP/usherd.log" &
  UPID=$!; bench_pids+=("$UPID")
  for _ in $(seq 50); do curl -fs "$U/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "usherd did not become ready" >&2; exit 1
}
stop_usherd() { kill "$UPID"; wait "$UPID" 2>/dev/null || true; }

# saturation without shedding (with it, cheap 503s would count as served):
# the median of three closed-loop runs, since one run on a noisy machine
# can be off by half
start_usherd 0
bench_event 100
if [ -n "${BENCH_SAT:-}" ]; then
  SAT=$BENCH_SAT   # given (A/B runs of two binaries against one S)
else
  for i in 1 2 3; do
    "${PIN_LOAD[@]}" ./build/usher-bench rate --target "$U" --event bench --rate max --duration 5 \
      --connections "$CONNS" --quiet --json "$TMP/sat$i.json" >/dev/null 2>&1 || true
  done
  SAT=$(python3 -c 'import json,sys; print(sorted(int(json.load(open(f))["rps"]) for f in sys.argv[1:])[1])' \
    "$TMP"/sat[123].json)
fi
stop_usherd
echo "saturation (closed loop, $CONNS connections, median of 3, or BENCH_SAT): $SAT req/s; offered below: $((2 * SAT)) req/s"
[ "${BENCH_SKIP_RATE:-0}" = 1 ] && RATE_RUNS=0 || RATE_RUNS=$RUNS
MODES="0 $MAXIF"
[ "${BENCH_SKIP_OFF:-0}" = 1 ] && MODES=$MAXIF   # shedding on only (A/B of binaries)
for run in $(seq "$RATE_RUNS"); do
  for m in $MODES; do
    start_usherd "$m"
    "${PIN_LOAD[@]}" ./build/usher-bench rate --target "$U" --event bench --rate $((2 * SAT)) --duration "$SECS" \
      --connections "$CONNS" --timeout 10000 --quiet --json "$TMP/r.json" >/dev/null 2>&1 || true
    stop_usherd
    python3 - "$TMP/r.json" "$m" "$run" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ans = sum(sum(o["codes"].values()) for o in r["ops"].values())
shed = sum(o["codes"].get("503", 0) + o["codes"].get("429", 0) for o in r["ops"].values())
adm = [o["admitted"] for o in r["ops"].values()]
p99 = max(a["p99_us"] for a in adm) / 1000
p50 = max(a["p50_us"] for a in adm) / 1000
sent = max(a["sent_p99_us"] for a in adm) / 1000
queue = max(o["bench_wait_p99_us"] for o in r["ops"].values()) / 1000
print("run %s max-inflight %4s: answered %7d, admitted %7d, admitted p50 %7.1f ms "
      "p99 %7.1f ms (from send %6.1f ms, bench queue p99 %6.0f ms), shed %5.1f %%, errors %s" % (
          sys.argv[3], sys.argv[2], ans, ans - shed,
          p50, p99, sent, queue, 100.0 * shed / max(ans, 1), r["errors"]))
PY
  done
done

[ "${BENCH_SKIP_SWARM:-0}" = 1 ] && exit 0

# The same as a swarm. Buyers arrive (Poisson), each making a hold and
# then a reserve or release; shed buyers come back after Retry-After for up
# to 5 s (patience), reserves shed while the hold lives are tried again.
# 192,000 seats (20 x 160 x 60) so that the runs do not sell out: a
# sell-out turns the end of a run into a storm of 409 retries.
#
# "Twice the rate the server can serve" needs this swarm's own servable
# rate W, not S (a buyer is a hold plus a reserve on a much larger venue,
# with conflicts and retries): the highest arrival rate of a ladder
# (S/20, 2 S/20, ... up to S/2, shedding off) at which buyers are still
# served without a standing queue (admitted p50 from due under 10 ms), or
# BENCH_SWARM_SAT. Then RUNS x (off, on) at 2 x W.
# Admitted latency is printed twice: from each request's due time (with
# the bench's own queue: when usher-bench cannot send as fast as buyers
# arrive, requests wait in it) and from when a connection sent it (the
# server's share); "bench queue p99" says how much of the first is the
# generator's. Seats sold and the audit; shedding off and on, alternating.
swarm_run() { # rate max_inflight seed json
  start_usherd "$2"
  redis-cli -p "$RPORT" flushall >/dev/null
  ./build/usher-bench venue --target "$U" --event ov --sections 20 --rows 160 --seats 60 >/dev/null
  "${PIN_LOAD[@]}" ./build/usher-bench swarm --target "$U" --event ov --users $(($1 * SECS)) \
    --arrival "rate:$1" --duration "$SECS" --party 1-4 --think 1 --hold-ttl 10 --patience 5 \
    --connections "$CONNS" --seed "$3" --quiet --json "$4" >/dev/null 2>&1 || true
  stop_usherd
}
if [ -n "${BENCH_SWARM_SAT:-}" ]; then
  W=$BENCH_SWARM_SAT
else
  W=0
  for k in 1 2 3 4 5 6 7 8 9 10; do
    rate=$((SAT * k / 20))
    swarm_run "$rate" 0 1 "$TMP/w.json"
    p50=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["ops"]; print(int(max(o[k]["admitted"]["p50_us"] for k in ("hold","reserve") if k in o)))' "$TMP/w.json")
    echo "  ladder: $rate buyers/s, shedding off: buyers' admitted p50 from due $((p50 / 1000)) ms"
    [ "$p50" -lt 10000 ] || break
    W=$rate
  done
  [ "$W" -gt 0 ] || { echo "no servable swarm rate found" >&2; exit 1; }
fi
echo "swarm: servable rate W = $W buyers/s (or BENCH_SWARM_SAT); offered below: $((2 * W)) buyers/s for $SECS s, 192,000 seats, $CONNS connections"
for run in $(seq "$RUNS"); do
  for m in $MODES; do
    swarm_run $((2 * W)) "$m" "$run" "$TMP/s.json"
    python3 - "$TMP/s.json" "$m" "$run" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); d = r["duration_s"]; ops = r["ops"]
# the buyers' requests, and apart from them the bench's monitor reads (the
# event's counts each second, the seat map every 5 s)
buy = [ops[k] for k in ("hold", "reserve", "release") if k in ops and ops[k]["admitted"]["requests"]]
shed = sum(o["codes"].get("503", 0) + o["codes"].get("429", 0) for o in ops.values())
p99 = lambda l, k: max(o["admitted"][k] for o in l) / 1000 if l else float("nan")
mon = lambda k: p99([ops[k]], "sent_p99_us") if k in ops and ops[k]["admitted"]["requests"] else float("nan")
print("run %s max-inflight %4s: offered %6.0f/s, admitted %6.0f/s; buyers' admitted p99 %7.1f ms "
      "from due / %5.1f ms from send (bench queue p99 %6.0f ms); monitor reads p99 from send: "
      "counts %5.1f ms, seat map %5.1f ms; shed %4.1f %%, buyers with seats %5.0f/s, sold %6d, audit %s" % (
          sys.argv[3], sys.argv[2], sum(o["requests"] for o in ops.values()) / d,
          sum(o["admitted"]["requests"] for o in ops.values()) / d, p99(buy, "p99_us"),
          p99(buy, "sent_p99_us"), max(o["bench_wait_p99_us"] for o in buy) / 1000,
          mon("counts"), mon("seatmap"),
          100.0 * shed / max(sum(o["requests"] for o in ops.values()), 1),
          r["users"]["with_seats"] / d, r["seats"]["sold"],
          "clean" if r["audit"]["ok"] else "VIOLATIONS"))
PY
  done
done

# Shared by the bench scripts (source it): a private redis-server and
# usherd on loopback, stopped on exit, and per-process CPU time.
# Sets TMP, RPID; bench_usherd sets UPID. Callers set RPORT and HPORT.
TMP=$(mktemp -d)
bench_pids=()
bench_cleanup() {
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap bench_cleanup EXIT
TCK=$(getconf CLK_TCK)

# utime + stime of a process, in clock ticks (TCK per second)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# BENCH_SERVER_CPUS (e.g. 0) pins redis-server, and usherd in the scripts
# that honour it, to those CPUs: the load generator then gets the others,
# as if it ran on another machine.
PIN_SERVER=()
[ -n "${BENCH_SERVER_CPUS:-}" ] && PIN_SERVER=(taskset -c "$BENCH_SERVER_CPUS")

# deploy/redis/redis.conf's encodings (hashes and zsets never listpacks);
# BENCH_REDIS_ENCODING=default measures Redis' own defaults instead.
REDIS_ENCODING=(--hash-max-listpack-entries 0 --zset-max-listpack-entries 0)
[ "${BENCH_REDIS_ENCODING:-}" = default ] && REDIS_ENCODING=()
bench_redis() {
  "${PIN_SERVER[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no \
    "${REDIS_ENCODING[@]}" --dir "$TMP" --daemonize no --logfile "$TMP/redis.log" &
  RPID=$!; bench_pids+=("$RPID")
  for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}

# BENCH_USHERD_FLAGS: more usherd flags (e.g. --max-inflight 0: no shedding)
bench_usherd() { # binary
  # shellcheck disable=SC2086
  "$1" --listen "127.0.0.1:$HPORT" --redis "redis://127.0.0.1:$RPORT" ${BENCH_USHERD_FLAGS:-} \
    2>>"$TMP/usherd.log" &
  UPID=$!; bench_pids+=("$UPID")
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$HPORT/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "usherd did not become ready" >&2; exit 1
}

# PUT event NAME (default "bench"): one section S, ROWS rows of 1,000
# seats (S-R<r>-<n>)
bench_event() { # rows [name]
  local rows="" r
  for r in $(seq 1 "$1"); do rows+="${rows:+,}{\"id\":\"R$r\",\"range\":{\"from\":1,\"to\":1000}}"; done
  curl -fs -X PUT "http://127.0.0.1:$HPORT/v1/events/${2:-bench}" \
    -d "{\"name\":\"bench\",\"sections\":[{\"id\":\"S\",\"rows\":[$rows]}]}" >/dev/null
}

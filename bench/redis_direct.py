"""Sends hold + release pairs straight to Redis as usherd does (EVALSHA
hold_batch with the same keys and arguments, no HTTP), BATCH operations a
call (as usherd coalesces one event's operations; 1 = each alone), a
round of calls pipelined. bench/measure.sh reads redis-server's CPU time
around it, so the Python client's own cost does not enter the figure.

Usage: redis_direct.py PORT EVENT SECONDS|rounds=N [BATCH=1]
  (seats S-R<row>-<n>, 100 x 1000; rounds=N: a fixed amount of work, N
  rounds of 64 holds then their releases, for bench/redis_callgrind.sh)
Env BENCH_CUT_AFTER: a line of lua/hold_batch.lua (whole, without its
  newline; the first one) after which each operation stops and answers
  'x': only holds are sent then, and the count printed is of holds. Comparing cuts at successive lines of
  op_hold gives what each step costs.
Env BENCH_LUA_ROOT: send the scripts of that checkout instead.
Env BENCH_FCALL=1: load hold_batch as a Functions library and FCALL it,
  as usherd does (default: EVALSHA of the script).
Env BENCH_FULL_HOLD=1: send each hold as `H` with its four empty
  arguments (holder, ttl, key, fingerprint), as usherd did before `h`
  (and as scripts before it need)."""
import os
import random
import sys
import time

# BENCH_LUA_ROOT: another checkout, whose scripts (and harness) to send
sys.path.insert(0, os.path.join(os.environ.get("BENCH_LUA_ROOT") or
                                os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
from harness import Redis, event_keys, library_source, script_source  # noqa: E402

port, event = int(sys.argv[1]), sys.argv[2]
rounds = int(sys.argv[3][7:]) if sys.argv[3].startswith("rounds=") else None
secs = 0 if rounds else float(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 1
cut = os.environ.get("BENCH_CUT_AFTER")
source = script_source("hold_batch")
if cut:   # the first such line of hold_batch.lua itself, after the prelude
    body = source.index("-- hold_batch:")
    at = source.index(cut + "\n", body) + len(cut) + 1
    source = source[:at] + "  do return 'x' end\n" + source[at:]
r = Redis(port)
if os.environ.get("BENCH_FCALL"):     # as usherd calls it: FCALL of a library
    lib = library_source("bench")
    if cut:
        body = lib.index("-- hold_batch:")
        at = lib.index(cut + "\n", body) + len(cut) + 1
        lib = lib[:at] + "  do return 'x' end\n" + lib[at:]
    # loaded once per Redis (by the warm-up run, in bench/redis_callgrind.sh),
    # as usherd does once per connection: a load is not per-call work
    if not r.cmd("FUNCTION", "LIST", "LIBRARYNAME", "usher_bench"):
        r.cmd("FUNCTION", "LOAD", lib)
    CALL = ("FCALL", "hold_batch_bench")
else:
    CALL = ("EVALSHA", r.cmd("SCRIPT", "LOAD", source))
keys = event_keys(event)
ROUND = 64                      # operations in flight per round


def pack(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def calls(ops):
    """EVALSHA hold_batch calls of `batch` operations each."""
    out = []
    for i in range(0, len(ops), batch):
        part = ops[i:i + batch]
        args = [str(len(part))]
        for op in part:
            args += op
        out.append(pack(*CALL, str(len(keys)), *keys, *args))
    return out


def replies(n_calls):
    got = []
    for _ in range(n_calls):
        try:
            got.append(r._read())
        except RuntimeError:
            got.append(None)
    return got


rnd = random.Random(os.getpid())   # a run after a warm-up picks other seats
pairs = ncalls = done = 0
end = time.time() + secs
while (done < rounds) if rounds else (time.time() < end):
    done += 1
    ids = ["d%d-%d-%d" % (os.getpid(), done, i) for i in range(ROUND)]
    seats = ["S-R%d-%d" % (rnd.randint(1, 100), rnd.randint(1, 1000)) for _ in ids]
    if os.environ.get("BENCH_FULL_HOLD"):
        ops = [["H", h, "", "", "", "", "1", s] for h, s in zip(ids, seats)]
    else:    # as usherd sends a hold without holder, TTL or key
        ops = [["h", h, "1", s] for h, s in zip(ids, seats)]
    cs = calls(ops)
    r.sock.sendall(b"".join(cs))
    ok = []
    for res in replies(len(cs)):
        for one in res or []:
            if cut and one == "x":
                pairs += 1
            elif isinstance(one, str):   # held ("replay id state ..."): release it below
                ok.append(one.split(" ")[1])
    cs = calls([["D", h] for h in ok])
    r.sock.sendall(b"".join(cs))
    replies(len(cs))
    pairs += len(ok)
    ncalls += len(cs) * 2
print("pairs=%d calls=%d" % (pairs, ncalls))

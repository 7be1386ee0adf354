"""Sends hold + release pairs straight to Redis as usherd does (EVALSHA
hold_batch with the same keys and arguments, no HTTP), BATCH operations a
call (as usherd coalesces one event's operations; 1 = each alone), a
round of calls pipelined. bench/measure.sh reads redis-server's CPU time
around it, so the Python client's own cost does not enter the figure.

Usage: redis_direct.py PORT EVENT SECONDS [BATCH=1]  (seats S-R<row>-<n>, 100 x 1000)"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
from harness import Redis, event_keys, script_source  # noqa: E402

port, event, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
batch = int(sys.argv[4]) if len(sys.argv) > 4 else 1
r = Redis(port)
sha = r.cmd("SCRIPT", "LOAD", script_source("hold_batch"))
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
        out.append(pack("EVALSHA", sha, str(len(keys)), *keys, *args))
    return out


def replies(n_calls):
    got = []
    for _ in range(n_calls):
        try:
            got.append(r._read())
        except RuntimeError:
            got.append(None)
    return got


rnd = random.Random(7)
pairs = ncalls = 0
end = time.time() + secs
while time.time() < end:
    ids = ["d%d-%d" % (pairs, i) for i in range(ROUND)]
    ops = [["H", h, "", "", "", "", "1", "S-R%d-%d" % (rnd.randint(1, 100), rnd.randint(1, 1000))]
           for h in ids]
    cs = calls(ops)
    r.sock.sendall(b"".join(cs))
    ok = []
    for res in replies(len(cs)):
        for one in res or []:
            if isinstance(one, str):     # held ("replay id state ..."): release it below
                ok.append(one.split(" ")[1])
    cs = calls([["D", h] for h in ok])
    r.sock.sendall(b"".join(cs))
    replies(len(cs))
    pairs += len(ok)
    ncalls += len(cs) * 2
print("pairs=%d calls=%d" % (pairs, ncalls))

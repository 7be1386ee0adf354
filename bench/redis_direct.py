"""Sends hold_create + hold_release pairs straight to Redis with EVALSHA,
pipelined, as usherd would: the same scripts, keys and arguments, no HTTP.
bench/measure.sh reads redis-server's CPU time around it, so the Python
client's own cost does not enter the figure.

Usage: redis_direct.py PORT EVENT SECONDS  (seats S-R<row>-<n>, 100 x 1000)"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "integration"))
from harness import Redis, event_keys, script_source  # noqa: E402

port, event, secs = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
r = Redis(port)
sha_hold = r.cmd("SCRIPT", "LOAD", script_source("hold_create"))
sha_rel = r.cmd("SCRIPT", "LOAD", script_source("hold_release"))
keys = event_keys(event)


def pack(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


rnd = random.Random(7)
pairs = 0
batch = 64
end = time.time() + secs
while time.time() < end:
    ids = ["d%d-%d" % (pairs, i) for i in range(batch)]
    seats = ["S-R%d-%d" % (rnd.randint(1, 100), rnd.randint(1, 1000)) for _ in range(batch)]
    r.sock.sendall(b"".join(pack("EVALSHA", sha_hold, str(len(keys)), *keys, h, "", "", "", "fp", s)
                            for h, s in zip(ids, seats)))
    ok = []
    for h in ids:
        try:
            r._read()
            ok.append(h)
        except RuntimeError:
            pass                         # 409: seat taken, counted as one call
    r.sock.sendall(b"".join(pack("EVALSHA", sha_rel, str(len(keys)), *keys, h) for h in ok))
    for _ in ok:
        r._read()
    pairs += len(ok)
print("pairs=%d calls=%d" % (pairs, pairs * 2))

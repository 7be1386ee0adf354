#!/usr/bin/env python3
"""Redis' cost of a best-available hold on a big event at fill levels
(bench/best.sh runs it against a private redis-server and usherd).

The event: ROWS rows of SEATS listed seats with x, y and a focal point in
front of the middle (an arena's map). Each fill level blocks more seats,
chosen at random (scattered: the hardest case for "together"), through
POST /block. Then CALLS best-available holds of 2 to 4 seats, one at a
time, each released at once so the level stays; every hold_batch call
Redis ran for them is in SLOWLOG (threshold 0), and its duration is the
figure: p50, p99 and max of the calls with a B operation.

Usage: best_available.py http_port redis_port [rows=1000] [seats=100] [calls=400]
"""
import http.client
import json
import random
import socket
import sys


class Redis:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.s.sendall(out)
        return self.read()

    def read(self):
        line = self.f.readline()[:-2]
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return rest.decode()
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode(errors="replace")
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ValueError(line)


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0


def main():
    hport, rport = int(sys.argv[1]), int(sys.argv[2])
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    per = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    calls = int(sys.argv[5]) if len(sys.argv) > 5 else 400
    rnd = random.Random(18)
    h = http.client.HTTPConnection("127.0.0.1", hport, timeout=60)

    def req(method, path, body=None):
        h.request(method, path, json.dumps(body) if body is not None else None)
        r = h.getresponse()
        data = r.read()
        return r.status, (json.loads(data) if data else None)

    ids = []
    rws = []
    for r in range(rows):
        seats = []
        for n in range(per):
            sid = "R%d-%d" % (r, n)
            ids.append(sid)
            seats.append({"id": sid, "x": n, "y": r})
        rws.append({"id": "R%d" % r, "seats": seats})
    st, b = req("PUT", "/v1/events/big", {"name": "big", "focal_point": {"x": per / 2, "y": -5},
                                          "sections": [{"id": "S", "rows": rws}]})
    assert st in (200, 201), b
    red = Redis(rport)
    free = ids[:]
    rnd.shuffle(free)
    total = len(ids)
    print("%d seats (%d rows of %d), focal point in front of the middle; %d best-available "
          "holds of 2-4 seats a level, each released at once" % (total, rows, per, calls))
    print("%-7s %9s %9s %9s %9s  %s" % ("fill", "p50 us", "p99 us", "max us", "held", "answers"))
    for level in (0.0, 0.5, 0.95, 0.999):
        want = int(total * level)
        blocked = total - len(free)
        while blocked < want:
            chunk = free[:min(5000, want - blocked)]
            del free[:len(chunk)]
            st, b = req("POST", "/v1/events/big/block", {"seats": chunk})
            assert st == 200, b
            blocked += len(chunk)
        red.cmd("CONFIG", "SET", "slowlog-log-slower-than", 0)
        red.cmd("CONFIG", "SET", "slowlog-max-len", 100000)
        red.cmd("SLOWLOG", "RESET")
        answers = {}
        held = 0
        for _ in range(calls):
            k = rnd.randint(2, 4)
            st, b = req("POST", "/v1/events/big/holds", {"best_available": {"count": k}})
            code = "201" if st == 201 else b["error"]["code"]
            answers[code] = answers.get(code, 0) + 1
            if st == 201:
                assert len(b["seats"]) == k and b["next_to_each_other"], b
                held += 1
                st, _ = req("DELETE", "/v1/events/big/holds/" + b["hold_id"])
                assert st == 204
        log = red.cmd("SLOWLOG", "GET", 1000000)
        red.cmd("CONFIG", "SET", "slowlog-log-slower-than", 10000)
        us = []
        for e in log:
            args = e[3]
            if args and args[0].upper() == "FCALL" and args[1].startswith("hold_batch") \
                    and "B" in args[3 + int(args[2]):]:
                us.append(int(e[2]))
        assert len(us) == calls, (len(us), calls)
        status = red.cmd("GET", "usher:{big}:status")
        assert status.count("h") == 0 and status.count("b") == blocked, "books moved"
        print("%-7s %9d %9d %9d %9d  %s" % ("%.1f%%" % (level * 100), pct(us, 0.5),
                                            pct(us, 0.99), max(us), held,
                                            " ".join("%s=%d" % kv for kv in sorted(answers.items()))))


if __name__ == "__main__":
    main()

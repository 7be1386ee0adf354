"""The differential test of coalesced hold operations (issue 15): one
seeded random sequence of hold, read, extend, reserve and release
requests over three events (idempotency keys replayed and reused, a
per-holder limit, conflicts, unknown seats, holds left to expire), sent in
rounds in lockstep over many connections so that the requests of a round
share batches, run against usherd with coalescing on (--batch-max 64) and
off (--batch-max 1), and checked against a reference model of the
semantics written here (seats, holds, orders as plain dictionaries): the
same answer per request in all three, and the same final state in both
Redis (statuses, owners, orders, holder lists, and every seat's journal
of changes). The requests of one round never depend on each other (no two
touch a seat, a hold or a limited holder, but for identical idempotent
retries, which answer alike in any order), so the order usherd reads
them in cannot change an answer."""
import json
import random
import re
import socket
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()
SEED = 1515
CONNS = 24
ROUNDS = 40
EVENTS = {
    "bt-a": {"seats": 60, "limit": 0, "max_per_hold": 4},
    "bt-b": {"seats": 40, "limit": 3, "max_per_hold": 3},
    "bt-c": {"seats": 30, "limit": 0, "max_per_hold": 2},
}
HOLDERS = ["h%d" % i for i in range(6)]


def seat_ids(ev):
    n = EVENTS[ev]["seats"]
    return ["A-R%d-%d" % (i // 10 + 1, i % 10 + 1) for i in range(n)]


def seat_map(ev):
    n = EVENTS[ev]["seats"]
    return {"name": ev, "max_seats_per_hold": EVENTS[ev]["max_per_hold"],
            "max_seats_per_holder": EVENTS[ev]["limit"],
            "sections": [{"id": "A", "rows": [{"id": "R%d" % (r + 1), "range": {"from": 1, "to": 10}}
                                              for r in range(n // 10)]}]}


# ---- the sequence ------------------------------------------------------

def make_sequence():
    """Rounds of operations, each a dict: kind, event, and what it needs.
    Holds are named by their position in the sequence ("ref"), resolved
    to each run's own hold id when sent."""
    rnd = random.Random(SEED)
    rounds, holds, keys = [], [], []     # holds: (ref, event, seats, holder, key)
    for rno in range(ROUNDS):
        ops, busy_seats, busy_holds, busy_holders = [], set(), set(), set()
        while len(ops) < CONNS - 1:
            ev = rnd.choice(list(EVENTS))
            kind = rnd.choices(["hold", "get", "extend", "reserve", "release", "retry"],
                               [5, 1, 1, 2, 2, 1])[0]
            if kind == "retry" and keys:
                # the same request again with its key: a replay (or after its
                # hold was released or expired, a new hold), or another body.
                # It gets a ref of its own, which nothing later refers to.
                k = rnd.choice(keys)
                if (k["event"], "key", k["key"]) in busy_holds or \
                        (k["event"], "ref", k["ref"]) in busy_holds:
                    continue
                op = dict(k, kind="hold", retry=True, ref="r%d" % len(ops) + "-%d" % rno)
                if rnd.random() < 0.3:
                    op["seats"] = [s for s in seat_ids(op["event"]) if s not in op["seats"]][:1]
                if any((op["event"], s) in busy_seats for s in op["seats"] + k["seats"]):
                    continue
                if EVENTS[op["event"]]["limit"] and op.get("holder") in busy_holders:
                    continue
                busy_holds.add((op["event"], "key", op["key"]))
                busy_holds.add((op["event"], "ref", k["ref"]))
                for s in k["seats"]:
                    busy_seats.add((op["event"], s))
                for s in op["seats"]:
                    busy_seats.add((op["event"], s))
                if op.get("holder"):
                    busy_holders.add(op["holder"])
                ops.append(op)
                continue
            if kind == "hold" or not holds:
                n = rnd.randint(1, EVENTS[ev]["max_per_hold"] + (1 if rnd.random() < 0.05 else 0))
                seats = rnd.sample(seat_ids(ev), min(n, len(seat_ids(ev))))
                if rnd.random() < 0.05:
                    seats[-1] = "A-R99-1"            # unknown
                if any((ev, s) in busy_seats for s in seats):
                    continue
                holder = rnd.choice(HOLDERS) if (EVENTS[ev]["limit"] or rnd.random() < 0.5) else None
                if EVENTS[ev]["limit"] and rnd.random() < 0.05:
                    holder = None                    # holder_required
                if EVENTS[ev]["limit"] and holder in busy_holders:
                    continue
                op = {"kind": "hold", "event": ev, "seats": seats, "holder": holder,
                      "ttl": 1 if rno % 5 == 0 and rnd.random() < 0.4 else None,
                      "ref": len(holds)}
                if rnd.random() < 0.3:
                    op["key"] = "k%d" % rnd.randint(0, 40)
                    if (ev, "key", op["key"]) in busy_holds:
                        continue
                    busy_holds.add((ev, "key", op["key"]))
                    keys.append(op)
                for s in seats:
                    busy_seats.add((ev, s))
                if holder:
                    busy_holders.add(holder)
                holds.append((len(holds), ev, seats, holder, op.get("key")))
                ops.append(op)
                if op.get("key") and rnd.random() < 0.3:
                    # the same request twice in one round: whichever comes
                    # first makes the hold, the other replays it
                    ops.append(dict(op, ref="d%d-%d" % (len(ops), rno)))
                continue
            ref, hev, hseats, hholder, hkey = rnd.choice(holds)
            if (hev, "ref", ref) in busy_holds or any((hev, s) in busy_seats for s in hseats):
                continue
            if EVENTS[hev]["limit"] and hholder in busy_holders:
                continue
            if hkey and (hev, "key", hkey) in busy_holds:
                continue
            if hkey:
                busy_holds.add((hev, "key", hkey))
            op = {"kind": kind, "event": hev, "hold": ref}
            if kind == "extend":
                op["ttl"] = rnd.choice([1, 600, 5000] if rno % 5 == 0 else [600, 5000])
            if kind == "reserve":
                op["order"] = "o%d" % rnd.randint(0, 12)
            busy_holds.add((hev, "ref", ref))
            for s in hseats:
                busy_seats.add((hev, s))
            if hholder:
                busy_holders.add(hholder)
            ops.append(op)
        rounds.append(ops)
    return rounds


# ---- the reference model ----------------------------------------------

class Model:
    """usher's hold semantics over plain dictionaries. Time is the round:
    a hold with ttl 1 s (or extended by 1 s) is due from the next round
    (the runs sleep past a second between rounds where such holds live)."""

    def __init__(self):
        self.status = {ev: {s: "." for s in seat_ids(ev)} for ev in EVENTS}
        self.owner = {ev: {} for ev in EVENTS}
        self.holds = {}              # ref -> dict(event, s, seats, holder, o, k, f, due)
        self.idem = {ev: {} for ev in EVENTS}
        self.orders = {ev: {} for ev in EVENTS}
        self.journal = {ev: {} for ev in EVENTS}   # seat -> [(status, cause)]
        self.round = 0

    def j(self, ev, seats, status, cause):
        for s in seats:
            self.journal[ev].setdefault(s, []).append((status, cause))

    def due(self, h):
        return h["s"] == "held" and h["due"] is not None and h["due"] <= self.round

    def expire(self, ref):
        h = self.holds[ref]
        ev = h["event"]
        freed = [s for s in h["seats"] if self.owner[ev].get(s) == ref]
        for s in freed:
            self.status[ev][s] = "."
            del self.owner[ev][s]
        self.j(ev, freed, "available", "expire")
        if h["k"] and self.idem[ev].get(h["k"]) == ref:
            del self.idem[ev][h["k"]]
        h["s"] = "expired"

    def fetch(self, ref):
        h = self.holds.get(ref)
        if h is None or h.get("released"):
            return None, ("404", "hold_not_found")
        if self.due(h):
            self.expire(ref)
        if h["s"] == "expired":
            return None, ("410", "hold_expired")
        return h, None

    def sold(self, ref):
        h = self.holds[ref]
        ev = h["event"]
        sold = [s for s in h["seats"] if self.owner[ev].get(s) == ("order", h["o"])]
        return sold, [s for s in h["seats"] if s not in sold]

    def view(self, ref):
        h = self.holds[ref]
        if h["s"] == "reserved":
            sold, refunded = self.sold(ref)
            return ("reserved" if sold else "refunded", sold, refunded)
        return (h["s"], list(h["seats"]), [])

    def holder_count(self, ev, holder):
        total = 0
        for ref, h in list(self.holds.items()):
            if h["event"] != ev or h.get("holder") != holder or h.get("released"):
                continue
            if self.due(h):
                self.expire(ref)
            elif h["s"] == "held":
                total += len(h["seats"])
            elif h["s"] == "reserved":
                total += len(self.sold(ref)[0])
        return total

    def hold(self, op, ref):
        ev, seats, holder = op["event"], op["seats"], op.get("holder")
        key = op.get("key")
        scoped = ("|%s|%s" % (holder or "", key)) if key and holder else key
        fp = ",".join(seats) + ",|%s|%s" % (holder or "", op.get("ttl") or "")
        if scoped and scoped in self.idem[ev]:
            old = self.idem[ev][scoped]
            h = self.holds[old]
            if self.due(h):
                self.expire(old)
            if h["s"] != "expired":
                if h["f"] != fp:
                    return ("422", "idempotency_key_reused"), None
                return ("201",) + self.view(old), old
            self.idem[ev].pop(scoped, None)
        if not 1 <= len(seats) <= EVENTS[ev]["max_per_hold"]:
            return ("422", "invalid_seat_count"), None
        unknown = [s for s in seats if s not in self.status[ev]]
        if unknown:
            return ("422", "unknown_seats", unknown), None
        taken = []
        for s in seats:
            o = self.owner[ev].get(s)
            if self.status[ev][s] == "h" and self.due(self.holds[o]):
                self.expire(o)
            if self.status[ev][s] != ".":
                taken.append(s)
        if taken:
            return ("409", "seats_unavailable", taken), None
        limit = EVENTS[ev]["limit"]
        if limit:
            if not holder:
                return ("422", "holder_required"), None
            if self.holder_count(ev, holder) + len(seats) > limit:
                return ("409", "holder_limit"), None
        for s in seats:
            self.status[ev][s] = "h"
            self.owner[ev][s] = ref
        self.holds[ref] = {"event": ev, "s": "held", "seats": list(seats), "holder": holder,
                           "o": None, "k": scoped, "f": fp if scoped else None,
                           "due": self.round + 1 if op.get("ttl") == 1 else None}
        if scoped:
            self.idem[ev][scoped] = ref
        self.j(ev, seats, "held", "hold")
        return ("201",) + self.view(ref), ref

    def apply(self, op, ref_of):
        """The expected answer of op; ref_of maps sequence refs of holds to
        the ref their hold request actually made (or None)."""
        kind = op["kind"]
        if kind == "hold":
            return self.hold(op, op.get("ref"))
        ref = ref_of.get(op["hold"])
        h, err = self.fetch(ref) if ref is not None else (None, ("404", "hold_not_found"))
        if err:
            return err, None
        ev = h["event"]
        if kind == "get":
            return ("200",) + self.view(ref), ref
        if kind == "extend":
            if h["s"] == "reserved":
                return ("409", "hold_already_reserved"), None
            h["due"] = self.round + 1 if op["ttl"] == 1 else None
            self.j(ev, h["seats"], "held", "extend")
            return ("200",) + self.view(ref), ref
        if kind == "release":
            if h["s"] == "reserved":
                return ("409", "hold_already_reserved"), None
            for s in h["seats"]:
                self.status[ev][s] = "."
                del self.owner[ev][s]
            if h["k"] and self.idem[ev].get(h["k"]) == ref:
                del self.idem[ev][h["k"]]
            h["released"] = True
            self.j(ev, h["seats"], "available", "release")
            return ("204",), None
        # reserve
        if h["s"] == "reserved":
            if h["o"] != op["order"]:
                return ("409", "hold_already_reserved"), None
            sold, refunded = self.sold(ref)
            return ("200", sold), ref
        for s in h["seats"]:
            self.status[ev][s] = "r"
            self.owner[ev][s] = ("order", op["order"])
        self.orders[ev].setdefault(op["order"], []).extend(h["seats"])
        h["s"], h["o"] = "reserved", op["order"]
        self.j(ev, h["seats"], "reserved", "reserve")
        return ("200", list(h["seats"])), ref


# ---- a run against usherd ----------------------------------------------

def http_request(op, ids):
    ev = op["event"]
    if op["kind"] == "hold":
        body = {"seats": op["seats"]}
        if op.get("holder"):
            body["holder"] = op["holder"]
        if op.get("ttl"):
            body["ttl_s"] = op["ttl"]
        data = json.dumps(body).encode()
        extra = b"Idempotency-Key: %s\r\n" % op["key"].encode() if op.get("key") else b""
        return (b"POST /v1/events/%s/holds HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n" %
                (ev.encode(), extra, len(data))) + data
    hid = ids.get(op["hold"]) or "nohold-%d" % op["hold"]
    path = "/v1/events/%s/holds/%s" % (ev, hid)
    if op["kind"] == "get":
        return b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode()
    if op["kind"] == "release":
        return b"DELETE %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode()
    data = json.dumps({"ttl_s": op["ttl"]} if op["kind"] == "extend" else {"order_id": op["order"]}).encode()
    return (b"POST %s/%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" %
            (path.encode(), op["kind"].encode(), len(data))) + data


def read_response(sock):
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        got += chunk
    head, _, body = got.partition(b"\r\n\r\n")
    n = int(re.search(rb"Content-Length: (\d+)", head).group(1)) if b"Content-Length" in head else 0
    while len(body) < n:
        body += sock.recv(65536)
    status = head.split(b" ")[1].decode()
    return status, json.loads(body) if body.strip() else None


def answer_of(status, body, hold_refs):
    """An answer in the model's terms (hold ids replaced by refs)."""
    if status in ("204",):
        return ("204",), None
    if "error" in body:
        e = body["error"]
        return (status, e["code"]) + ((e["seats"],) if "seats" in e and e["code"] != "seats_refunded" else ()), None
    if "order_id" in body and "status" not in body:        # a reservation
        return (status, body["seats"]), hold_refs.get(body["hold_id"])
    return (status, body["status"], body["seats"], body.get("refunded", [])), hold_refs.get(body["hold_id"])


def run(stack, rounds, model):
    """Sends the sequence; returns the answers, in model terms, and the
    run's hold id of each ref."""
    socks = [socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
             for _ in range(CONNS)]
    ids, refs, answers = {}, {}, []
    try:
        for rno, ops in enumerate(rounds):
            if model is not None:
                model.round = rno
            if any(o.get("ttl") == 1 for r in rounds[max(0, rno - 1):rno] for o in r):
                time.sleep(1.1)     # past the 1 s holds of the round before
            for i, op in enumerate(ops):
                socks[i].sendall(http_request(op, ids))
            for i, op in enumerate(ops):
                status, body = read_response(socks[i])
                got, ref = answer_of(status, body, refs)
                if op["kind"] == "hold" and status == "201":
                    if body["hold_id"] not in refs:     # a new hold, not a replay
                        refs[body["hold_id"]] = op["ref"]
                    ids[op["ref"]] = body["hold_id"]    # what this request got
                answers.append(got)
    finally:
        for s in socks:
            s.close()
    return answers, refs


def redis_state(stack, refs):
    """Statuses, owners (hold ids as the refs of the requests that made
    them), orders, holder lists and each seat's journal of changes, per
    event."""
    r = stack.redis()
    out = {}
    try:
        for ev in EVENTS:
            k = lambda name: "usher:{%s}:%s" % (ev, name)
            owner = r.cmd("HGETALL", k("owner")) or []
            owner = {owner[i]: refs.get(owner[i + 1], ("order", owner[i + 1]))
                     for i in range(0, len(owner), 2)}
            orders = r.cmd("HGETALL", k("orders")) or []
            orders = {orders[i]: orders[i + 1].split() for i in range(0, len(orders), 2)}
            holders = r.cmd("HGETALL", k("holders")) or []
            holders = {holders[i]: sorted(refs.get(h, h) for h in holders[i + 1].split())
                       for i in range(0, len(holders), 2)}
            journal = {}
            for _, fields in r.cmd("XRANGE", k("journal"), "-", "+"):
                f = dict(zip(fields[::2], fields[1::2]))
                for s in f["seats"].split():
                    journal.setdefault(s, []).append((f["status"], f["cause"]))
            out[ev] = {"status": r.cmd("GET", k("status")), "owner": owner, "orders": orders,
                       "holders": holders, "journal": journal}
    finally:
        r.close()
    return out


class BatchScript(unittest.TestCase):
    """hold_batch itself, called as usherd would: operations on the same
    seats in one call see each other in order, and the journal keeps every
    seat's changes in that order while merging the rest."""

    def test_one_call_in_order(self):
        stack = harness.Stack(ARGS).start()
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/bs", seat_map("bt-c"))
            c.close()
            self.assertEqual(st, 201, b)
            r = stack.redis()
            keys = harness.event_keys("bs")
            sha = r.cmd("SCRIPT", "LOAD", harness.script_source("hold_batch"))
            # `h` is `H` without holder, TTL, key and fingerprint
            ops = [["H", "h1", "", "", "", "", "1", "A-R1-1"],
                   ["h", "h2", "1", "A-R1-2"],
                   ["h", "h3", "1", "A-R1-1"],                   # taken by h1
                   ["D", "h1"],
                   ["h", "h4", "2", "A-R1-1", "A-R1-3"],
                   ["R", "h2", "o1"], ["G", "h2"], ["D", "nope"], ["G", "h4"],
                   ["H", "h5", "hx", "30", "", "", "1", "A-R1-4"], ["h", "h6", "1", "A-R9-9"],
                   ["M", "h5", "1", "A-R1-5", "1", "A-R1-4"],         # A-R1-4 out, A-R1-5 in
                   ["M", "h4", "1", "A-R1-5", "1", "A-R1-3"]]         # A-R1-5 taken by h5 just now
            args = [str(len(ops))] + [a for op in ops for a in op]
            out = r.cmd("EVALSHA", sha, str(len(keys)), *keys, *args)
            self.assertEqual(len(out), len(ops))
            # a hold answer: replay id state created expires now holder order refunded seats
            f = [o.split(" ") if isinstance(o, str) else o for o in out]
            self.assertEqual([f[0][0], f[0][1], f[0][2], f[0][9]], ["0", "h1", "held", "A-R1-1"])
            self.assertEqual([f[1][2], f[1][9]], ["held", "A-R1-2"])
            self.assertIn("SEATS_UNAVAILABLE A-R1-1", str(out[2]))
            self.assertEqual(out[3], 1)
            self.assertEqual((f[4][2], f[4][9]), ("held", "A-R1-1,A-R1-3"))
            self.assertEqual((f[5][2], f[6][0], f[6][2], f[6][7]), ("reserved", "", "reserved", "o1"))
            self.assertIn("HOLD_NOT_FOUND", str(out[7]))
            self.assertEqual((f[8][1], f[8][2], f[8][4], f[8][6], f[8][9]),
                             ("h4", "held", f[4][4], "", "A-R1-1,A-R1-3"))    # as it was made
            self.assertEqual((f[9][2], f[9][6], int(f[9][4]) - int(f[9][3])), ("held", "hx", 30000))
            self.assertIn("UNKNOWN_SEATS A-R9-9", str(out[10]))
            self.assertEqual((f[11][1], f[11][2], f[11][4], f[11][9]), ("h5", "held", f[9][4], "A-R1-5"))
            self.assertIn("SEATS_UNAVAILABLE A-R1-5", str(out[12]))
            journal = [dict(zip(f[::2], f[1::2])) for _, f in r.cmd("XRANGE", "usher:{bs}:journal", "-", "+")]
            changes = [(e["seats"], e["status"], e["cause"]) for e in journal if e["seats"]]
            # h1 and h2 share an entry; A-R1-1's release comes before h4 takes
            # it again; h5 joins h4's entry (nothing since touched A-R1-4)
            self.assertEqual(changes, [("A-R1-1 A-R1-2", "held", "hold"),
                                       ("A-R1-1", "available", "release"),
                                       ("A-R1-1 A-R1-3 A-R1-4", "held", "hold"),
                                       ("A-R1-2", "reserved", "reserve"),
                                       ("A-R1-4", "available", "change"),
                                       ("A-R1-5", "held", "change")])
            self.assertEqual(r.cmd("GET", "usher:{bs}:status")[:5], "hrh.h")
            self.assertEqual(sorted(r.cmd("ZRANGE", "usher:{bs}:expiry", "0", "-1")), ["h4", "h5"])
            # a malformed call changes nothing
            for bad in (["2", "D", "h4", "Q", "x"], ["2", "D", "h4", "h", "h7", "x", "A-R1-5"],
                        ["2", "D", "h4", "h", "h7", "3", "A-R1-5"],
                        ["2", "D", "h4", "M", "h4", "1", "A-R1-6"],
                        ["2", "D", "h4", "M", "h4", "-1", "0"]):
                with self.assertRaises(RuntimeError) as cm:
                    r.cmd("EVALSHA", sha, str(len(keys)), *keys, *bad)
                self.assertIn("BAD_BATCH", str(cm.exception))
            self.assertEqual(r.cmd("GET", "usher:{bs}:status")[:6], "hrh.h.")
            r.close()
        finally:
            stack.stop()


class Differential(unittest.TestCase):
    def start(self, batch_max):
        stack = harness.Stack(ARGS, ["--batch-max", str(batch_max), "--sweep-interval", "600000",
                                     "--max-inflight", "0"]).start()
        c = stack.client()
        try:
            for ev in EVENTS:
                st, b, _ = c.request("PUT", "/v1/events/" + ev, seat_map(ev))
                self.assertEqual(st, 201, b)
        finally:
            c.close()
        return stack

    def batches(self, stack):
        c = stack.client()
        try:
            c.conn.request("GET", "/metrics")
            text = c.conn.getresponse().read().decode()
        finally:
            c.close()
        calls = int(re.search(r"\nusher_redis_batches_total (\d+)", text).group(1))
        ops = int(re.search(r"\nusher_redis_batch_ops_total (\d+)", text).group(1))
        return calls, ops

    def test_coalesced_equals_alone_equals_the_model(self):
        rounds = make_sequence()
        model = Model()
        expected, made = [], {}
        for rno, ops in enumerate(rounds):
            model.round = rno
            for op in ops:
                got, ref = model.apply(op, made)
                if op["kind"] == "hold" and got[0] == "201":
                    made[op["ref"]] = ref
                expected.append(got)
        results = {}
        for batch_max in (64, 1):
            stack = self.start(batch_max)
            try:
                answers, refs = run(stack, rounds, None)
                # the state first: /metrics reads every event, which
                # sweeps the holds due by then
                state = redis_state(stack, refs)
                calls, ops = self.batches(stack)
            finally:
                stack.stop()
            results[batch_max] = (answers, refs, calls, ops, state)
        on, off = results[64], results[1]
        # the runs answered alike, and as the model says
        kinds = [op["kind"] for ops in rounds for op in ops]
        for i, (a, b, m) in enumerate(zip(on[0], off[0], expected)):
            self.assertEqual(a, b, "request %d (%s): coalesced vs alone" % (i, kinds[i]))
            self.assertEqual(a, m, "request %d (%s): usherd vs the model" % (i, kinds[i]))
        self.assertEqual(len(on[0]), len(expected))
        # the same final state in both Redis, and the model's
        self.assertEqual(on[4], off[4])
        for ev in EVENTS:
            want = "".join(model.status[ev][s] for s in seat_ids(ev))
            self.assertEqual(on[4][ev]["status"], want, ev)
            self.assertEqual(on[4][ev]["journal"],
                             {s: v for s, v in model.journal[ev].items()}, ev)
            self.assertEqual({s: o for s, o in on[4][ev]["owner"].items()},
                             {s: o for s, o in model.owner[ev].items()}, ev)
        # coalescing coalesced; alone was alone
        self.assertGreater(on[3] / on[2], 2.0, "operations per call with --batch-max 64")
        self.assertEqual(off[3], off[2])
        outcomes = {}
        for a in expected:
            outcomes[a[0] + ":" + (a[1] if len(a) > 1 and isinstance(a[1], str) else "")] = 1
        print("answers:", len(expected), "kinds of outcome:", sorted(outcomes),
              "ops per call coalesced: %.1f" % (on[3] / on[2]))
        for want in ("201:held", "409:seats_unavailable", "204:", "410:hold_expired",
                     "422:idempotency_key_reused", "409:holder_limit", "200:reserved"):
            self.assertIn(want, outcomes, "the sequence never produced " + want)


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

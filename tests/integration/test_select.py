"""Seat selection (issue 18): best available chosen and held in one
script call, the orphan rule, accessible and companion seats, against
the real usherd and redis-server. Every assertion on a choice also
checks what Redis holds afterwards."""
import random
import threading
import unittest
import uuid

import harness

ARGS, ARGV = harness.parse_args()
STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(ARGS, usherd_flags=["--shed-latency", "0"]).start()


def tearDownModule():
    code = STACK.stop_usherd()
    STACK.stop()
    assert code == 0, "usherd did not exit cleanly on SIGTERM: %r" % code


def rng_row(rid, n, **kw):
    row = {"id": rid, "range": {"from": 1, "to": n}}
    row.update(kw)
    return row


def seat_row(rid, seats):
    return {"id": rid, "seats": [s if isinstance(s, dict) else {"id": s} for s in seats]}


class Base(unittest.TestCase):
    def setUp(self):
        self.c = STACK.client()
        self.r = STACK.redis()
        self.e = "sel-" + uuid.uuid4().hex[:10]

    def tearDown(self):
        self.c.close()
        self.r.close()

    def ev(self, suffix=""):
        return "/v1/events/%s%s" % (self.e, suffix)

    def put(self, sections, expect=201, **kw):
        body = {"name": "Sel", "max_seats_per_hold": 10, "sections": sections}
        body.update(kw)
        st, b, _ = self.c.request("PUT", self.ev(), body)
        if expect:
            self.assertEqual(st, expect, b)
        else:
            self.assertIn(st, (200, 201), b)
        return b

    def best(self, expect=201, code=None, **ba):
        extra = ba.pop("body", {})
        headers = ba.pop("headers", None)
        body = {"best_available": ba}
        body.update(extra)
        st, b, _ = self.c.request("POST", self.ev("/holds"), body, headers)
        self.assertEqual(st, expect, b)
        if code:
            self.assertEqual(b["error"]["code"], code, b)
        return b

    def hold(self, seats, expect=201, code=None):
        st, b, _ = self.c.request("POST", self.ev("/holds"), {"seats": seats})
        self.assertEqual(st, expect, b)
        if code:
            self.assertEqual(b["error"]["code"], code, b)
        return b

    def status(self):
        return self.r.cmd("GET", "usher:{%s}:status" % self.e)

    def owners(self):
        flat = self.r.cmd("HGETALL", "usher:{%s}:owner" % self.e)
        return dict(zip(flat[::2], flat[1::2]))

    def index(self, seat):
        return int(self.r.cmd("HGET", "usher:{%s}:seats" % self.e, seat))

    def assert_held_by(self, seats, hid):
        st, owners = self.status(), self.owners()
        for s in seats:
            self.assertEqual(st[self.index(s)], "h", s)
            self.assertEqual(owners.get(s), hid, s)


class BestAvailable(Base):
    def test_seat_map_order_without_rank_or_focal_point(self):
        self.put([{"id": "A", "rows": [rng_row("1", 6), rng_row("2", 6)]}])
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["A-1-1", "A-1-2", "A-1-3"])
        self.assertIs(b["next_to_each_other"], True)
        self.assertGreater(b["quality"], 0.8)
        self.assert_held_by(b["seats"], b["hold_id"])
        self.assertEqual(self.status(), "hhh" + "." * 9)
        # the journal says the seats were held, like any hold
        last = self.r.cmd("XREVRANGE", "usher:{%s}:journal" % self.e, "+", "-", "COUNT", "1")[0][1]
        fields = dict(zip(last[::2], last[1::2]))
        self.assertEqual((fields["status"], fields["cause"]), ("held", "hold"))
        self.assertEqual(fields["seats"].split(), b["seats"])
        # GET shows the choice as the creation did
        st, g, _ = self.c.request("GET", self.ev("/holds/" + b["hold_id"]))
        self.assertEqual(st, 200, g)
        self.assertEqual((g["seats"], g["next_to_each_other"], g["quality"]),
                         (b["seats"], True, b["quality"]))

    def test_rank_decides_and_lower_is_better(self):
        seats = [{"id": "S%d" % i, "rank": r} for i, r in enumerate([9, 5, 1, 2, 3, 8])]
        self.put([{"id": "A", "rows": [seat_row("1", seats)]}])
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["S2", "S3"])          # ranks 1 and 2
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["S4", "S5"])          # 3+8 beats 5+9 ... S0,S1 left
        self.best(count=3, expect=409, code="not_enough_seats")

    def test_focal_point_picks_the_centre_of_the_nearest_row(self):
        rows = []
        for r in range(3):
            rows.append(seat_row(str(r), [{"id": "R%d-%d" % (r, i), "x": i, "y": r * 2}
                                          for i in range(9)]))
        self.put([{"id": "A", "rows": rows}], focal_point={"x": 4, "y": -3})
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["R0-3", "R0-4", "R0-5"])
        # the ends of row 0 are still nearer than the middle of row 1
        # (5, 4.2, 3.6 against 5.1, 5, 5.1); the two ends tie, seat-map
        # order first
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["R0-0", "R0-1", "R0-2"])
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["R0-6", "R0-7", "R0-8"])
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["R1-3", "R1-4", "R1-5"])

    def test_no_block_together_then_allow_split(self):
        self.put([{"id": "A", "rows": [rng_row("1", 4), rng_row("2", 4)]}])
        for s in ("A-1-2", "A-2-3"):
            self.hold([s])
        before = self.status()
        self.best(count=3, expect=409, code="no_seats_together")
        self.assertEqual(self.status(), before)
        b = self.best(count=3, allow_split=True)
        self.assertIs(b["next_to_each_other"], False)
        self.assertEqual(len(set(b["seats"])), 3)
        self.assert_held_by(b["seats"], b["hold_id"])
        self.best(count=4, allow_split=True, expect=409, code="not_enough_seats")
        self.best(count=3, together=False, expect=201)

    def test_sections_and_categories_filter(self):
        self.put([{"id": "A", "rows": [rng_row("1", 5, category="gold")]},
                  {"id": "B", "rows": [rng_row("1", 5, category="silver")]}])
        b = self.best(count=2, sections=["B"])
        self.assertEqual(b["seats"], ["B-1-1", "B-1-2"])
        b = self.best(count=2, categories=["silver"])
        self.assertTrue(all(s.startswith("B-") for s in b["seats"]), b)
        b = self.best(count=2, categories=["gold", "silver"])
        self.assertEqual(b["seats"], ["A-1-1", "A-1-2"])
        before = self.status()
        self.best(count=1, sections=["Z"], expect=422, code="no_matching_seats")
        self.best(count=1, categories=["bronze"], expect=422, code="no_matching_seats")
        self.best(count=1, sections=["A"], categories=["silver"], expect=422,
                  code="no_matching_seats")
        self.best(count=1, accessible=1, expect=422, code="no_matching_seats")
        self.assertEqual(self.status(), before)

    def test_bad_bodies_change_nothing(self):
        self.put([{"id": "A", "rows": [rng_row("1", 5)]}])
        for body in ({"best_available": {"count": 0}},
                     {"best_available": {}},
                     {"best_available": {"count": 2, "accessible": 3}},
                     {"best_available": {"count": 2, "together": "yes"}},
                     {"best_available": {"count": 2, "sections": "A"}},
                     {"best_available": {"count": 2, "colour": "red"}},
                     {"best_available": {"count": 2}, "seats": ["A-1-1"]},
                     {"best_available": 3}):
            st, b, _ = self.c.request("POST", self.ev("/holds"), body)
            self.assertIn(st, (400, 422), (body, b))
            self.assertIn(b["error"]["code"], ("invalid_request", "invalid_seat_count"), b)
        self.assertEqual(self.status(), ".....")
        # more than the event allows in one hold
        self.best(count=11, expect=422, code="invalid_seat_count")

    def test_idempotent_retry_gets_the_same_seats(self):
        self.put([{"id": "A", "rows": [rng_row("1", 8)]}])
        h = {"Idempotency-Key": "cart-1"}
        a = self.best(count=2, headers=h)
        b = self.best(count=2, headers=h)
        self.assertEqual((a["hold_id"], a["seats"], a["quality"]),
                         (b["hold_id"], b["seats"], b["quality"]))
        self.assertEqual(self.status(), "hh......")
        self.best(count=3, headers=h, expect=422, code="idempotency_key_reused")

    def test_event_without_selection_data(self):
        self.put([{"id": "A", "rows": [rng_row("1", 4)]}])
        self.r.cmd("DEL", "usher:{%s}:rows" % self.e)
        self.best(count=1, expect=409, code="best_available_unsupported")
        self.assertEqual(self.hold(["A-1-1"])["seats"], ["A-1-1"])

    def test_freed_seats_are_found_again(self):
        # A full row's bound drops to 0 when best available measures it;
        # seats freed since must mark it for measuring again, or best
        # available would never look there.
        self.put([{"id": "A", "rows": [rng_row("1", 4), rng_row("2", 2)]}])
        hs = [self.hold([s])["hold_id"] for s in ("A-1-1", "A-1-2", "A-1-3", "A-1-4")]
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["A-2-1", "A-2-2"])
        self.best(count=2, expect=409, code="not_enough_seats")
        runs = self.r.cmd("GET", "usher:{%s}:runs" % self.e)
        self.assertEqual(runs, "\x00\x00")                 # both rows measured full
        for hid in hs[1:3]:
            st, _, _ = self.c.request("DELETE", self.ev("/holds/" + hid))
            self.assertEqual(st, 204)
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:dirty" % self.e), "1")
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["A-1-2", "A-1-3"])
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:dirty" % self.e), "0")

    def test_expired_holds_free_their_seats_for_best_available(self):
        self.put([{"id": "A", "rows": [rng_row("1", 3)]}])
        st, b, _ = self.c.request("POST", self.ev("/holds"), {"seats": ["A-1-1", "A-1-2", "A-1-3"],
                                                            "ttl_s": 1})
        self.assertEqual(st, 201, b)
        self.best(count=3, expect=409, code="not_enough_seats")
        import time
        time.sleep(2.3)                 # the sweeper (1 s) expires it
        b = self.best(count=3)
        self.assertEqual(b["seats"], ["A-1-1", "A-1-2", "A-1-3"])


class Accessible(Base):
    ROW = ["P1", {"id": "W1", "accessible": True}, {"id": "C1", "companion": True},
           {"id": "W2", "accessible": True}, "P2", "P3"]

    def test_companion_needs_an_accessible_seat_of_its_row(self):
        self.put([{"id": "A", "rows": [seat_row("1", self.ROW), rng_row("2", 3)]}])
        e = self.hold(["C1"], 409, "companion_requires_accessible")
        self.assertEqual(e["error"]["seats"], ["C1"])
        self.hold(["C1", "A-2-1"], 409, "companion_requires_accessible")
        self.assertEqual(self.status(), "." * 9)
        b = self.hold(["W1", "C1"])
        # removing the accessible seat from that hold is refused too
        st, e, _ = self.c.request("POST", self.ev("/holds/%s/seats" % b["hold_id"]),
                                  {"remove": ["W1"]})
        self.assertEqual((st, e["error"]["code"]), (409, "companion_requires_accessible"), e)
        self.assert_held_by(["W1", "C1"], b["hold_id"])

    def test_best_available_with_accessible_places(self):
        self.put([{"id": "A", "rows": [rng_row("0", 4), seat_row("1", self.ROW)]}])
        b = self.best(count=2, accessible=1)
        self.assertEqual(b["seats"], ["P1", "W1"])          # the best pair with a place
        self.assert_held_by(b["seats"], b["hold_id"])
        b = self.best(count=2, accessible=1)
        self.assertEqual(b["seats"], ["C1", "W2"])          # the companion beside W2
        b2 = self.best(count=2, accessible=2, expect=409)
        self.assertIn(b2["error"]["code"], ("no_seats_together", "not_enough_seats"))

    def test_plain_requests_keep_off_accessible_seats(self):
        self.put([{"id": "A", "rows": [seat_row("1", self.ROW), rng_row("2", 3)]}])
        b = self.best(count=2)                 # row 1 is better, but P2 P3 have room
        self.assertEqual(b["seats"], ["P2", "P3"])
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["A-2-1", "A-2-2"])

    def test_put_checks_the_attributes(self):
        for row in ([{"id": "C", "companion": True}, "P"],
                    [{"id": "X", "accessible": True, "companion": True}],
                    [{"id": "X", "accessible": "yes"}],
                    [{"id": "X", "rank": -1}]):
            st, b, _ = self.c.request("PUT", self.ev(), {
                "name": "x", "sections": [{"id": "A", "rows": [seat_row("1", row)]}]})
            self.assertEqual((st, b["error"]["code"]), (400, "invalid_request"), (row, b))
        for extra in ({"orphan_rule": "sometimes"}, {"focal_point": {"x": 1}},
                      {"focal_point": [1, 2]}):
            body = {"name": "x", "sections": [{"id": "A", "rows": [rng_row("1", 2)]}]}
            body.update(extra)
            st, b, _ = self.c.request("PUT", self.ev(), body)
            self.assertEqual((st, b["error"]["code"]), (400, "invalid_request"), (extra, b))
        self.assertEqual(self.r.cmd("EXISTS", "usher:{%s}:meta" % self.e), 0)

    def test_seat_map_lists_the_attributes(self):
        self.put([{"id": "A", "rows": [seat_row("1", self.ROW + [{"id": "R", "rank": 3}])]}])
        st, b, _ = self.c.request("GET", self.ev("/seats"))
        seats = {s["id"]: s for s in b["seats"]}
        self.assertIs(seats["W1"]["accessible"], True)
        self.assertIs(seats["C1"]["companion"], True)
        self.assertEqual(seats["R"]["rank"], 3)
        self.assertNotIn("accessible", seats["P1"])


class OrphanRule(Base):
    def setUp(self):
        super().setUp()
        self.put([{"id": "A", "rows": [rng_row("1", 8)]}], orphan_rule="no_single_gaps")

    def test_hand_picked_hold_that_strands_a_seat_is_refused(self):
        e = self.hold(["A-1-2", "A-1-3"], 409, "would_orphan_seat")
        self.assertEqual(e["error"]["seats"], ["A-1-1"])
        e = self.hold(["A-1-1", "A-1-3"], 409, "would_orphan_seat")
        self.assertEqual(e["error"]["seats"], ["A-1-2"])
        self.assertEqual(self.status(), "........")
        self.hold(["A-1-1", "A-1-2"])
        e = self.hold(["A-1-4", "A-1-5"], 409, "would_orphan_seat")
        self.assertEqual(e["error"]["seats"], ["A-1-3"])
        self.hold(["A-1-5", "A-1-6"])               # leaves 3-4 and 7-8: two each
        self.hold(["A-1-3", "A-1-4"])
        self.assertEqual(self.status(), "hhhhhh..")

    def test_unavoidable_single_is_allowed(self):
        self.hold(["A-1-1", "A-1-2", "A-1-3", "A-1-4", "A-1-5"])      # leaves 3
        self.hold(["A-1-6", "A-1-7"])                                 # run of 3, 2 seats: 1 left anyway
        self.assertEqual(self.status(), "hhhhhhh.")

    def test_best_available_avoids_stranding(self):
        self.hold(["A-1-1", "A-1-2", "A-1-3"])
        self.hold(["A-1-7", "A-1-8"])
        # free: 4 5 6; two seats must take 4 5 or 5 6 (each strands one:
        # the run is 3 = 2 + 1, unavoidable) -> allowed
        b = self.best(count=2)
        self.assertEqual(len(b["seats"]), 2)

    def test_best_available_prefers_a_block_that_strands_nothing(self):
        self.put([{"id": "A", "rows": [rng_row("1", 5), rng_row("2", 2)]}], expect=200,
                 orphan_rule="no_single_gaps")
        self.hold(["A-1-1"])
        # row 1 free 2..5 (4 seats): 2 seats at 2-3 leave 4-5 (fine)
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["A-1-2", "A-1-3"])
        # row 1 free 4..5 -> 2 seats take both
        b = self.best(count=2)
        self.assertEqual(b["seats"], ["A-1-4", "A-1-5"])

    def test_quality_gives_way_to_leaving_no_single(self):
        # ranks make B C the best pair, but it would strand A and D
        row = [{"id": k, "rank": r} for k, r in (("A", 5), ("B", 0), ("C", 1), ("D", 6))]
        for rule in ("no_single_gaps", "none"):
            self.put([{"id": "S", "rows": [seat_row("1", row)]}], expect=None,
                     orphan_rule=rule)
            b = self.best(count=2)
            self.assertEqual(b["seats"], ["A", "B"], rule)
            self.assert_held_by(["A", "B"], b["hold_id"])
            st, _, _ = self.c.request("DELETE", self.ev("/holds/" + b["hold_id"]))
            self.assertEqual(st, 204)

    def test_change_that_strands_a_seat_is_refused(self):
        b = self.hold(["A-1-1", "A-1-2", "A-1-3"])
        st, e, _ = self.c.request("POST", self.ev("/holds/%s/seats" % b["hold_id"]),
                                  {"remove": ["A-1-2"]})
        self.assertEqual((st, e["error"]["code"]), (409, "would_orphan_seat"), e)
        self.assertEqual(e["error"]["seats"], ["A-1-2"])
        st, e, _ = self.c.request("POST", self.ev("/holds/%s/seats" % b["hold_id"]),
                                  {"remove": ["A-1-1"], "add": ["A-1-4"]})
        self.assertEqual((st, e["error"]["code"]), (409, "would_orphan_seat"), e)
        self.assertEqual(self.status(), "hhh.....")
        st, ok, _ = self.c.request("POST", self.ev("/holds/%s/seats" % b["hold_id"]),
                                   {"remove": ["A-1-3"]})
        self.assertEqual(st, 200, ok)
        self.assertEqual(self.status(), "hh......")

    def test_rule_off_allows_it(self):
        self.put([{"id": "A", "rows": [rng_row("1", 8)]}], expect=200, orphan_rule="none")
        self.hold(["A-1-2", "A-1-3"])
        self.assertEqual(self.status(), ".hh.....")


class Suggest(Base):
    """Hold or suggest: a hand-picked hold that conflicts, asked with
    "suggest": true, answers 409 with the nearest free block of its size,
    found in the same call; nothing is held."""

    def ask(self, seats, code="seats_unavailable"):
        st, b, _ = self.c.request("POST", self.ev("/holds"), {"seats": seats, "suggest": True})
        self.assertEqual(st, 409, b)
        self.assertEqual(b["error"]["code"], code, b)
        return b["error"]

    def test_nearest_block_in_the_row(self):
        self.put([{"id": "S", "rows": [seat_row("A", ["A%d" % i for i in range(1, 11)])]}])
        self.hold(["A4", "A5"])
        before = self.status()
        err = self.ask(["A4", "A5"])
        self.assertEqual(err["seats"], ["A4", "A5"])
        # A2-A3 is as near but strands A1: A6-A7 is offered
        self.assertEqual(err["alternatives"], [{"seats": ["A6", "A7"]}])
        self.assertEqual(self.status(), before)       # nothing held
        # without suggest: no alternatives
        b = self.hold(["A4", "A5"], expect=409, code="seats_unavailable")
        self.assertNotIn("alternatives", b["error"])

    def test_nearest_row_then_the_section(self):
        rows = [seat_row(r, ["%s%d" % (r, i) for i in range(1, 5)]) for r in "ABCD"]
        self.put([{"id": "S", "rows": rows}, {"id": "T", "rows": [seat_row("Z", ["Z1", "Z2"])]}])
        self.hold(["B1", "B2", "B3", "B4"])
        self.hold(["A1", "A2", "A3"])
        err = self.ask(["B2", "B3"])
        # A has one seat left, so C (the next row out) has the block; C2-C3
        # would strand C1 and C4, so the nearest block that strands none
        self.assertEqual(err["alternatives"], [{"seats": ["C1", "C2"]}])
        self.hold(["C1", "C2", "C3", "C4"])
        self.hold(["D1", "D2", "D3", "D4"])
        # nothing of two together left in section S: nothing offered (never another section)
        err = self.ask(["B2", "B3"])
        self.assertEqual(err["alternatives"], [])

    def test_orphan_refusal_offers_a_block_that_strands_nothing(self):
        self.put([{"id": "S", "rows": [seat_row("A", ["A%d" % i for i in range(1, 9)])]}],
                 orphan_rule="no_single_gaps")
        err = self.ask(["A2", "A3"], code="would_orphan_seat")
        self.assertEqual(err["seats"], ["A1"])
        self.assertEqual(err["alternatives"], [{"seats": ["A1", "A2"]}])
        self.assertEqual(self.status(), "." * 8)

    def test_suggest_is_for_named_seats(self):
        self.put([{"id": "S", "rows": [seat_row("A", ["A1", "A2"])]}])
        st, b, _ = self.c.request("POST", self.ev("/holds"),
                                  {"best_available": {"count": 1}, "suggest": True})
        self.assertEqual(st, 400, b)
        st, b, _ = self.c.request("POST", self.ev("/holds"), {"seats": ["A1"], "suggest": 1})
        self.assertEqual(st, 400, b)
        # a hold that succeeds is just a hold
        st, b, _ = self.c.request("POST", self.ev("/holds"), {"seats": ["A1"], "suggest": True})
        self.assertEqual(st, 201, b)
        self.assertEqual(b["seats"], ["A1"])


class Swarm(Base):
    """Many buyers asking best available for one section at once."""

    def test_concurrent_best_available(self):
        rows = [rng_row(str(r), 12) for r in range(1, 9)]
        self.put([{"id": "A", "rows": rows}, {"id": "B", "rows": [rng_row("1", 10)]}],
                 orphan_rule="no_single_gaps")
        n = 60
        barrier = threading.Barrier(n)
        results, errors = [None] * n, []

        def buyer(i):
            try:
                c = harness.Client(STACK.http_port, timeout=20)
                rnd = random.Random(i)
                barrier.wait(timeout=30)
                got = []
                for _ in range(3):
                    k = rnd.randint(1, 4)
                    st, b, _ = c.request("POST", self.ev("/holds"),
                                         {"best_available": {"count": k, "sections": ["A"]}})
                    if st == 201:
                        assert len(b["seats"]) == k and b["next_to_each_other"], b
                        got.append((b["hold_id"], b["seats"]))
                    else:
                        assert st == 409 and b["error"]["code"] in (
                            "no_seats_together", "not_enough_seats"), b
                c.close()
                results[i] = got
            except Exception as ex:
                errors.append(repr(ex))

        threads = [threading.Thread(target=buyer, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertFalse(any(t.is_alive() for t in threads), "buyers hung")
        self.assertEqual(errors, [])
        owner = {}
        for got in results:
            for hid, seats in got:
                for s in seats:
                    self.assertNotIn(s, owner, "seat %s chosen for two holds" % s)
                    self.assertTrue(s.startswith("A-"), s)
                    owner[s] = hid
        self.assertGreater(len(owner), 80)
        self.assertEqual(self.owners(), owner)
        st = self.status()
        self.assertEqual(st.count("h"), len(owner))
        # no single seat stranded: in every row, no free run of one
        # between taken seats or a taken seat and the row's end, unless
        # its row has no other way (a run of the party size + 1)
        singles = 0
        for r in range(8):
            row = st[r * 12:(r + 1) * 12]
            runs = [len(x) for x in row.split("h") if x]
            singles += runs.count(1)
        # best first fills each row from its start, so a row's free seats
        # stay one run; a single is left only where that run was k + 1
        self.assertLessEqual(singles, 8, st)


if __name__ == "__main__":
    unittest.main(argv=ARGV)

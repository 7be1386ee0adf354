"""General-admission areas (issue 18, item 3): sections sold by
quantity beside reserved seats, against the real usherd and
redis-server. Every assertion on a hold also checks the area's counts
that Redis keeps (usher:{E}:areas) and what the API lists.

The sweeper is slowed to once in ten minutes here, so an area freed by
a lapsed hold is freed by the hold script's own clean-up, not by the
sweeper."""
import json
import threading
import time
import unittest
import uuid

import harness

ARGS, ARGV = harness.parse_args()
STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(ARGS, usherd_flags=["--shed-latency", "0",
                                              "--sweep-interval", "600000"]).start()


def tearDownModule():
    code = STACK.stop_usherd()
    STACK.stop()
    assert code == 0, "usherd did not exit cleanly on SIGTERM: %r" % code


SEATS = {"id": "stalls", "rows": [{"id": "A", "seats": [{"id": "A%d" % i} for i in range(1, 7)]}]}


class Base(unittest.TestCase):
    def setUp(self):
        self.c = STACK.client()
        self.r = STACK.redis()
        self.e = "ga-" + uuid.uuid4().hex[:10]

    def tearDown(self):
        self.c.close()
        self.r.close()

    def ev(self, suffix=""):
        return "/v1/events/%s%s" % (self.e, suffix)

    def put(self, capacity=10, seats=True, expect=201, **kw):
        sections = [SEATS] if seats else []
        sections = sections + [{"id": "floor", "name": "Floor", "capacity": capacity}]
        body = {"name": "GA", "max_seats_per_hold": 10, "sections": sections}
        body.update(kw)
        st, b, _ = self.c.request("PUT", self.ev(), body)
        self.assertEqual(st, expect, b)
        return b

    def hold(self, expect=201, code=None, headers=None, **body):
        st, b, _ = self.c.request("POST", self.ev("/holds"), body, headers)
        self.assertEqual(st, expect, b)
        if code:
            self.assertEqual(b["error"]["code"], code, b)
        return b

    def counts(self, area="floor"):
        """(held, sold) as Redis keeps them."""
        k = "usher:{%s}:areas" % self.e
        h, s = self.r.cmd("HMGET", k, "h:" + area, "s:" + area)
        return int(h), int(s)

    def listed(self):
        st, b, _ = self.c.request("GET", self.ev())
        self.assertEqual(st, 200, b)
        return {a["id"]: a for a in b["areas"]}

    def area_journal(self):
        out = []
        for _, fields in self.r.cmd("XRANGE", "usher:{%s}:journal" % self.e, "-", "+"):
            f = dict(zip(fields[::2], fields[1::2]))
            if "area" in f:
                out.append(f)
        return out


class AreaMap(Base):
    def test_area_is_listed_with_counts(self):
        self.put(capacity=2000)
        areas = self.listed()
        self.assertEqual(areas["floor"]["capacity"], 2000)
        self.assertEqual(areas["floor"]["name"], "Floor")
        self.assertEqual(areas["floor"]["counts"],
                         {"total": 2000, "available": 2000, "held": 0, "reserved": 0})
        st, b, _ = self.c.request("GET", self.ev("/seats"))
        self.assertEqual(st, 200, b)
        self.assertEqual(len(b["seats"]), 6)
        self.assertEqual([a["id"] for a in b["areas"]], ["floor"])
        self.assertEqual(b["areas"][0]["counts"]["available"], 2000)
        # the area is no section of seats
        st, b, _ = self.c.request("GET", self.ev())
        self.assertEqual([s["id"] for s in b["sections"]], ["stalls"])
        self.assertEqual(self.r.cmd("HGET", "usher:{%s}:areas" % self.e, "c:floor"), "2000")

    def test_event_of_areas_only(self):
        self.put(capacity=5, seats=False)
        b = self.hold(areas=[{"id": "floor", "quantity": 3}])
        self.assertEqual(b["seats"], [])
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 3}])
        self.assertEqual(self.counts(), (3, 0))
        self.assertEqual(self.listed()["floor"]["counts"]["available"], 2)

    def test_bad_area_definitions_are_refused(self):
        for sec, why in (({"id": "floor", "capacity": 0}, "capacity 0"),
                         ({"id": "floor", "capacity": "9"}, "capacity a string"),
                         ({"id": "floor", "capacity": 10, "rows": []}, "rows and capacity")):
            st, b, _ = self.c.request("PUT", self.ev(), {"name": "x", "sections": [SEATS, sec]})
            self.assertEqual(st, 400, (why, b))
            self.assertEqual(b["error"]["code"], "invalid_request", why)
        self.assertEqual(self.r.cmd("EXISTS", "usher:{%s}:meta" % self.e), 0)


class AreaHolds(Base):
    def test_hold_release_by_quantity(self):
        self.put(capacity=10)
        b = self.hold(areas=[{"id": "floor", "quantity": 4}])
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 4}])
        self.assertEqual(self.counts(), (4, 0))
        st, g, _ = self.c.request("GET", self.ev("/holds/" + b["hold_id"]))
        self.assertEqual(st, 200, g)
        self.assertEqual(g["areas"], [{"id": "floor", "quantity": 4}])
        self.assertEqual(self.listed()["floor"]["counts"],
                         {"total": 10, "available": 6, "held": 4, "reserved": 0})
        st, x, _ = self.c.request("POST", self.ev("/holds/%s/extend" % b["hold_id"]), {"ttl_s": 900})
        self.assertEqual(st, 200, x)
        self.assertEqual(x["areas"], [{"id": "floor", "quantity": 4}])   # extending keeps them
        self.assertEqual(self.counts(), (4, 0))
        st, _, _ = self.c.request("DELETE", self.ev("/holds/" + b["hold_id"]))
        self.assertEqual(st, 204)
        self.assertEqual(self.counts(), (0, 0))
        j = self.area_journal()
        self.assertEqual([(x["status"], x["cause"], x["quantity"], x["held"]) for x in j],
                         [("held", "hold", "4", "4"), ("available", "release", "4", "0")])

    def test_over_capacity_is_refused_and_changes_nothing(self):
        self.put(capacity=5)
        self.hold(areas=[{"id": "floor", "quantity": 3}])
        b = self.hold(expect=409, code="area_unavailable", seats=["A1"],
                      areas=[{"id": "floor", "quantity": 3}])
        self.assertEqual(b["error"]["areas"], ["floor"])
        # all or nothing: the seat of the refused hold stays free
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), "......")
        self.assertEqual(self.counts(), (3, 0))
        self.hold(areas=[{"id": "floor", "quantity": 2}])
        self.assertEqual(self.counts(), (5, 0))

    def test_unknown_area_and_bad_quantities(self):
        self.put()
        b = self.hold(expect=422, code="unknown_areas", areas=[{"id": "pit", "quantity": 1}])
        self.assertEqual(b["error"]["areas"], ["pit"])
        # a section of seats is no area
        self.hold(expect=422, code="unknown_areas", areas=[{"id": "stalls", "quantity": 1}])
        self.hold(expect=422, code="invalid_seat_count", areas=[{"id": "floor", "quantity": 0}])
        self.hold(expect=400, code="invalid_request",
                  areas=[{"id": "floor", "quantity": 1}, {"id": "floor", "quantity": 1}])
        # the event's max_seats_per_hold counts places too
        self.hold(expect=422, code="invalid_seat_count", seats=["A1", "A2"],
                  areas=[{"id": "floor", "quantity": 9}])
        self.hold(expect=400, code="invalid_request",
                  best_available={"count": 1}, areas=[{"id": "floor", "quantity": 1}])
        self.assertEqual(self.counts(), (0, 0))

    def test_seats_and_areas_in_one_hold(self):
        self.put()
        b = self.hold(seats=["A1", "A2"], areas=[{"id": "floor", "quantity": 2}])
        self.assertEqual(b["seats"], ["A1", "A2"])
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 2}])
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), "hh....")
        self.assertEqual(self.counts(), (2, 0))
        st, _, _ = self.c.request("DELETE", self.ev("/holds/" + b["hold_id"]))
        self.assertEqual(st, 204)
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), "......")
        self.assertEqual(self.counts(), (0, 0))

    def test_idempotent_retry(self):
        self.put()
        h = {"Idempotency-Key": "cart-" + uuid.uuid4().hex[:8]}
        a = self.hold(headers=h, areas=[{"id": "floor", "quantity": 2}])
        b = self.hold(headers=h, areas=[{"id": "floor", "quantity": 2}])
        self.assertEqual(a["hold_id"], b["hold_id"])
        self.assertEqual(self.counts(), (2, 0))
        self.hold(expect=422, code="idempotency_key_reused", headers=h,
                  areas=[{"id": "floor", "quantity": 3}])
        self.assertEqual(self.counts(), (2, 0))

    def test_lapsed_hold_frees_its_places_at_once(self):
        self.put(capacity=3)
        self.hold(ttl_s=1, areas=[{"id": "floor", "quantity": 3}])
        self.hold(expect=409, code="area_unavailable", areas=[{"id": "floor", "quantity": 1}])
        time.sleep(1.2)
        # the sweeper runs every ten minutes here: the hold script frees them
        b = self.hold(areas=[{"id": "floor", "quantity": 3}])
        self.assertEqual(self.counts(), (3, 0))
        causes = [(x["status"], x["cause"]) for x in self.area_journal()]
        self.assertIn(("available", "expire"), causes)
        self.assertEqual(b["areas"][0]["quantity"], 3)

    def test_holder_limit_counts_places(self):
        self.put(max_seats_per_holder=4)
        self.hold(holder="fan-1", seats=["A1", "A2"], areas=[{"id": "floor", "quantity": 2}])
        self.hold(expect=409, code="holder_limit", holder="fan-1",
                  areas=[{"id": "floor", "quantity": 1}])
        self.hold(holder="fan-2", areas=[{"id": "floor", "quantity": 4}])
        self.assertEqual(self.counts(), (6, 0))

    def test_event_in_use_by_an_area_hold(self):
        self.put()
        self.hold(areas=[{"id": "floor", "quantity": 1}])
        self.put(expect=409)
        self.assertEqual(self.counts(), (1, 0))


class AreaSales(Base):
    def reserve(self, hid, order, expect=200):
        st, b, _ = self.c.request("POST", self.ev("/holds/%s/reserve" % hid), {"order_id": order})
        self.assertEqual(st, expect, b)
        return b

    def test_reserve_then_refund(self):
        self.put(capacity=10)
        h = self.hold(seats=["A3"], areas=[{"id": "floor", "quantity": 4}])
        b = self.reserve(h["hold_id"], "o-1")
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 4}])
        self.assertEqual(self.counts(), (0, 4))
        st, o, _ = self.c.request("GET", self.ev("/orders/o-1"))
        self.assertEqual(st, 200, o)
        self.assertEqual(o["seats"], ["A3"])
        self.assertEqual(o["areas"], [{"id": "floor", "quantity": 4}])
        self.assertEqual(self.listed()["floor"]["counts"]["reserved"], 4)
        # an admin gives back 3 of the order's 4 places
        st, b, _ = self.c.request("POST", self.ev("/release"),
                                  {"order_id": "o-1", "areas": [{"id": "floor", "quantity": 3}]})
        self.assertEqual(st, 200, b)
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 3}])
        self.assertEqual(self.counts(), (0, 1))
        # more than the order has: refused, nothing changes
        st, b, _ = self.c.request("POST", self.ev("/release"),
                                  {"order_id": "o-1", "areas": [{"id": "floor", "quantity": 2}]})
        self.assertEqual(st, 409, b)
        self.assertEqual(b["error"]["code"], "areas_not_in_order")
        self.assertEqual(self.counts(), (0, 1))
        st, b, _ = self.c.request("POST", self.ev("/release"),
                                  {"order_id": "o-404", "areas": [{"id": "floor", "quantity": 1}]})
        self.assertEqual(st, 404, b)
        self.assertEqual(b["error"]["code"], "order_not_found")
        # a replayed reserve shows what is still sold, never the refunded places
        b = self.reserve(h["hold_id"], "o-1")
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 1}])
        self.assertEqual(b["seats"], ["A3"])
        causes = [(x["status"], x["cause"], x["sold"]) for x in self.area_journal()]
        self.assertEqual(causes[-2:], [("reserved", "reserve", "4"),
                                       ("available", "admin_release", "1")])

    def test_fully_refunded_area_order(self):
        self.put()
        h = self.hold(areas=[{"id": "floor", "quantity": 2}])
        self.reserve(h["hold_id"], "o-2")
        st, b, _ = self.c.request("POST", self.ev("/release"),
                                  {"order_id": "o-2", "areas": [{"id": "floor", "quantity": 2}]})
        self.assertEqual(st, 200, b)
        self.assertEqual(self.counts(), (0, 0))
        b = self.reserve(h["hold_id"], "o-2", expect=409)
        self.assertEqual(b["error"]["code"], "seats_refunded")
        st, b, _ = self.c.request("GET", self.ev("/orders/o-2"))
        self.assertEqual(st, 404, b)
        self.assertEqual(self.r.cmd("HEXISTS", "usher:{%s}:orders" % self.e, "o-2"), 0)


class AreaChanges(Base):
    def change(self, hid, expect=200, code=None, **body):
        st, b, _ = self.c.request("POST", self.ev("/holds/%s/seats" % hid), body)
        self.assertEqual(st, expect, b)
        if code:
            self.assertEqual(b["error"]["code"], code, b)
        return b

    def test_change_quantities(self):
        self.put(capacity=6)
        h = self.hold(seats=["A1"], areas=[{"id": "floor", "quantity": 2}])
        b = self.change(h["hold_id"], areas=[{"id": "floor", "quantity": 5}])
        self.assertEqual(b["areas"], [{"id": "floor", "quantity": 5}])
        self.assertEqual(b["expires_at"], h["expires_at"])
        self.assertEqual(self.counts(), (5, 0))
        self.change(h["hold_id"], expect=409, code="area_unavailable",
                    areas=[{"id": "floor", "quantity": 7}])
        self.assertEqual(self.counts(), (5, 0))
        b = self.change(h["hold_id"], add=["A2"], areas=[{"id": "floor", "quantity": 0}])
        self.assertNotIn("areas", b)
        self.assertEqual(b["seats"], ["A1", "A2"])
        self.assertEqual(self.counts(), (0, 0))
        # a hold never becomes empty
        self.change(h["hold_id"], expect=422, code="invalid_seat_count", remove=["A1", "A2"])
        b = self.change(h["hold_id"], remove=["A1", "A2"], areas=[{"id": "floor", "quantity": 1}])
        self.assertEqual(b["seats"], [])
        self.assertEqual(self.counts(), (1, 0))
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), "......")


class AreaStream(Base):
    def test_area_changes_stream_with_their_counts(self):
        from test_stream import SSE
        self.put(capacity=10)
        sse = SSE(STACK.http_port, self.ev("/stream"))
        try:
            self.assertEqual(len(sse.events(1, kinds=("counts",))), 1)
            h = self.hold(seats=["A1"], areas=[{"id": "floor", "quantity": 3}])
            st, _, _ = self.c.request("POST", self.ev("/holds/%s/reserve" % h["hold_id"]),
                                      {"order_id": "o-s"})
            self.assertEqual(st, 200)
            got = sse.events(2, kinds=("area",))
        finally:
            sse.close()
        self.assertEqual([(d["status"], d["cause"], d["quantity"], d["held"], d["sold"])
                          for _, _, d in got],
                         [("held", "hold", 3, 3, 0), ("reserved", "reserve", 3, 0, 3)])
        self.assertTrue(all(d["area"] == "floor" for _, _, d in got))


class AreaSwarm(Base):
    def test_never_over_capacity(self):
        """40 buyers at once, 2 places each, 50 places: 25 get them, the
        rest are refused, and Redis holds exactly 50."""
        self.put(capacity=50, seats=False)
        results = []
        lock = threading.Lock()

        def buyer():
            c = STACK.client()
            try:
                for _ in range(2):
                    st, b, _ = c.request("POST", self.ev("/holds"),
                                         {"areas": [{"id": "floor", "quantity": 2}]})
                    with lock:
                        results.append((st, b))
            finally:
                c.close()

        threads = [threading.Thread(target=buyer) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 80)
        ok = [b for st, b in results if st == 201]
        refused = [b for st, b in results if st == 409]
        self.assertEqual(len(ok), 25, [b for st, b in results if st not in (201, 409)])
        self.assertEqual(len(refused), 55)
        self.assertTrue(all(b["error"]["code"] == "area_unavailable" for b in refused))
        self.assertEqual(self.counts(), (50, 0))
        held = sum(json.loads(json.dumps(b))["areas"][0]["quantity"] for b in ok)
        self.assertEqual(held, 50)


if __name__ == "__main__":
    unittest.main(argv=ARGV)

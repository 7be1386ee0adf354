"""Integration tests of every route and error code of API v1, against the
real usherd and a real redis-server on loopback."""
import os
import socket
import sys
import time
import unittest
import uuid

import harness

ARGS, ARGV = harness.parse_args()
STACK = None


def setUpModule():
    global STACK
    STACK = harness.Stack(ARGS).start()


def tearDownModule():
    if STACK.cluster:
        # on a cluster (USHER_CLUSTER=1) the suite's events must have lived
        # on every shard, or it proved nothing about routing
        r = STACK.redis()
        try:
            nodes = {r.node_of("usher:{%s}:meta" % e) for e in r.cmd("SMEMBERS", "usher:events")}
            assert len(nodes) == len(r.primaries()) == 3, \
                "the suite's events lived on %d of the cluster's shards" % len(nodes)
            print("cluster: the suite's events lived on all %d shards" % len(nodes))
        finally:
            r.close()
    code = STACK.stop_usherd()
    STACK.stop()
    assert code == 0, "usherd did not exit cleanly on SIGTERM: %r" % code


def new_event():
    return "ev-" + uuid.uuid4().hex[:12]


event_keys = harness.event_keys


class Base(unittest.TestCase):
    def setUp(self):
        self.c = STACK.client()
        self.r = STACK.redis()
        self.e = new_event()

    def tearDown(self):
        self.c.close()
        self.r.close()

    def call(self, method, path, body=None, headers=None, raw=None):
        return self.c.request(method, path, body, headers, raw)

    def ev(self, suffix=""):
        return "/v1/events/%s%s" % (self.e, suffix)

    def make_event(self, **kw):
        st, body, _ = self.call("PUT", self.ev(), harness.theatre(**kw))
        self.assertEqual(st, 201, body)
        return body

    def hold(self, seats, expect=201, **kw):
        body = {"seats": seats}
        body.update(kw)
        st, b, _ = self.call("POST", self.ev("/holds"), body)
        self.assertEqual(st, expect, b)
        return b

    def assert_error(self, resp, status, code):
        st, body, _ = resp
        self.assertEqual(st, status, body)
        self.assertIn("error", body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"])
        return body["error"]

    def seat_status(self):
        st, body, _ = self.call("GET", self.ev("/seats"))
        self.assertEqual(st, 200, body)
        return {s["id"]: s["status"] for s in body["seats"]}

    def counts(self):
        st, body, _ = self.call("GET", self.ev())
        self.assertEqual(st, 200, body)
        return body["counts"]


class Health(Base):
    def test_healthz_and_readyz(self):
        st, body, _ = self.call("GET", "/healthz")
        self.assertEqual((st, body), (200, {"status": "ok"}))
        st, body, _ = self.call("GET", "/readyz")
        self.assertEqual(st, 200)

    def test_unknown_route_and_method(self):
        self.assert_error(self.call("GET", "/nope"), 404, "not_found")
        self.assert_error(self.call("GET", "/v1/events/x/holds/y/nope"), 404, "not_found")
        st, body, hdrs = self.call("PATCH", self.ev())
        self.assertEqual(st, 405)
        self.assertEqual(body["error"]["code"], "method_not_allowed")
        self.assertEqual(sorted(hdrs["allow"].split(", ")), ["DELETE", "GET", "HEAD", "PUT"])
        st, body, hdrs = self.call("GET", self.ev("/holds"))
        self.assertEqual((st, hdrs["allow"]), (405, "POST"))


class Events(Base):
    def test_create_get_replace_delete(self):
        b = self.make_event(sections=2, rows=3, seats=10, hold_ttl_s=60,
                            max_hold_ttl_s=120, max_seats_per_hold=4)
        self.assertEqual(b, {"event": self.e, "seats": 60})
        st, b, _ = self.call("GET", self.ev())
        self.assertEqual(st, 200)
        self.assertEqual(b["name"], "Test Theatre")
        self.assertEqual((b["hold_ttl_s"], b["max_hold_ttl_s"], b["max_seats_per_hold"]),
                         (60, 120, 4))
        self.assertEqual(b["counts"], {"total": 60, "available": 60, "held": 0,
                                       "reserved": 0, "blocked": 0})
        self.assertEqual([(s["id"], s["name"], s["counts"]["total"]) for s in b["sections"]],
                         [("S0", "Section 0", 30), ("S1", "Section 1", 30)])
        # replace while unused: 200, new map in force
        st, b, _ = self.call("PUT", self.ev(), harness.theatre(sections=1, rows=1, seats=5))
        self.assertEqual((st, b), (200, {"event": self.e, "seats": 5}))
        self.assertEqual(self.counts()["total"], 5)
        # listed
        st, b, _ = self.call("GET", "/v1/events")
        self.assertEqual(st, 200)
        mine = [x for x in b["events"] if x["event"] == self.e]
        self.assertEqual(len(mine), 1)
        self.assertEqual(mine[0]["counts"]["total"], 5)
        ids = [x["event"] for x in b["events"]]
        self.assertEqual(ids, sorted(ids))
        # delete: 204, gone, every key gone, unlisted
        st, b, _ = self.call("DELETE", self.ev())
        self.assertEqual((st, b), (204, None))
        self.assert_error(self.call("GET", self.ev()), 404, "event_not_found")
        self.assertEqual(self.r.cmd("EXISTS", *event_keys(self.e)), 0)
        self.assertEqual(self.r.cmd("SISMEMBER", "usher:events", self.e), 0)
        self.assert_error(self.call("DELETE", self.ev()), 404, "event_not_found")

    def test_defaults_and_seat_forms(self):
        body = {"name": "Mixed", "sections": [{"id": "A", "rows": [
            {"id": "1", "range": {"from": 3, "to": 4}, "category": "VIP"},
            {"id": "2", "seats": [{"id": "box-1", "category": "box", "x": 1.5, "y": -2},
                                  {"id": "box-2"}]}]}]}
        st, b, _ = self.call("PUT", self.ev(), body)
        self.assertEqual((st, b["seats"]), (201, 4))
        st, b, _ = self.call("GET", self.ev())
        self.assertEqual((b["hold_ttl_s"], b["max_hold_ttl_s"], b["max_seats_per_hold"]),
                         (600, 1800, 10))
        self.assertEqual(b["sections"][0]["name"], "A")
        st, b, _ = self.call("GET", self.ev("/seats"))
        self.assertEqual(b["event"], self.e)
        self.assertEqual(b["seats"], [
            {"id": "A-1-3", "section": "A", "row": "1", "status": "available", "category": "VIP"},
            {"id": "A-1-4", "section": "A", "row": "1", "status": "available", "category": "VIP"},
            {"id": "box-1", "section": "A", "row": "2", "status": "available",
             "category": "box", "x": 1.5, "y": -2},
            {"id": "box-2", "section": "A", "row": "2", "status": "available"}])

    def test_put_errors(self):
        bad = self.call("PUT", self.ev(), raw=b'{"name": "x", ')
        self.assert_error(bad, 400, "invalid_json")
        self.assert_error(self.call("PUT", self.ev(), raw=b'[1]'), 400, "invalid_request")
        self.assert_error(self.call("PUT", self.ev(), raw=b''), 400, "invalid_json")
        e = self.assert_error(self.call("PUT", self.ev(), {"sections": []}), 400, "invalid_request")
        self.assertIn("name", e["message"])
        t = harness.theatre()
        t["colour"] = "red"
        e = self.assert_error(self.call("PUT", self.ev(), t), 400, "invalid_request")
        self.assertIn("colour", e["message"])
        t = harness.theatre()
        t["hold_ttl_s"] = "600"
        e = self.assert_error(self.call("PUT", self.ev(), t), 400, "invalid_request")
        self.assertIn("hold_ttl_s", e["message"])
        t = harness.theatre(hold_ttl_s=100, max_hold_ttl_s=50)
        self.assert_error(self.call("PUT", self.ev(), t), 400, "invalid_request")
        self.assert_error(self.call("PUT", "/v1/events/bad%7Bid%7D", harness.theatre()),
                          400, "invalid_id")
        self.assert_error(self.call("PUT", "/v1/events/" + "x" * 65, harness.theatre()),
                          400, "invalid_id")
        dup = {"name": "d", "sections": [{"id": "A", "rows": [
            {"id": "1", "seats": [{"id": "s1"}, {"id": "s2"}]},
            {"id": "2", "seats": [{"id": "s1"}]}]}]}
        e = self.assert_error(self.call("PUT", self.ev(), dup), 400, "duplicate_seat")
        self.assertEqual(e["seats"], ["s1"])
        dsec = {"name": "d", "sections": [{"id": "A", "rows": []}, {"id": "A", "rows": []}]}
        self.assert_error(self.call("PUT", self.ev(), dsec), 400, "duplicate_section")
        badseat = {"name": "d", "sections": [{"id": "A", "rows": [
            {"id": "1", "seats": [{"id": "a/b"}]}]}]}
        self.assert_error(self.call("PUT", self.ev(), badseat), 400, "invalid_id")
        huge = {"name": "h", "sections": [{"id": "A", "rows": [
            {"id": "1", "range": {"from": 1, "to": 200001}}]}]}
        self.assert_error(self.call("PUT", self.ev(), huge), 422, "too_many_seats")
        # nothing of all that was stored
        self.assertEqual(self.r.cmd("EXISTS", *event_keys(self.e)), 0)

    def test_max_size_event(self):
        big = {"name": "Stadium", "sections": [{"id": "S%d" % s, "rows": [
            {"id": "R%d" % r, "range": {"from": 1, "to": 200}} for r in range(50)]}
            for s in range(20)]}
        st, b, _ = self.call("PUT", self.ev(), big)
        self.assertEqual((st, b["seats"]), (201, 200000))
        st, b, _ = self.call("GET", self.ev("/seats?section=S19&status=available"))
        self.assertEqual(st, 200)
        self.assertEqual(len(b["seats"]), 10000)
        self.assertEqual(b["seats"][-1]["id"], "S19-R49-200")
        self.call("DELETE", self.ev())

    def stage_keys(self):
        return [k for k in self.r.cmd("KEYS", "usher:{%s}:stage:*" % self.e)]

    def test_staging_keys_never_stay(self):
        self.make_event()
        self.assertEqual(self.stage_keys(), [])
        self.hold(["S0-R0-1"])
        self.assert_error(self.call("PUT", self.ev(), harness.theatre()), 409, "event_in_use")
        self.assertEqual(self.stage_keys(), [])
        self.assertEqual(self.counts()["held"], 1)        # the old map is intact

    def test_event_put_refuses_incomplete_stage(self):
        # the swap script itself: a staged index with a seat missing (as
        # after an expired or lost chunk) is refused and cleaned up
        self.make_event(sections=1, rows=1, seats=3)
        sha = self.r.cmd("SCRIPT", "LOAD", harness.script_source("event_put"))
        stage = ["usher:{%s}:stage:t:seats" % self.e, "usher:{%s}:stage:t:layout" % self.e]
        self.r.cmd("HSET", stage[0], "a", "0", "b", "1")
        self.r.cmd("SET", stage[1], "0\t\"id\":\"a\"}\n")
        with self.assertRaises(RuntimeError) as cm:
            self.r.cmd("EVALSHA", sha, str(len(event_keys(self.e)) + 2), *(event_keys(self.e) + stage),
                       "n", "600", "1800", "10", "[]", "3", "1000", "0")
        self.assertIn("STAGE_INCOMPLETE", str(cm.exception))
        self.assertEqual(self.r.cmd("EXISTS", *stage), 0)
        self.assertEqual(self.counts()["total"], 3)

    def test_replace_in_use(self):
        self.make_event()
        h = self.hold(["S0-R0-1"])
        self.assert_error(self.call("PUT", self.ev(), harness.theatre()), 409, "event_in_use")
        st, _, _ = self.call("POST", self.ev("/holds/%s/reserve" % h["hold_id"]),
                             {"order_id": "o-1"})
        self.assertEqual(st, 200)
        self.assert_error(self.call("PUT", self.ev(), harness.theatre()), 409, "event_in_use")
        st, _, _ = self.call("POST", self.ev("/release"), {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 200)
        st, _, _ = self.call("PUT", self.ev(), harness.theatre())
        self.assertEqual(st, 200)

    def test_blocked_seats_do_not_stop_replace(self):
        self.make_event()
        st, _, _ = self.call("POST", self.ev("/block"), {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 200)
        st, _, _ = self.call("PUT", self.ev(), harness.theatre())
        self.assertEqual(st, 200)
        self.assertEqual(self.counts()["blocked"], 0)

    def test_unknown_event(self):
        self.assert_error(self.call("GET", self.ev()), 404, "event_not_found")
        self.assert_error(self.call("GET", self.ev("/seats")), 404, "event_not_found")
        self.assert_error(self.call("POST", self.ev("/holds"), {"seats": ["a"]}),
                          404, "event_not_found")
        self.assert_error(self.call("GET", self.ev("/holds/abc")), 404, "event_not_found")
        self.assert_error(self.call("GET", self.ev("/orders/abc")), 404, "event_not_found")
        self.assert_error(self.call("POST", self.ev("/block"), {"seats": ["a"]}),
                          404, "event_not_found")


class Seats(Base):
    def test_listing_filters_and_privacy(self):
        self.make_event(sections=2, rows=2, seats=3)
        h = self.hold(["S0-R0-1", "S1-R1-3"], holder="alice")
        st, b, _ = self.call("GET", self.ev("/seats"))
        self.assertEqual(st, 200)
        self.assertEqual([s["id"] for s in b["seats"]][:4],
                         ["S0-R0-1", "S0-R0-2", "S0-R0-3", "S0-R1-1"])
        text = str(b)
        self.assertNotIn(h["hold_id"], text)
        self.assertNotIn("alice", text)
        st, b, _ = self.call("GET", self.ev("/seats?status=held"))
        self.assertEqual([s["id"] for s in b["seats"]], ["S0-R0-1", "S1-R1-3"])
        st, b, _ = self.call("GET", self.ev("/seats?section=S1&status=held"))
        self.assertEqual([s["id"] for s in b["seats"]], ["S1-R1-3"])
        st, b, _ = self.call("GET", self.ev("/seats?section=S1"))
        self.assertEqual(len(b["seats"]), 6)
        self.assertTrue(all(s["section"] == "S1" for s in b["seats"]))
        st, b, _ = self.call("GET", self.ev("/seats?section=ZZ"))
        self.assertEqual((st, b["seats"]), (200, []))
        self.assert_error(self.call("GET", self.ev("/seats?status=sold")), 400, "invalid_request")
        self.assert_error(self.call("GET", self.ev("/seats?colour=red")), 400, "invalid_request")
        self.assert_error(self.call("GET", self.ev("/seats?section=a%7Bb")), 400, "invalid_request")

    def test_layout_is_cached_and_never_stale(self):
        """usherd keeps a seat map's layout (it never changes under one
        layout id) and event_read leaves it out for a caller naming the
        current id: a 120,000-seat map then costs Redis the statuses only.
        Shown by changing the layout key behind usherd's back: the cached
        copy is listed until the id changes."""
        self.make_event(sections=1, rows=1, seats=3)
        ids = lambda: [s["id"] for s in self.call("GET", self.ev("/seats"))[1]["seats"]]
        self.assertEqual(ids(), ["S0-R0-1", "S0-R0-2", "S0-R0-3"])
        meta = "usher:{%s}:meta" % self.e
        lid = self.r.cmd("HGET", meta, "layout_id")
        self.assertRegex(lid, r"^[A-Za-z0-9_-]{22}$")
        key = "usher:{%s}:layout" % self.e
        self.r.cmd("SET", key, self.r.cmd("GET", key).replace("S0-R0", "X0-R0"))
        self.assertEqual(ids(), ["S0-R0-1", "S0-R0-2", "S0-R0-3"])    # the cached copy
        self.r.cmd("HSET", meta, "layout_id", "another")
        self.assertEqual(ids(), ["X0-R0-1", "X0-R0-2", "X0-R0-3"])    # sent again
        self.r.cmd("HDEL", meta, "layout_id")                        # an event without one
        self.r.cmd("SET", key, self.r.cmd("GET", key).replace("X0-R0", "Y0-R0"))
        self.assertEqual(ids(), ["Y0-R0-1", "Y0-R0-2", "Y0-R0-3"])
        # a replaced map has a new id, so it is listed at once
        st, b, _ = self.call("PUT", self.ev(), harness.theatre(sections=1, rows=1, seats=2))
        self.assertEqual(st, 200, b)
        self.assertNotEqual(self.r.cmd("HGET", meta, "layout_id"), lid)
        self.assertEqual(ids(), ["S0-R0-1", "S0-R0-2"])

    def test_layout_is_stored_compact(self):
        """Redis keeps the layout compact (lua/README.md): a row line, then
        a range line or one short line a seat, so an idle 100,000-seat
        event costs Redis the seat index and a status byte a seat, not 50
        more bytes of repeated JSON. usherd lists it as before, and still
        lists a layout in the line-a-seat form an older usherd stored."""
        body = harness.theatre(sections=1, rows=2, seats=500)
        body["sections"].append({"id": "D", "rows": [
            {"id": "1", "seats": [{"id": "d1", "x": 1.5, "y": 2, "category": "wheel\"chair"},
                                  {"id": "d2"}]}]})
        st, b, _ = self.call("PUT", self.ev(), body)
        self.assertEqual(st, 201, b)
        key = "usher:{%s}:layout" % self.e
        self.assertEqual(self.r.cmd("GET", key),
                         '\t0\t"section":"S0","row":"R0"\n*S0-R0-\t1\t500\n'
                         '\t0\t"section":"S0","row":"R1"\n*S0-R1-\t1\t500\n'
                         '\t1\t"section":"D","row":"1"\n'
                         'd1,"category":"wheel\\"chair","x":1.5,"y":2\nd2\n')
        st, b, _ = self.call("GET", self.ev("/seats"))
        self.assertEqual(st, 200, b)
        self.assertEqual(len(b["seats"]), 1002)
        self.assertEqual(b["seats"][0], {"status": "available", "id": "S0-R0-1",
                                         "section": "S0", "row": "R0"})
        self.assertEqual(b["seats"][999]["id"], "S0-R1-500")
        self.assertEqual(b["seats"][1000], {"status": "available", "id": "d1", "section": "D",
                                            "row": "1", "category": "wheel\"chair",
                                            "x": 1.5, "y": 2})
        self.assertEqual(b["seats"][1001], {"status": "available", "id": "d2", "section": "D",
                                            "row": "1"})
        self.assertEqual(self.call("GET", self.ev("/seats?section=D"))[1]["seats"][1]["id"], "d2")
        # a layout an older usherd stored, one line a seat, without a layout id
        self.r.cmd("HDEL", "usher:{%s}:meta" % self.e, "layout_id")
        self.r.cmd("SET", key, "".join(
            '%d\t"id":"%s","section":"%s","row":"%s"}\n' % (i // 1000, s["id"], s["section"],
                                                              s["row"])
            for i, s in enumerate(b["seats"])))
        st, b2, _ = self.call("GET", self.ev("/seats"))
        self.assertEqual((st, [s["id"] for s in b2["seats"]]), (200, [s["id"] for s in b["seats"]]))
        # a broken one is a 500, never a read past its end
        self.r.cmd("SET", key, '\t0\t"section":"S0"')
        self.assert_error(self.call("GET", self.ev("/seats")), 500, "internal_error")

    def test_block_unblock(self):
        self.make_event()
        st, b, _ = self.call("POST", self.ev("/block"), {"seats": ["S0-R0-1", "S0-R0-2"]})
        self.assertEqual((st, b), (200, {"blocked": ["S0-R0-1", "S0-R0-2"]}))
        self.assertEqual(self.counts()["blocked"], 2)
        e = self.assert_error(self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"]}),
                              409, "seats_unavailable")
        self.assertEqual(e["seats"], ["S0-R0-1"])
        self.hold(["S0-R0-3"])
        e = self.assert_error(self.call("POST", self.ev("/block"),
                                        {"seats": ["S0-R0-4", "S0-R0-3", "S0-R0-1"]}),
                              409, "seats_unavailable")
        self.assertEqual(e["seats"], ["S0-R0-3", "S0-R0-1"])
        self.assertEqual(self.seat_status()["S0-R0-4"], "available")   # all or nothing
        e = self.assert_error(self.call("POST", self.ev("/unblock"),
                                        {"seats": ["S0-R0-1", "S0-R0-4"]}),
                              409, "seats_not_blocked")
        self.assertEqual(e["seats"], ["S0-R0-4"])
        self.assertEqual(self.seat_status()["S0-R0-1"], "blocked")
        st, b, _ = self.call("POST", self.ev("/unblock"), {"seats": ["S0-R0-1", "S0-R0-2"]})
        self.assertEqual((st, b), (200, {"unblocked": ["S0-R0-1", "S0-R0-2"]}))
        self.assertEqual(self.counts()["blocked"], 0)
        e = self.assert_error(self.call("POST", self.ev("/block"), {"seats": ["nope"]}),
                              422, "unknown_seats")
        self.assertEqual(e["seats"], ["nope"])
        self.assert_error(self.call("POST", self.ev("/block"), {"seats": []}),
                          422, "invalid_seat_count")
        self.assert_error(self.call("POST", self.ev("/block"), {"seat": ["x"]}),
                          400, "invalid_request")

    def test_admin_release_of_reserved(self):
        self.make_event()
        h = self.hold(["S0-R0-1", "S0-R0-2"])
        self.call("POST", self.ev("/holds/%s/reserve" % h["hold_id"]), {"order_id": "ord-9"})
        e = self.assert_error(self.call("POST", self.ev("/release"),
                                        {"seats": ["S0-R0-1", "S0-R0-5"]}),
                              409, "seats_not_reserved")
        self.assertEqual(e["seats"], ["S0-R0-5"])
        self.assertEqual(self.seat_status()["S0-R0-1"], "reserved")
        st, b, _ = self.call("POST", self.ev("/release"), {"seats": ["S0-R0-1"]})
        self.assertEqual((st, b), (200, {"released": ["S0-R0-1"]}))
        st, b, _ = self.call("GET", self.ev("/orders/ord-9"))
        self.assertEqual(b["seats"], ["S0-R0-2"])
        self.call("POST", self.ev("/release"), {"seats": ["S0-R0-2"]})
        self.assert_error(self.call("GET", self.ev("/orders/ord-9")), 404, "order_not_found")
        c = self.counts()
        self.assertEqual((c["reserved"], c["available"]), (0, c["total"]))
        self.assertEqual(self.r.cmd("HLEN", "usher:{%s}:owner" % self.e), 0)


class Contract(Base):
    """What the spec promises, taken at its word (issue 13.8, 13.11):
    lengths in characters, integral numbers as integers, null is not a
    string, escapes of unreserved characters decoded in paths, ids "."
    and ".." refused, a filter given twice refused."""

    def test_lengths_count_characters(self):
        body = harness.theatre(sections=1, rows=1, seats=2)
        body["name"] = "\u00e9" * 101                          # 202 bytes, 101 characters
        body["sections"][0]["name"] = "\u5287\u5834" * 35     # 70 Japanese characters
        body["sections"][0]["rows"][0]["category"] = "\u00e9" * 64
        st, b, _ = self.call("PUT", self.ev(), body)
        self.assertEqual(st, 201, b)
        st, ev, _ = self.call("GET", self.ev())
        self.assertEqual((ev["name"], ev["sections"][0]["name"]), (body["name"], body["sections"][0]["name"]))
        body["name"] = "\u00e9" * 201
        e = self.assert_error(self.call("PUT", self.ev(), body), 400, "invalid_request")
        self.assertIn("200 characters", e["message"])

    def test_integral_numbers_are_integers_and_null_is_no_string(self):
        body = harness.theatre(sections=1, rows=1, seats=4)
        body["hold_ttl_s"] = 60.0
        st, b, _ = self.call("PUT", self.ev(), raw=json_bytes(body))
        self.assertEqual(st, 201, b)
        st, h, _ = self.call("POST", self.ev("/holds"), raw=b'{"seats":["S0-R0-1"],"ttl_s":30.0}')
        self.assertEqual((st, h["expires_in_s"]), (201, 30), h)
        self.assert_error(self.call("POST", self.ev("/holds"), raw=b'{"seats":["S0-R0-2"],"ttl_s":1.5}'),
                          400, "invalid_request")
        self.assert_error(self.call("POST", self.ev("/holds"), raw=b'{"seats":["S0-R0-2"],"ttl_s":1e300}'),
                          422, "invalid_ttl")
        self.assert_error(self.call("POST", self.ev("/holds"), raw=b'{"seats":["S0-R0-2"],"holder":null}'),
                          400, "invalid_request")
        self.assertEqual(self.counts()["held"], 1)

    def test_unreserved_escapes_in_paths(self):
        self.make_event()
        st, b, _ = self.call("GET", "/v1/%65%76ents/" + "".join("%%%02X" % ord(ch) for ch in self.e) +
                             "/seats")
        self.assertEqual((st, len(b["seats"])), (200, 60), b)
        self.assert_error(self.call("GET", "/v1/events/%2E%2E/seats"), 400, "invalid_id")
        self.assert_error(self.call("GET", "/v1/events/a%2Fb"), 400, "invalid_id")

    def test_dot_ids_refused(self):
        for ev in (".", ".."):
            body = harness.theatre(sections=1, rows=1, seats=1)
            st, b, _ = self.call("PUT", "/v1/events/" + "%2E" * len(ev), body)
            self.assertEqual((st, b["error"]["code"]), (400, "invalid_id"), b)
        body = harness.theatre(sections=1, rows=1, seats=1)
        body["sections"][0]["id"] = ".."
        self.assert_error(self.call("PUT", self.ev(), body), 400, "invalid_id")
        body = {"name": "x", "sections": [{"id": "A", "rows": [{"id": "1", "seats": [{"id": "."}]}]}]}
        self.assert_error(self.call("PUT", self.ev(), body), 400, "invalid_id")
        self.make_event()
        self.assert_error(self.call("POST", self.ev("/holds"), {"seats": [".."]}), 400, "invalid_id")
        self.assert_error(self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"], "holder": "."}),
                          400, "invalid_id")
        self.assertEqual(self.r.cmd("EXISTS", "usher:{.}:meta") + self.r.cmd("EXISTS", "usher:{..}:meta"), 0)

    def test_a_filter_given_twice_is_refused(self):
        self.make_event()
        for q in ("section=S0&section=S1", "status=held&status=available"):
            e = self.assert_error(self.call("GET", self.ev("/seats?" + q)), 400, "invalid_request")
            self.assertIn("once", e["message"])
        st, b, _ = self.call("GET", self.ev("/seats?section=S%31&status=available"))
        self.assertEqual((st, len(b["seats"])), (200, 30))
        self.assert_error(self.call("GET", self.ev("/seats?section=%zz")), 400, "invalid_request")


def json_bytes(obj):
    import json
    return json.dumps(obj).encode()


class Refunds(Base):
    """A replay after a refund (issue 13.1): hold A sold to ord-1, its seat
    refunded, held again as hold B and sold to ord-2; the original reserve
    of A again must never present that seat as ord-1's, nor may A's GET or
    an idempotent create of A."""

    def reserve(self, hold, order):
        return self.call("POST", self.ev("/holds/%s/reserve" % hold), {"order_id": order})

    def test_replayed_reserve_after_refund_and_resale(self):
        self.make_event()
        st, a, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"]},
                             headers={"Idempotency-Key": "cart-a"})
        self.assertEqual(st, 201, a)
        st, b, _ = self.reserve(a["hold_id"], "ord-1")
        self.assertEqual((st, b["seats"]), (200, ["S0-R0-1"]))
        self.assertNotIn("refunded", b)
        st, b, _ = self.call("POST", self.ev("/release"), {"seats": ["S0-R0-1"]})
        self.assertEqual((st, b), (200, {"released": ["S0-R0-1"]}))
        hb = self.hold(["S0-R0-1"])
        st, _, _ = self.reserve(hb["hold_id"], "ord-2")
        self.assertEqual(st, 200)
        # the webhook of ord-1 redelivered: no seat of ord-1's is left
        e = self.assert_error(self.reserve(a["hold_id"], "ord-1"), 409, "seats_refunded")
        self.assertEqual(e["seats"], ["S0-R0-1"])
        st, g, _ = self.call("GET", self.ev("/holds/" + a["hold_id"]))
        self.assertEqual(st, 200, g)
        self.assertEqual((g["status"], g["seats"], g["refunded"], g["order_id"]),
                         ("refunded", [], ["S0-R0-1"], "ord-1"))
        # the idempotent create of A tells the same truth, and never 'held'
        st, g2, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"]},
                              headers={"Idempotency-Key": "cart-a"})
        self.assertEqual((st, g2["status"], g2["seats"]), (201, "refunded", []))
        # the seat is ord-2's, and only ord-2's, in Redis
        self.assertEqual(self.r.cmd("HGET", "usher:{%s}:owner" % self.e, "S0-R0-1"), "ord-2")
        self.assertIsNone(self.r.cmd("HGET", "usher:{%s}:orders" % self.e, "ord-1"))
        self.assert_error(self.call("GET", self.ev("/orders/ord-1")), 404, "order_not_found")
        st, g, _ = self.call("GET", self.ev("/holds/" + hb["hold_id"]))
        self.assertEqual((g["status"], g["seats"]), ("reserved", ["S0-R0-1"]))
        self.assertNotIn("refunded", g)

    def test_partial_refund_replay_lists_what_is_still_sold(self):
        self.make_event()
        a = self.hold(["S0-R0-1", "S0-R0-2", "S0-R0-3"])
        st, _, _ = self.reserve(a["hold_id"], "ord-1")
        self.assertEqual(st, 200)
        st, _, _ = self.call("POST", self.ev("/release"), {"seats": ["S0-R0-2"]})
        self.assertEqual(st, 200)
        st, b, _ = self.reserve(a["hold_id"], "ord-1")
        self.assertEqual((st, b["seats"], b["refunded"]),
                         (200, ["S0-R0-1", "S0-R0-3"], ["S0-R0-2"]))
        st, g, _ = self.call("GET", self.ev("/holds/" + a["hold_id"]))
        self.assertEqual((g["status"], g["seats"], g["refunded"]),
                         ("reserved", ["S0-R0-1", "S0-R0-3"], ["S0-R0-2"]))
        st, o, _ = self.call("GET", self.ev("/orders/ord-1"))
        self.assertEqual(o["seats"], ["S0-R0-1", "S0-R0-3"])
        # the refunded seat sold again to the same order through another
        # hold is that order's: the replay of A may list it again
        h2 = self.hold(["S0-R0-2"])
        self.reserve(h2["hold_id"], "ord-1")
        st, b, _ = self.reserve(a["hold_id"], "ord-1")
        self.assertEqual((st, sorted(b["seats"])), (200, ["S0-R0-1", "S0-R0-2", "S0-R0-3"]))
        self.assertEqual(self.counts()["reserved"], 3)


class Holds(Base):
    def test_create_shape(self):
        self.make_event(hold_ttl_s=300)
        before = time.time()
        h = self.hold(["S0-R0-1", "S0-R0-2"], holder="buyer-1")
        self.assertEqual(h["event"], self.e)
        self.assertEqual(h["seats"], ["S0-R0-1", "S0-R0-2"])
        self.assertEqual(h["holder"], "buyer-1")
        self.assertEqual(h["status"], "held")
        self.assertRegex(h["hold_id"], r"^[A-Za-z0-9_-]{22}$")
        self.assertEqual(h["expires_in_s"], 300)
        exp = time.mktime(time.strptime(h["expires_at"][:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone
        self.assertTrue(h["expires_at"].endswith("Z"))
        self.assertAlmostEqual(exp, before + 300, delta=3)
        c = self.counts()
        self.assertEqual((c["held"], c["available"]), (2, c["total"] - 2))
        st, g, _ = self.call("GET", self.ev("/holds/" + h["hold_id"]))
        self.assertEqual(st, 200)
        self.assertEqual({k: g[k] for k in ("hold_id", "seats", "holder", "status")},
                         {k: h[k] for k in ("hold_id", "seats", "holder", "status")})
        self.assertLessEqual(g["expires_in_s"], 300)
        h2 = self.hold(["S0-R0-3"], ttl_s=5)
        self.assertEqual(h2["expires_in_s"], 5)
        self.assertNotIn("holder", h2)
        self.assertNotEqual(h2["hold_id"], h["hold_id"])

    def test_conflict_is_all_or_nothing(self):
        self.make_event()
        self.hold(["S0-R0-2"])
        e = self.assert_error(self.call("POST", self.ev("/holds"),
                                        {"seats": ["S0-R0-1", "S0-R0-2", "S0-R0-3"]}),
                              409, "seats_unavailable")
        self.assertEqual(e["seats"], ["S0-R0-2"])
        st = self.seat_status()
        self.assertEqual((st["S0-R0-1"], st["S0-R0-2"], st["S0-R0-3"]),
                         ("available", "held", "available"))
        self.assertEqual(self.r.cmd("HLEN", "usher:{%s}:holds" % self.e), 1)

    def test_validation(self):
        self.make_event(max_seats_per_hold=3, max_hold_ttl_s=100, hold_ttl_s=50)
        p = self.ev("/holds")
        e = self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1", "ghost", "ghost2"]}),
                              422, "unknown_seats")
        self.assertEqual(e["seats"], ["ghost", "ghost2"])
        self.assert_error(self.call("POST", p, {"seats": []}), 422, "invalid_seat_count")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1", "S0-R0-1"]}),
                          422, "invalid_seat_count")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-%d" % i for i in range(1, 5)]}),
                          422, "invalid_seat_count")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "ttl_s": 0}),
                          422, "invalid_ttl")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "ttl_s": 101}),
                          422, "invalid_ttl")
        # jansson refuses integers beyond 64 bits while parsing
        e = self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "ttl_s": 10 ** 30}),
                              400, "invalid_json")
        self.assertIn("too big integer", e["message"])
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "ttl_s": 10 ** 15}),
                          422, "invalid_ttl")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "ttl_s": "5"}),
                          400, "invalid_request")
        self.assert_error(self.call("POST", p, {"seats": "S0-R0-1"}), 400, "invalid_request")
        self.assert_error(self.call("POST", p, {"seats": [1]}), 400, "invalid_request")
        self.assert_error(self.call("POST", p, {"seats": ["a b"]}), 400, "invalid_id")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "holder": "x{y}"}),
                          400, "invalid_id")
        self.assert_error(self.call("POST", p, {"seats": ["S0-R0-1"], "extra": 1}),
                          400, "invalid_request")
        self.assert_error(self.call("POST", p, raw=b'{"seats":["S0-R0-1"'), 400, "invalid_json")
        self.assert_error(self.call("POST", p, raw=b'{"seats":["\xff"]}'), 400, "invalid_json")
        self.assert_error(self.call("POST", p, raw=b'{"seats":["a"],"seats":["b"]}'),
                          400, "invalid_json")
        self.assert_error(self.call("POST", p, raw=b'[' * 5000 + b']' * 5000), 400, "invalid_json")
        big = b'{"seats":["' + b"a" * (64 * 1024) + b'"]}'
        self.assert_error(self.call("POST", p, raw=big), 413, "body_too_large")
        self.assertEqual(self.r.cmd("HLEN", "usher:{%s}:holds" % self.e), 0)
        self.assertEqual(self.counts()["held"], 0)
        # exactly max_hold_ttl_s and max_seats_per_hold are fine
        self.hold(["S0-R0-1", "S0-R0-2", "S0-R0-3"], ttl_s=100)

    def test_idempotency_key(self):
        self.make_event()
        hdr = {"Idempotency-Key": "checkout-123"}
        body = {"seats": ["S0-R0-1", "S0-R0-2"], "holder": "h1"}
        st1, h1, _ = self.call("POST", self.ev("/holds"), body, hdr)
        st2, h2, _ = self.call("POST", self.ev("/holds"), body, hdr)
        self.assertEqual((st1, st2), (201, 201))
        self.assertEqual(h1["hold_id"], h2["hold_id"])
        self.assertEqual(h1["seats"], h2["seats"])
        self.assertEqual(self.r.cmd("HLEN", "usher:{%s}:holds" % self.e), 1)
        self.assert_error(self.call("POST", self.ev("/holds"),
                                    {"seats": ["S0-R0-3"], "holder": "h1"}, hdr),
                          422, "idempotency_key_reused")
        self.assert_error(self.call("POST", self.ev("/holds"), body,
                                    {"Idempotency-Key": "bad key!"}),
                          400, "invalid_idempotency_key")
        # without the key the same body is a conflict against the first hold
        self.assert_error(self.call("POST", self.ev("/holds"), body), 409, "seats_unavailable")
        # after release the key is free again: a new hold
        self.assertEqual(self.call("DELETE", self.ev("/holds/" + h1["hold_id"]))[0], 204)
        st3, h3, _ = self.call("POST", self.ev("/holds"), body, hdr)
        self.assertEqual(st3, 201)
        self.assertNotEqual(h3["hold_id"], h1["hold_id"])
        self.assertEqual(self.r.cmd("HKEYS", "usher:{%s}:idem" % self.e), ["|h1|checkout-123"])

    def test_idempotency_key_is_scoped_by_holder(self):
        """Another holder's request with the same key and seats is not a
        replay: it must not get the hold (and its id, the capability to
        reserve or release it) back. Without holder nor API key the key is
        scoped by the event alone."""
        self.make_event()
        hdr = {"Idempotency-Key": "cart-81"}
        st, h1, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"], "holder": "buyer-7"}, hdr)
        self.assertEqual(st, 201, h1)
        e = self.assert_error(self.call("POST", self.ev("/holds"),
                                        {"seats": ["S0-R0-1"], "holder": "mallory"}, hdr),
                              409, "seats_unavailable")
        self.assertNotIn(h1["hold_id"], str(e))
        e = self.assert_error(self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"]}, hdr),
                              409, "seats_unavailable")
        self.assertNotIn(h1["hold_id"], str(e))
        st, again, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-1"], "holder": "buyer-7"}, hdr)
        self.assertEqual((st, again["hold_id"]), (201, h1["hold_id"]))
        st, anon, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-2"]}, hdr)
        st2, anon2, _ = self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-2"]}, hdr)
        self.assertEqual((st, st2, anon["hold_id"]), (201, 201, anon2["hold_id"]))
        self.assertEqual(sorted(self.r.cmd("HKEYS", "usher:{%s}:idem" % self.e)),
                         ["cart-81", "|buyer-7|cart-81"])
        self.assertEqual(self.r.cmd("HLEN", "usher:{%s}:holds" % self.e), 2)
        # release forgets the scoped key
        self.assertEqual(self.call("DELETE", self.ev("/holds/" + h1["hold_id"]))[0], 204)
        self.assertEqual(self.r.cmd("HKEYS", "usher:{%s}:idem" % self.e), ["cart-81"])

    def test_release(self):
        self.make_event()
        h = self.hold(["S0-R0-1", "S0-R0-2"])
        path = self.ev("/holds/" + h["hold_id"])
        st, b, _ = self.call("DELETE", path)
        self.assertEqual((st, b), (204, None))
        self.assertEqual(self.counts()["held"], 0)
        self.assert_error(self.call("GET", path), 404, "hold_not_found")
        self.assert_error(self.call("DELETE", path), 404, "hold_not_found")
        self.assert_error(self.call("GET", self.ev("/holds/nope")), 404, "hold_not_found")
        self.assert_error(self.call("GET", self.ev("/holds/no%20pe")), 400, "invalid_id")
        self.hold(["S0-R0-1", "S0-R0-2"])   # the seats are free again
        self.assertEqual(self.r.cmd("ZCARD", "usher:{%s}:expiry" % self.e), 1)

    def test_extend(self):
        self.make_event(hold_ttl_s=10, max_hold_ttl_s=60)
        h = self.hold(["S0-R0-1"])
        path = self.ev("/holds/%s/extend" % h["hold_id"])
        st, b, _ = self.call("POST", path, {"ttl_s": 30})
        self.assertEqual(st, 200, b)
        self.assertIn(b["expires_in_s"], (29, 30))
        st, b, _ = self.call("POST", path, {"ttl_s": 1000})
        self.assertEqual(st, 200)
        self.assertLessEqual(b["expires_in_s"], 60)   # capped at created + max
        self.assertGreaterEqual(b["expires_in_s"], 58)
        self.assert_error(self.call("POST", path, {"ttl_s": 0}), 422, "invalid_ttl")
        self.assert_error(self.call("POST", path, {}), 400, "invalid_request")
        self.assert_error(self.call("POST", self.ev("/holds/nope/extend"), {"ttl_s": 5}),
                          404, "hold_not_found")
        self.call("POST", self.ev("/holds/%s/reserve" % h["hold_id"]), {"order_id": "o"})
        self.assert_error(self.call("POST", path, {"ttl_s": 5}), 409, "hold_already_reserved")

    def test_change_seats(self):
        """POST .../holds/{hold}/seats: seats join and leave a live hold,
        all or nothing; its expiry, holder and id stay; the journal says
        cause "change"."""
        self.make_event(hold_ttl_s=30, max_seats_per_hold=4)
        h = self.hold(["S0-R0-1", "S0-R0-2"], holder="ann")
        hid, path = h["hold_id"], self.ev("/holds/%s/seats" % h["hold_id"])
        journal_from = self.r.cmd("XREVRANGE", "usher:{%s}:journal" % self.e, "+", "-",
                                  "COUNT", "1")[0][0]
        st, b, _ = self.call("POST", path, {"add": ["S0-R0-3", "S0-R0-4"], "remove": ["S0-R0-1"]})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["hold_id"], b["status"], b["seats"], b["holder"], b["expires_at"]),
                         (hid, "held", ["S0-R0-2", "S0-R0-3", "S0-R0-4"], "ann", h["expires_at"]))
        self.assertEqual(self.call("GET", self.ev("/holds/" + hid))[1], b)
        status = self.seat_status()
        self.assertEqual([status["S0-R0-%d" % i] for i in range(1, 6)],
                         ["available", "held", "held", "held", "available"])
        owner = "usher:{%s}:owner" % self.e
        self.assertEqual([self.r.cmd("HGET", owner, "S0-R0-%d" % i) for i in (1, 3, 4)],
                         [None, hid, hid])
        entries = self.r.cmd("XRANGE", "usher:{%s}:journal" % self.e, "(" + journal_from, "+")
        changes = [(dict(zip(f[::2], f[1::2]))) for _, f in entries]
        self.assertEqual([(c["seats"], c["status"], c["cause"]) for c in changes],
                         [("S0-R0-1", "available", "change"), ("S0-R0-3 S0-R0-4", "held", "change")])
        # remove only; then nothing changes on any refusal
        st, b, _ = self.call("POST", path, {"remove": ["S0-R0-4"]})
        self.assertEqual((st, b["seats"]), (200, ["S0-R0-2", "S0-R0-3"]))
        other = self.hold(["S0-R0-9"])
        before = self.r.cmd("GET", "usher:{%s}:status" % self.e)
        e = self.assert_error(self.call("POST", path, {"remove": ["S0-R0-7"]}), 422, "seats_not_in_hold")
        self.assertEqual(e["seats"], ["S0-R0-7"])
        e = self.assert_error(self.call("POST", path, {"add": ["S0-R0-2"]}), 422, "seats_already_in_hold")
        self.assertEqual(e["seats"], ["S0-R0-2"])
        e = self.assert_error(self.call("POST", path, {"add": ["S0-R0-5", "S0-R0-9"]}),
                              409, "seats_unavailable")
        self.assertEqual(e["seats"], ["S0-R0-9"])
        e = self.assert_error(self.call("POST", path, {"add": ["S0-R0-5", "X-1"]}), 422, "unknown_seats")
        self.assertEqual(e["seats"], ["X-1"])
        self.assert_error(self.call("POST", path, {"add": ["S0-R0-5", "S0-R0-6", "S0-R0-7"]}),
                          422, "invalid_seat_count")                 # 5 > max_seats_per_hold
        self.assert_error(self.call("POST", path, {"remove": ["S0-R0-2", "S0-R0-3"]}),
                          422, "invalid_seat_count")                 # use DELETE to let all go
        self.assert_error(self.call("POST", path, {}), 400, "invalid_request")
        self.assert_error(self.call("POST", path, {"add": [], "remove": []}), 400, "invalid_request")
        self.assert_error(self.call("POST", path, {"add": ["S0-R0-5"], "remove": ["S0-R0-5"]}),
                          400, "invalid_request")
        self.assert_error(self.call("POST", path, {"add": "S0-R0-5"}), 400, "invalid_request")
        self.assert_error(self.call("POST", path, {"add": ["S0-R0-5", "S0-R0-5"]}),
                          422, "invalid_seat_count")
        self.assert_error(self.call("POST", path, {"seats": ["S0-R0-5"]}), 400, "invalid_request")
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), before)
        self.assert_error(self.call("POST", self.ev("/holds/nope/seats"), {"add": ["S0-R0-5"]}),
                          404, "hold_not_found")
        # a sold hold cannot change; an expired one is gone
        self.call("POST", self.ev("/holds/%s/reserve" % other["hold_id"]), {"order_id": "o9"})
        self.assert_error(self.call("POST", self.ev("/holds/%s/seats" % other["hold_id"]),
                                    {"add": ["S0-R0-8"]}), 409, "hold_already_reserved")
        short = self.hold(["S0-R1-1"], ttl_s=1)
        time.sleep(1.2)
        self.assert_error(self.call("POST", self.ev("/holds/%s/seats" % short["hold_id"]),
                                    {"add": ["S0-R1-2"]}), 410, "hold_expired")
        self.assertEqual(self.seat_status()["S0-R1-2"], "available")

    def test_reserve_and_idempotent_retry(self):
        self.make_event()
        h = self.hold(["S0-R0-1", "S0-R0-2"], ttl_s=1)
        path = self.ev("/holds/%s/reserve" % h["hold_id"])
        want = {"event": self.e, "order_id": "order-77", "hold_id": h["hold_id"],
                "seats": ["S0-R0-1", "S0-R0-2"]}
        st, b, _ = self.call("POST", path, {"order_id": "order-77"})
        self.assertEqual((st, b), (200, want))
        self.assertEqual(self.counts()["reserved"], 2)
        time.sleep(1.3)   # past the hold's expiry: a retry must still succeed
        st, b, _ = self.call("POST", path, {"order_id": "order-77"})
        self.assertEqual((st, b), (200, want))
        self.assert_error(self.call("POST", path, {"order_id": "order-78"}),
                          409, "hold_already_reserved")
        self.assert_error(self.call("DELETE", self.ev("/holds/" + h["hold_id"])),
                          409, "hold_already_reserved")
        st, b, _ = self.call("GET", self.ev("/holds/" + h["hold_id"]))
        self.assertEqual((st, b["status"], b["order_id"]), (200, "reserved", "order-77"))
        st, b, _ = self.call("GET", self.ev("/orders/order-77"))
        self.assertEqual((st, b), (200, {"event": self.e, "order_id": "order-77",
                                         "seats": ["S0-R0-1", "S0-R0-2"]}))
        self.assert_error(self.call("GET", self.ev("/orders/none")), 404, "order_not_found")
        self.assert_error(self.call("POST", self.ev("/holds/nope/reserve"), {"order_id": "x"}),
                          404, "hold_not_found")
        self.assert_error(self.call("POST", path, {"order_id": "o" * 129}), 400, "invalid_id")
        self.assert_error(self.call("POST", path, {}), 400, "invalid_request")
        self.assertEqual(self.counts()["reserved"], 2)
        # one order may collect several holds; a 128-char order id is fine
        oid = "o" * 128
        h2 = self.hold(["S0-R0-3"])
        st, _, _ = self.call("POST", self.ev("/holds/%s/reserve" % h2["hold_id"]),
                             {"order_id": oid})
        self.assertEqual(st, 200)
        st, b, _ = self.call("GET", self.ev("/orders/" + oid))
        self.assertEqual(b["seats"], ["S0-R0-3"])

    def test_expiry(self):
        self.make_event()
        h = self.hold(["S0-R0-1", "S0-R0-2"], ttl_s=1, holder="slow")
        time.sleep(1.2)
        # lazy: seats count as available at once
        self.assertEqual(self.counts()["held"], 0)
        path = self.ev("/holds/" + h["hold_id"])
        e = self.assert_error(self.call("GET", path), 410, "hold_expired")
        self.assert_error(self.call("POST", path + "/reserve", {"order_id": "o"}),
                          410, "hold_expired")
        self.assert_error(self.call("POST", path + "/extend", {"ttl_s": 5}),
                          410, "hold_expired")
        self.assert_error(self.call("DELETE", path), 410, "hold_expired")
        self.hold(["S0-R0-1", "S0-R0-2"])    # someone else gets them
        self.assertEqual(self.r.cmd("ZSCORE", "usher:{%s}:tombs" % self.e, h["hold_id"]) is None,
                         False)
        self.assertGreater(self.r.cmd("TTL", "usher:{%s}:meta" % self.e), -2)

    def test_expired_hold_seat_can_be_taken_directly(self):
        self.make_event()
        self.hold(["S0-R0-1"], ttl_s=1)
        time.sleep(1.1)
        # the hold script itself sees the expired owner and takes the seat
        h = self.hold(["S0-R0-1"])
        self.assertEqual(self.r.cmd("HGET", "usher:{%s}:owner" % self.e, "S0-R0-1"),
                         h["hold_id"])

    def test_sweep_without_requests(self):
        self.make_event()
        h = self.hold(["S0-R0-1", "S0-R0-2", "S0-R0-3"], ttl_s=1)
        k = "usher:{%s}:" % self.e
        self.assertEqual(self.r.cmd("GETRANGE", k + "status", 0, 2), "hhh")
        deadline = time.time() + 5
        while time.time() < deadline:       # no API call touches the event
            if self.r.cmd("ZCARD", k + "expiry") == 0:
                break
            time.sleep(0.1)
        self.assertEqual(self.r.cmd("ZCARD", k + "expiry"), 0)
        self.assertEqual(self.r.cmd("HLEN", k + "owner"), 0)
        self.assertEqual(self.r.cmd("GETRANGE", k + "status", 0, 2), "...")
        self.assertIsNotNone(self.r.cmd("ZSCORE", k + "tombs", h["hold_id"]))
        # the record (MessagePack) starts with its state, a 7-byte string
        self.assertEqual(self.r.cmd("HGET", k + "holds", h["hold_id"])[:8], "\udca7expired")

    def test_functions_reload(self):
        self.make_event()
        self.assertEqual(self.r.cmd("FUNCTION", "FLUSH"), "OK")
        h = self.hold(["S0-R0-1"])
        st, _, _ = self.call("GET", self.ev("/holds/" + h["hold_id"]))
        self.assertEqual(st, 200)


class HolderLimit(Base):
    """max_seats_per_holder: live holds plus still-sold seats per holder."""

    def setUp(self):
        super().setUp()
        st, b, _ = self.call("PUT", self.ev(), harness.theatre(max_seats_per_holder=4))
        self.assertEqual(st, 201, b)

    def test_setting_shown(self):
        st, b, _ = self.call("GET", self.ev())
        self.assertEqual(b["max_seats_per_holder"], 4, b)
        self.assert_error(self.call("PUT", "/v1/events/%s-x" % self.e,
                                    harness.theatre(max_seats_per_holder=-1)),
                          400, "invalid_request")

    def test_limit_counts_live_and_sold_seats(self):
        a = self.hold(["S0-R0-1", "S0-R0-2", "S0-R0-3"], holder="alice")
        before = self.r.cmd("GET", "usher:{%s}:status" % self.e)
        err = self.assert_error(self.call("POST", self.ev("/holds"),
                                          {"seats": ["S0-R0-4", "S0-R0-5"], "holder": "alice"}),
                                409, "holder_limit")
        self.assertEqual(self.r.cmd("GET", "usher:{%s}:status" % self.e), before)
        # another holder is not affected; alice may still take one more
        self.hold(["S0-R0-4", "S0-R0-5"], holder="bob")
        b = self.hold(["S0-R0-6"], holder="alice")
        self.assert_error(self.call("POST", self.ev("/holds"),
                                    {"seats": ["S0-R0-7"], "holder": "alice"}), 409, "holder_limit")
        # a release gives the room back
        st, _, _ = self.call("DELETE", self.ev("/holds/" + b["hold_id"]))
        self.assertEqual(st, 204)
        c7 = self.hold(["S0-R0-7"], holder="alice")
        # sold seats keep counting ...
        st, r, _ = self.call("POST", self.ev("/holds/%s/reserve" % a["hold_id"]), {"order_id": "o-alice"})
        self.assertEqual(st, 200, r)
        self.assert_error(self.call("POST", self.ev("/holds"),
                                    {"seats": ["S0-R0-8"], "holder": "alice"}), 409, "holder_limit")
        # a change of alice's live hold counts too
        self.assert_error(self.call("POST", self.ev("/holds/%s/seats" % c7["hold_id"]),
                                    {"add": ["S0-R1-9"]}), 409, "holder_limit")
        st, c, _ = self.call("POST", self.ev("/holds/%s/seats" % c7["hold_id"]),
                             {"add": ["S0-R1-9"], "remove": ["S0-R0-7"]})
        self.assertEqual((st, c["seats"]), (200, ["S0-R1-9"]))
        # ... until refunded
        st, r, _ = self.call("POST", self.ev("/release"), {"seats": ["S0-R0-1", "S0-R0-2"]})
        self.assertEqual(st, 200, r)
        self.hold(["S0-R0-8", "S0-R0-9"], holder="alice")

    def test_expired_holds_stop_counting_at_once(self):
        self.hold(["S1-R0-1", "S1-R0-2", "S1-R0-3", "S1-R0-4"], holder="carol", ttl_s=1)
        self.assert_error(self.call("POST", self.ev("/holds"),
                                    {"seats": ["S1-R0-5"], "holder": "carol"}), 409, "holder_limit")
        time.sleep(1.1)
        self.hold(["S1-R0-5", "S1-R0-6", "S1-R0-7", "S1-R0-8"], holder="carol")

    def test_holder_required(self):
        self.assert_error(self.call("POST", self.ev("/holds"), {"seats": ["S1-R1-1"]}),
                          422, "holder_required")
        self.assertEqual(self.counts()["held"], 0)

    def test_concurrent_holds_cannot_slip_past(self):
        import threading
        codes = []

        def one(i):
            c = STACK.client()
            try:
                st, b, _ = c.request("POST", self.ev("/holds"),
                                     {"seats": ["S1-R2-%d" % (i + 1)], "holder": "dave"})
                codes.append(st)
            finally:
                c.close()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(sorted(codes), [201] * 4 + [409] * 6, codes)
        self.assertEqual(self.counts()["held"], 4)
        owners = self.r.cmd("HVALS", "usher:{%s}:owner" % self.e)
        self.assertEqual(len(owners), 4)


class Journal(Base):
    def journal(self):
        out = []
        for eid, fields in self.r.cmd("XRANGE", "usher:{%s}:journal" % self.e, "-", "+"):
            f = dict(zip(fields[::2], fields[1::2]))
            out.append((f["cause"], f["status"], f["seats"]))
            self.assertRegex(f["ts"], r"^\d{13}$")
        return out

    def test_every_change_is_journalled(self):
        self.make_event(hold_ttl_s=60, max_hold_ttl_s=100)
        h = self.hold(["S0-R0-1", "S0-R0-2"])
        self.call("POST", self.ev("/holds/%s/extend" % h["hold_id"]), {"ttl_s": 50})
        self.call("POST", self.ev("/holds/%s/reserve" % h["hold_id"]), {"order_id": "ord-x"})
        h2 = self.hold(["S0-R0-3"])
        self.assertEqual(self.call("DELETE", self.ev("/holds/" + h2["hold_id"]))[0], 204)
        self.call("POST", self.ev("/release"), {"seats": ["S0-R0-1"]})
        self.call("POST", self.ev("/block"), {"seats": ["S1-R0-1"]})
        self.call("POST", self.ev("/unblock"), {"seats": ["S1-R0-1"]})
        self.hold(["S0-R0-4"], ttl_s=1)
        # refused changes write nothing
        self.call("POST", self.ev("/holds"), {"seats": ["S0-R0-2"]})
        time.sleep(1.6)                       # the sweeper expires the last hold
        got = self.journal()
        self.assertEqual(got, [
            ("create", "", ""),
            ("hold", "held", "S0-R0-1 S0-R0-2"),
            ("extend", "held", "S0-R0-1 S0-R0-2"),
            ("reserve", "reserved", "S0-R0-1 S0-R0-2"),
            ("hold", "held", "S0-R0-3"),
            ("release", "available", "S0-R0-3"),
            ("admin_release", "available", "S0-R0-1"),
            ("block", "blocked", "S1-R0-1"),
            ("unblock", "available", "S1-R0-1"),
            ("hold", "held", "S0-R0-4"),
            ("expire", "available", "S0-R0-4"),
        ])
        raw = str(self.r.cmd("XRANGE", "usher:{%s}:journal" % self.e, "-", "+"))
        self.assertNotIn(h["hold_id"], raw)    # never hold or order ids
        self.assertNotIn("ord-x", raw)
        # replacing the map is journalled too (ids keep rising for readers)
        self.call("POST", self.ev("/release"), {"seats": ["S0-R0-2"]})
        self.assertEqual(self.call("PUT", self.ev(), harness.theatre())[0], 200)
        self.assertEqual(self.journal()[-2:], [("admin_release", "available", "S0-R0-2"),
                                              ("replace", "", "")])

    def test_journal_is_trimmed(self):
        self.make_event()
        self.r.cmd("HSET", "usher:{%s}:meta" % self.e, "journal_max", "100")
        for i in range(150):
            h = self.hold(["S0-R0-%d" % (i % 10 + 1)])
            self.call("DELETE", self.ev("/holds/" + h["hold_id"]))
        # 301 entries written; MAXLEN ~ trims whole stream nodes (100 entries)
        n = self.r.cmd("XLEN", "usher:{%s}:journal" % self.e)
        self.assertTrue(100 <= n <= 200, n)


class Hostile(Base):
    def raw(self, data, read=True):
        s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=5)
        try:
            s.sendall(data)
            if not read:
                return b""
            return harness.recv_until(s)
        finally:
            s.close()

    def test_garbage_and_server_survives(self):
        self.make_event()
        for data in (b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost", b"\x00\x01\x02\r\n\r\n",
                     b"POST " + self.ev("/holds").encode() +
                     b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"seats\":",
                     b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000 + b"\r\n\r\n"):
            self.raw(data, read=False)
        resp = self.raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertIn(b"200", resp.split(b"\r\n")[0])
        st, _, _ = self.call("GET", "/readyz")
        self.assertEqual(st, 200)
        self.assertEqual(self.counts()["held"], 0)

    def test_pipelined_requests(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        resp = self.raw(req * 3 + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(resp.count(b"HTTP/1.1 200"), 4)


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

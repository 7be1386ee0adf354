"""The waiting room (issue 19) against a real redis-server and two usherd
processes on it: the pre-queue shuffled at onsale_at, first come first
served after, the same ticket on a retry, admission derived alike by both
processes from Redis time, admission tokens checked on the hold path
(forged, expired, for another event, replayed past the seat budget,
under concurrency), sold_out when nothing is left, and the "auto" rate
slowing when holds fail. Every assertion on a hold also looks at Redis."""
import datetime
import threading
import time
import unittest
import uuid

import harness

ARGS, ARGV = harness.parse_args()
SECRET = "queue-test-secret-0123456789"
STACK = None
PORT_B = None


def setUpModule():
    global STACK, PORT_B
    STACK = harness.Stack(ARGS, ["--shed-latency", "0", "--queue-secret", SECRET]).start()
    PORT_B = STACK.add_usherd()


def tearDownModule():
    STACK.stop()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def spearman(xs, ys):
    """Rank correlation of two lists of distinct numbers."""
    n = len(xs)
    rx = {v: i for i, v in enumerate(sorted(xs))}
    ry = {v: i for i, v in enumerate(sorted(ys))}
    d2 = sum((rx[x] - ry[y]) ** 2 for x, y in zip(xs, ys))
    return 1 - 6 * d2 / (n * (n * n - 1))


class Base(unittest.TestCase):
    def setUp(self):
        self.a = STACK.client()
        self.b = harness.Client(PORT_B)
        self.r = STACK.redis()
        self.e = "q-" + uuid.uuid4().hex[:10]

    def tearDown(self):
        self.a.close()
        self.b.close()
        self.r.close()

    def ev(self, suffix="", event=None):
        return "/v1/events/%s%s" % (event or self.e, suffix)

    def put(self, onsale_in=0.0, rate=6000, session=600, seats=20, max_seats=4, event=None,
            **kw):
        q = {"onsale_at": iso(time.time() + onsale_in), "admit_per_min": rate,
             "session_s": session, "max_seats_per_admission": max_seats}
        body = {"name": "Q", "max_seats_per_hold": 10, "queue": q, "sections": [
            {"id": "S", "rows": [{"id": "A", "seats": [{"id": "A%d" % i}
                                                       for i in range(1, seats + 1)]}]}]}
        body.update(kw)
        st, b, _ = self.a.request("PUT", self.ev(event=event), body)
        self.assertEqual(st, 201, b)

    def join(self, c=None, headers=None, event=None):
        st, b, h = (c or self.a).request("POST", self.ev("/queue", event), None, headers)
        self.assertEqual(st, 201, b)
        return b

    def ticket(self, t, c=None):
        st, b, h = (c or self.a).request("GET", self.ev("/queue/" + t))
        self.assertEqual(st, 200, b)
        return b, h

    def admitted(self, t, c=None, wait=10):
        deadline = time.time() + wait
        while time.time() < deadline:
            b, _ = self.ticket(t, c)
            if b["status"] == "admitted":
                return b
            time.sleep(0.05)
        self.fail("ticket %s was not admitted: %r" % (t, b))

    def hold(self, seats, token=None, c=None, expect=201, code=None):
        st, b, _ = (c or self.a).request("POST", self.ev("/holds"), {"seats": seats},
                                         {"Admission": token} if token else None)
        self.assertEqual(st, expect, b)
        if code:
            self.assertEqual(b["error"]["code"], code, b)
        return b

    def status(self):
        return self.r.cmd("GET", "usher:{%s}:status" % self.e)


class Order(Base):
    def test_pre_queue_is_shuffled_and_later_joiners_queue_in_order(self):
        self.put(onsale_in=2.0, rate=1)         # admit slowly: positions stay put
        early = []
        for i in range(60):                      # both processes take joins
            b = self.join(self.a if i % 2 else self.b)
            self.assertEqual(b["status"], "waiting")
            self.assertNotIn("position", b)      # no place before the draw
            early.append(b["ticket"])
        time.sleep(max(0, 2.2))
        late = [self.join(self.b if i % 2 else self.a)["ticket"] for i in range(20)]
        pos = {t: self.ticket(t)[0]["position"] for t in early + late}
        self.assertEqual(sorted(pos.values()), list(range(1, 81)))
        # early arrival gives no edge: the pre-queue's order is a draw
        rho = spearman(list(range(60)), [pos[t] for t in early])
        self.assertLess(abs(rho), 0.6, rho)
        # after onsale_at: behind the pre-queue, first come first served
        self.assertEqual([pos[t] for t in late], list(range(61, 81)))
        # both processes answer alike
        for t in early[:10] + late[:5]:
            a, _ = self.ticket(t)
            b, _ = self.ticket(t, self.b)
            self.assertEqual((a["status"], a["position"]), (b["status"], b["position"]))

    def test_the_same_ticket_on_retry(self):
        self.put(onsale_in=30)
        k = {"Idempotency-Key": "join-" + uuid.uuid4().hex[:8]}
        one = self.join(headers=k)["ticket"]
        self.assertEqual(self.join(self.b, headers=k)["ticket"], one)
        other = self.join(headers={"Idempotency-Key": "join-other"})["ticket"]
        self.assertNotEqual(other, one)
        self.assertEqual(self.r.cmd("ZCARD", "usher:{%s}:queue" % self.e), 2)

    def test_waiting_clients_are_told_when_to_ask_again(self):
        self.put(onsale_in=0, rate=1)
        for _ in range(3):
            self.join()
        t = self.join()["ticket"]
        b, h = self.ticket(t)
        self.assertEqual(b["status"], "waiting")
        self.assertEqual(b["position"], 4)
        self.assertGreater(b["estimated_wait_s"], 60)
        self.assertGreaterEqual(int(h["retry-after"]), 1)
        self.assertLessEqual(int(h["retry-after"]), 30)
        st, b, _ = self.a.request("GET", self.ev("/queue/nobody"))
        self.assertEqual((st, b["error"]["code"]), (404, "ticket_not_found"))

    def test_routes_of_an_event_without_a_queue(self):
        st, b, _ = self.a.request("PUT", self.ev(), harness.theatre())
        self.assertEqual(st, 201, b)
        st, b, _ = self.a.request("POST", self.ev("/queue"))
        self.assertEqual((st, b["error"]["code"]), (404, "no_queue"))
        # and its holds need no admission
        st, b, _ = self.a.request("POST", self.ev("/holds"), {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 201, b)

    def test_settings_routes_refuse_what_they_cannot_do(self):
        st, b, _ = self.a.request("GET", self.ev("/queue"))
        self.assertEqual((st, b["error"]["code"]), (404, "event_not_found"))
        st, b, _ = self.a.request("PUT", self.ev("/queue"),
                                  {"onsale_at": iso(time.time()), "admit_per_min": 10})
        self.assertEqual((st, b["error"]["code"]), (404, "event_not_found"))
        self.put(onsale_in=0)
        # the sale is on: its start can no longer move
        st, b, _ = self.a.request("PUT", self.ev("/queue"),
                                  {"onsale_at": iso(time.time() + 3600), "admit_per_min": 10})
        self.assertEqual((st, b["error"]["code"]), (409, "queue_started"))
        self.assertEqual(self.r.cmd("HGET", "usher:{%s}:meta" % self.e, "q_rate"), "6000.000")

    def test_joining_before_the_room_opens(self):
        body = {"name": "Q", "queue": {"opens_at": iso(time.time() + 60),
                                       "onsale_at": iso(time.time() + 120), "admit_per_min": 10},
                "sections": [{"id": "S", "rows": [{"id": "A", "seats": [{"id": "A1"}]}]}]}
        st, b, _ = self.a.request("PUT", self.ev(), body)
        self.assertEqual(st, 201, b)
        st, b, _ = self.a.request("POST", self.ev("/queue"))
        self.assertEqual((st, b["error"]["code"]), (409, "queue_not_open"))
        self.assertEqual(self.r.cmd("ZCARD", "usher:{%s}:queue" % self.e), 0)


class Admission(Base):
    def test_holds_need_an_admission_and_one_process_checks_the_others(self):
        self.put()
        t = self.join()["ticket"]
        adm = self.admitted(t)
        self.assertIn("admission", adm)
        self.hold(["A1"], expect=403, code="admission_required")
        self.assertEqual(self.status(), "." * 20)
        # made by one usherd, accepted by the other
        self.hold(["A1", "A2"], adm["admission"], c=self.b)
        self.assertEqual(self.status()[:2], "hh")

    def test_forged_and_foreign_tokens(self):
        self.put()
        self.put(event=self.e + "-x")
        t = self.join()["ticket"]
        tok = self.admitted(t)["admission"]
        ticket, exp, mac = tok.split(".")
        forged = [".".join([ticket, str(int(exp) + 3600000), mac]),      # a longer session
                  ".".join([ticket, exp, ("A" if mac[0] != "A" else "B") + mac[1:]]),
                  "garbage", ticket]
        for f in forged:
            self.hold(["A1"], f, expect=403, code="admission_invalid")
        # a token of this event is no token of another
        st, b, _ = self.a.request("POST", self.ev("/holds", self.e + "-x"), {"seats": ["A1"]},
                                  {"Admission": tok})
        self.assertEqual((st, b["error"]["code"]), (403, "admission_invalid"))
        self.assertEqual(self.status(), "." * 20)

    def test_expired_admission(self):
        self.put(session=10)
        t = self.join()["ticket"]
        tok = self.admitted(t)["admission"]
        self.hold(["A1"], tok)
        time.sleep(10.3)
        b, _ = self.ticket(t)
        self.assertEqual(b["status"], "expired")
        self.assertNotIn("admission", b)
        self.hold(["A2"], tok, expect=403, code="admission_expired")
        self.assertEqual(self.status()[:2], "h.")

    def test_budget_under_concurrency(self):
        """One admission, 20 holds of one seat at once through both
        processes: exactly max_seats_per_admission (4) are held."""
        self.put(max_seats=4)
        tok = self.admitted(self.join()["ticket"])["admission"]
        results = []
        lock = threading.Lock()

        def grab(i):
            c = harness.Client(PORT_B if i % 2 else STACK.http_port)
            try:
                st, b, _ = c.request("POST", self.ev("/holds"), {"seats": ["A%d" % (i + 1)]},
                                     {"Admission": tok})
                with lock:
                    results.append((st, b))
            finally:
                c.close()

        threads = [threading.Thread(target=grab, args=(i,)) for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        ok = [b for st, b in results if st == 201]
        refused = [b for st, b in results if st != 201]
        self.assertEqual(len(ok), 4, results)
        self.assertTrue(all(b["error"]["code"] == "admission_limit" for b in refused), refused)
        self.assertEqual(self.status().count("h"), 4)
        # a released hold gives its seats back to the budget
        st, _, _ = self.a.request("DELETE", self.ev("/holds/" + ok[0]["hold_id"]))
        self.assertEqual(st, 204)
        free = self.status().index(".")
        self.hold(["A%d" % (free + 1)], tok)
        self.hold(["A%d" % (self.status().index(".") + 1)], tok, expect=409,
                  code="admission_limit")

    def test_a_change_keeps_to_the_budget(self):
        self.put(max_seats=3)
        tok = self.admitted(self.join()["ticket"])["admission"]
        h = self.hold(["A1", "A2"], tok)
        st, b, _ = self.a.request("POST", self.ev("/holds/%s/seats" % h["hold_id"]),
                                  {"add": ["A3", "A4"]})
        self.assertEqual((st, b["error"]["code"]), (409, "admission_limit"))
        st, b, _ = self.a.request("POST", self.ev("/holds/%s/seats" % h["hold_id"]),
                                  {"add": ["A3"]})
        self.assertEqual(st, 200, b)
        self.assertEqual(self.status()[:4], "hhh.")

    def test_a_rotated_secret_is_still_accepted(self):
        self.put()
        tok = self.admitted(self.join()["ticket"])["admission"]
        flags = STACK.usherd_flags
        STACK.usherd_flags = flags + ["--queue-secret", "a-new-queue-secret-987654",
                                      "--queue-secret-old", SECRET]
        try:
            port = STACK.add_usherd()
        finally:
            STACK.usherd_flags = flags
        c = harness.Client(port)
        try:
            self.hold(["A1"], tok, c=c)                  # the old secret's token
            t2 = self.join(c)["ticket"]
            b = self.admitted(t2, c)
            self.hold(["A2"], b["admission"], c=c)       # the new secret's
            # a usherd with only the old secret does not know the new one
            self.hold(["A3"], b["admission"], expect=403, code="admission_invalid")
        finally:
            c.close()


class Flow(Base):
    def test_sold_out_when_nothing_is_left(self):
        self.put(seats=2, max_seats=2, rate=60)
        first = self.join()["ticket"]
        waiting = [self.join()["ticket"] for _ in range(5)]
        tok = self.admitted(first)["admission"]
        h = self.hold(["A1", "A2"], tok)
        st, b, _ = self.a.request("POST", self.ev("/holds/%s/reserve" % h["hold_id"]),
                                  {"order_id": "o-1"})
        self.assertEqual(st, 200, b)
        deadline = time.time() + 8                     # the next update (every 2 s)
        while time.time() < deadline:
            b, h = self.ticket(waiting[-1], self.b)
            if b["status"] == "sold_out":
                break
            time.sleep(0.2)
        self.assertEqual(b["status"], "sold_out")
        self.assertNotIn("retry-after", h)
        st, s, _ = self.a.request("GET", self.ev("/queue"))
        self.assertEqual((st, s["state"]), (200, "sold_out"))
        self.assertEqual(self.r.cmd("HGET", "usher:{%s}:meta" % self.e, "q_state"), "sold_out")
        st, ev, _ = self.a.request("GET", self.ev())
        self.assertEqual(ev["queue"]["state"], "sold_out")

    def test_auto_rate_slows_when_holds_fail(self):
        self.put(rate="auto", seats=100, session=60, max_seats=2)
        toks = []
        for _ in range(12):
            toks.append(self.join()["ticket"])
        toks = [self.admitted(t)["admission"] for t in toks]
        self.hold(["A1"], toks[0])
        rate0 = self.wait_update()
        # eleven admitted buyers find only taken seats, again and again
        for _ in range(3):
            for tok in toks[1:]:
                self.hold(["A1"], tok, expect=409, code="seats_unavailable")
        rate1 = self.wait_update()
        if rate1 >= rate0 * 0.5:   # an update fell amid them: fewer than 10 were counted by it
            rate1 = self.wait_update()
        self.assertLess(rate1, rate0 * 0.5, (rate0, rate1))
        self.assertLess(float(self.r.cmd("HGET", "usher:{%s}:meta" % self.e, "q_p")), 0.2)

    def wait_update(self):
        """The rate after the next queue update."""
        k = "usher:{%s}:meta" % self.e
        before = self.r.cmd("HGET", k, "q_tick")
        deadline = time.time() + 8
        while time.time() < deadline and self.r.cmd("HGET", k, "q_tick") == before:
            time.sleep(0.1)
        self.assertNotEqual(self.r.cmd("HGET", k, "q_tick"), before)
        st, s, _ = self.a.request("GET", self.ev("/queue"))
        self.assertEqual(st, 200, s)
        return s["rate_per_min"]

    def test_settings_change_and_metrics(self):
        self.put(onsale_in=60, rate=10)
        for _ in range(3):
            self.join()
        st, b, _ = self.a.request("PUT", self.ev("/queue"),
                                  {"onsale_at": iso(time.time() + 120), "admit_per_min": 30})
        self.assertEqual(st, 200, b)
        self.assertEqual((b["rate_per_min"], b["joined"], b["waiting"]), (30.0, 3, 3))
        st, b, _ = self.a.request("PUT", self.ev("/queue"), {"onsale_at": "tomorrow"})
        self.assertEqual((st, b["error"]["code"]), (400, "invalid_request"))
        import urllib.request
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % STACK.http_port).read().decode()
        self.assertIn('usher_queue_waiting{event="%s"} 3' % self.e, text)
        self.assertIn('usher_queue_rate_per_minute{event="%s"} 30' % self.e, text)


class NoSecret(unittest.TestCase):
    def test_a_queue_needs_a_secret(self):
        stack = harness.Stack(ARGS).start()
        try:
            c = stack.client()
            body = {"name": "Q", "queue": {"onsale_at": iso(time.time()), "admit_per_min": 10},
                    "sections": [{"id": "S", "rows": [{"id": "A", "seats": [{"id": "A1"}]}]}]}
            st, b, _ = c.request("PUT", "/v1/events/nq", body)
            self.assertEqual((st, b["error"]["code"]), (422, "queue_not_configured"))
            for method, path, send in (("POST", "/v1/events/nq/queue", None),
                                       ("GET", "/v1/events/nq/queue/t1", None),
                                       ("PUT", "/v1/events/nq/queue", body["queue"])):
                st, b, _ = c.request(method, path, send)
                self.assertEqual((st, b["error"]["code"]), (422, "queue_not_configured"), path)
            r = stack.redis()
            self.assertEqual(r.cmd("EXISTS", "usher:{nq}:meta"), 0)
            r.close()
            c.close()
        finally:
            stack.stop()


if __name__ == "__main__":
    unittest.main(argv=ARGV)

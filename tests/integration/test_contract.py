"""The statuses every operation can answer, operation by operation, as
proto/openapi.yaml declares them (issue 13.7), against the real usherd and
redis-server: the wire layer's refusals (400 bad framing or Host, 413,
414, 431, 501, 505) on every route; 400 invalid_id on every route with an
id; 401 without a key, 403 for a checkout key on admin routes, 429 past a
rate limit, 503 with Redis gone, on every /v1 route; plus the answers of
single routes that no functional test reaches. Each answer is asserted
here (status and error code) and recorded for tests/spec/check_statuses.py,
which holds the spec to what the whole suite saw. Nothing here may change
Redis but the set-up."""
import json
import os
import re
import socket
import sys
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EV = "con"
CHECKOUT = "checkout-key-contract-0123"
ADMIN = "admin-key-contract-456789ab"


# A valid body per route that takes one: with it, a request gets past its
# own checks to Redis.
BODIES = {
    ("PUT", "/v1/events/{event}"): harness.theatre(),
    ("POST", "/v1/events/{event}/holds"): {"seats": ["S0-R0-1"]},
    ("POST", "/v1/events/{event}/holds/{hold}/extend"): {"ttl_s": 5},
    ("POST", "/v1/events/{event}/holds/{hold}/seats"): {"add": ["A-1"]},
    ("POST", "/v1/events/{event}/holds/{hold}/reserve"): {"order_id": "ord-c"},
    ("POST", "/v1/events/{event}/release"): {"seats": ["S0-R0-1"]},
    ("POST", "/v1/events/{event}/block"): {"seats": ["S0-R0-1"]},
    ("POST", "/v1/events/{event}/unblock"): {"seats": ["S0-R0-1"]},
    ("PUT", "/v1/events/{event}/queue"): {"onsale_at": "2030-01-01T00:00:00Z", "admit_per_min": 60},
}


def routes():
    """(method, pattern) of every route of server/routes.c's table."""
    with open(os.path.join(ROOT, "server", "routes.c")) as f:
        return re.findall(r'\{"([A-Z]+)",\s+"(/[^"]*)"', f.read())


def concrete(pattern, hold="h-none", order="ord-none", bad=None):
    """The pattern with real ids; `bad` replaces the id parameter named."""
    ids = {"event": EV, "hold": hold, "order": order, "ticket": "t-none"}
    if bad:
        ids[bad] = "a%7Bb"          # "a{b}": not an id
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], pattern)


def raw(port, data, timeout=3):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        return harness.recv_until(s, lambda g: b"}}" in g)
    finally:
        s.close()


def answer(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", head)
    code = json.loads(body)["error"]["code"] if body.strip().startswith(b"{") else None
    return (int(m.group(1)) if m else None), code


class WireRefusals(unittest.TestCase):
    """Refused from the head, before routing: on every route alike."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(ARGS).start()
        c = cls.stack.client()
        st, b, _ = c.request("PUT", "/v1/events/" + EV, harness.theatre())
        assert st == 201, b
        c.close()
        r = cls.stack.redis()
        cls.before = r.cmd("GET", "usher:{%s}:status" % EV)
        r.close()

    @classmethod
    def tearDownClass(cls):
        r = cls.stack.redis()
        after = r.cmd("GET", "usher:{%s}:status" % EV)
        r.close()
        cls.stack.stop()
        assert after == cls.before, "a refusal changed Redis"

    def sweep(self, make, status, code):
        for method, pattern in routes():
            path = concrete(pattern).encode()
            resp = raw(self.stack.http_port, make(method.encode(), path))
            self.assertEqual(answer(resp), (status, code), (method, pattern, resp[:300]))
            harness.observe(method, pattern, status)

    def test_bad_host_is_400(self):
        self.sweep(lambda m, p: m + b" " + p + b" HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid_request")

    def test_content_length_past_the_route_is_413(self):
        self.sweep(lambda m, p: m + b" " + p + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 40000000\r\n\r\n",
                   413, "body_too_large")

    def test_long_target_is_414(self):
        self.sweep(lambda m, p: m + b" " + p + b"?" + b"q" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                   414, "uri_too_long")

    def test_many_fields_are_431(self):
        fields = b"".join(b"X-%d: 1\r\n" % i for i in range(70))
        self.sweep(lambda m, p: m + b" " + p + b" HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n",
                   431, "headers_too_large")

    def test_other_codings_are_501(self):
        self.sweep(lambda m, p: m + b" " + p + b" HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501, "unsupported_transfer_coding")

    def test_other_versions_are_505(self):
        self.sweep(lambda m, p: m + b" " + p + b" HTTP/2.0\r\nHost: x\r\n\r\n",
                   505, "http_version_not_supported")

    def test_bad_ids_are_400(self):
        c = self.stack.client()
        try:
            for method, pattern in routes():
                for name in re.findall(r"\{(\w+)\}", pattern):
                    st, b, _ = c.request(method, concrete(pattern, bad=name),
                                         BODIES.get((method, pattern)))
                    self.assertEqual((st, b["error"]["code"]), (400, "invalid_id"),
                                     (method, pattern, name, b))
        finally:
            c.close()


class Guarded(unittest.TestCase):
    """Every /v1 route: 401 without a key, 403 for a checkout key on an
    admin route, 429 past the address's rate, 503 with Redis gone."""

    def v1_routes(self):
        return [(m, p) for m, p in routes() if p.startswith("/v1/")]

    def request_all(self, stack, headers=None, only=None):
        c = stack.client()
        got = {}
        try:
            for method, pattern in only or self.v1_routes():
                st, b, h = c.request(method, concrete(pattern), BODIES.get((method, pattern)), headers)
                got[(method, pattern)] = (st, b["error"]["code"] if b and "error" in b else None, h)
        finally:
            c.close()
        return got

    def test_keys_and_roles(self):
        keys = os.path.join(os.environ.get("TMPDIR", "/tmp"), "usher-contract-keys-%d" % os.getpid())
        with open(keys, "w") as f:
            f.write("checkout:%s\nadmin:%s\n" % (CHECKOUT, ADMIN))
        stack = harness.Stack(ARGS, ["--keys", keys]).start()
        try:
            for op, (st, code, h) in self.request_all(stack).items():
                self.assertEqual((st, code), (401, "unauthorized"), op)
                self.assertIn("Bearer", h.get("www-authenticate", ""))
            admin = [(m, p) for m, p in self.v1_routes()
                     if (m, p) in {("PUT", "/v1/events/{event}"), ("DELETE", "/v1/events/{event}"),
                                   ("POST", "/v1/events/{event}/release"),
                                   ("POST", "/v1/events/{event}/block"),
                                   ("POST", "/v1/events/{event}/unblock"),
                                   ("PUT", "/v1/events/{event}/queue")}]
            self.assertEqual(len(admin), 6)
            got = self.request_all(stack, {"Authorization": "Bearer " + CHECKOUT}, admin)
            for op, (st, code, _) in got.items():
                self.assertEqual((st, code), (403, "forbidden"), op)
        finally:
            stack.stop()
            os.unlink(keys)

    def test_rate_limited(self):
        stack = harness.Stack(ARGS, ["--ip-rate", "0.001:1"]).start()
        try:
            c = stack.client()
            st, _, _ = c.request("GET", "/v1/events")       # the one token
            c.close()
            self.assertEqual(st, 200)
            for op, (st, code, h) in self.request_all(stack).items():
                self.assertEqual((st, code), (429, "rate_limited"), op)
                self.assertGreaterEqual(int(h["retry-after"]), 1)
        finally:
            stack.stop()

    def test_redis_gone(self):
        # with a queue secret, the waiting-room routes need Redis too
        stack = harness.Stack(ARGS, ["--queue-secret", "contract-test-queue-secret"]).start()
        try:
            stack.stop_redis()
            deadline = time.time() + 10
            while time.time() < deadline:   # usherd notices the lost connection
                c = stack.client()
                st, _, _ = c.request("GET", "/readyz")
                c.close()
                if st == 503:
                    break
                time.sleep(0.05)
            self.assertEqual(st, 503)
            for op, (st, code, h) in self.request_all(stack).items():
                self.assertEqual((st, code), (503, "redis_unavailable"), op)
                self.assertEqual(h.get("retry-after"), "1", op)
        finally:
            stack.stop()


class SingleRoutes(unittest.TestCase):
    """Answers of one route each that the functional tests do not reach:
    the admin seat routes on an unknown event and with unknown seats."""

    def test_admin_seat_routes_unknown_event_and_seats(self):
        stack = harness.Stack(ARGS).start()
        c = stack.client()
        try:
            st, b, _ = c.request("PUT", "/v1/events/" + EV, harness.theatre())
            self.assertEqual(st, 201, b)
            for action in ("release", "block", "unblock"):
                st, b, _ = c.request("POST", "/v1/events/none/" + action, {"seats": ["S0-R0-1"]})
                self.assertEqual((st, b["error"]["code"]), (404, "event_not_found"), action)
                st, b, _ = c.request("POST", "/v1/events/%s/%s" % (EV, action), {"seats": ["S0-R0-1", "nope"]})
                self.assertEqual((st, b["error"]["code"], b["error"]["seats"]), (422, "unknown_seats", ["nope"]),
                                 action)
                st, b, _ = c.request("POST", "/v1/events/%s/%s" % (EV, action), {"seats": []})
                self.assertEqual((st, b["error"]["code"]), (422, "invalid_seat_count"), action)
            r = stack.redis()
            self.assertEqual(r.cmd("GET", "usher:{%s}:status" % EV), "." * 60)
            r.close()
        finally:
            c.close()
            stack.stop()


def main():
    prog = unittest.main(argv=ARGV, verbosity=2, exit=False)
    raise SystemExit(0 if prog.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()

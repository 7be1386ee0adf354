"""Admission control against the real usherd and redis-server: API keys and
roles (401/403, constant answers, the stream's access_token), the separate
admin listener, token buckets per address and per key (429 + Retry-After),
load shedding while Redis work piles up (503 overloaded, at once), and the
refusals counted in /metrics. Every refusal is checked to change nothing in
Redis."""
import os
import re
import signal
import socket
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()

CHECKOUT = "ck-0123456789abcdef"
CHECKOUT2 = "ck-fedcba9876543210"
ADMIN = "ad-0123456789abcdef"


def bearer(key):
    return {"Authorization": "Bearer " + key}


def refused(test, st, b, h, status, code):
    test.assertEqual(st, status, b)
    test.assertEqual(b["error"]["code"], code, b)
    test.assertIn("message", b["error"])


class Keys(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.admin_port = harness.free_port()
        cls.keyfile = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                   "usher-keys-%d" % os.getpid())
        with open(cls.keyfile, "w") as f:
            f.write("# test keys\ncheckout:%s\n\n  admin:%s  # ops\ncheckout:%s\n" %
                    (CHECKOUT, ADMIN, CHECKOUT2))
        cls.stack = harness.Stack(ARGS, ["--keys", cls.keyfile,
                                         "--admin-listen", "127.0.0.1:%d" % cls.admin_port])
        cls.stack.start_redis()
        cls.stack.start_usherd(wait_ready=False)
        cls.stack.wait_ready()
        cls.c = cls.stack.client()
        st, b, _ = cls.c.request("PUT", "/v1/events/g", harness.theatre(), headers=bearer(ADMIN))
        assert st == 201, b

    @classmethod
    def tearDownClass(cls):
        cls.c.close()
        cls.stack.stop()
        os.unlink(cls.keyfile)

    def seats(self):
        r = self.stack.redis()
        try:
            return r.cmd("GET", "usher:{g}:status")
        finally:
            r.close()

    def test_no_key_is_401_and_changes_nothing(self):
        before = self.seats()
        st, b, h = self.c.request("POST", "/v1/events/g/holds",
                                  {"seats": ["S0-R0-1"], "holder": "x"})
        refused(self, st, b, h, 401, "unauthorized")
        self.assertIn("Bearer", h.get("www-authenticate", ""))
        self.assertEqual(self.seats(), before)
        for path in ("/v1/events", "/v1/events/g", "/v1/events/g/seats"):
            st, b, h = self.c.request("GET", path)
            refused(self, st, b, h, 401, "unauthorized")

    def test_wrong_keys_are_401(self):
        for auth in ("Bearer " + CHECKOUT[:-1], "Bearer " + CHECKOUT + "x",
                     "Basic " + CHECKOUT, "Bearer", CHECKOUT, "Bearer " + "x" * 5000):
            st, b, h = self.c.request("GET", "/v1/events/g", headers={"Authorization": auth})
            refused(self, st, b, h, 401, "unauthorized")

    def test_checkout_key_buys_but_cannot_administer(self):
        st, b, _ = self.c.request("POST", "/v1/events/g/holds",
                                  {"seats": ["S0-R0-2"], "holder": "k"}, headers=bearer(CHECKOUT))
        self.assertEqual(st, 201, b)
        hold = b["hold_id"]
        st, b, _ = self.c.request("GET", "/v1/events/g/holds/" + hold, headers=bearer(CHECKOUT))
        self.assertEqual(st, 200, b)
        before = self.seats()
        for method, path, body in (
                ("PUT", "/v1/events/g2", harness.theatre()),
                ("DELETE", "/v1/events/g", None),
                ("POST", "/v1/events/g/block", {"seats": ["S0-R0-3"]}),
                ("POST", "/v1/events/g/unblock", {"seats": ["S0-R0-3"]}),
                ("POST", "/v1/events/g/release", {"seats": ["S0-R0-3"]})):
            st, b, h = self.c.request(method, path, body, headers=bearer(CHECKOUT))
            refused(self, st, b, h, 403, "forbidden")
        self.assertEqual(self.seats(), before)
        st, b, _ = self.c.request("DELETE", "/v1/events/g/holds/" + hold, headers=bearer(CHECKOUT))
        self.assertEqual(st, 204, b)

    def test_admin_key_administers(self):
        st, b, _ = self.c.request("POST", "/v1/events/g/block", {"seats": ["S1-R0-1"]},
                                  headers=bearer(ADMIN))
        self.assertEqual(st, 200, b)
        st, b, _ = self.c.request("POST", "/v1/events/g/unblock", {"seats": ["S1-R0-1"]},
                                  headers={"Authorization": "bearer " + ADMIN})
        self.assertEqual(st, 200, b)

    def test_open_routes_stay_open(self):
        for path in ("/healthz", "/readyz", "/metrics", "/ops/", "/ops/events/g"):
            c = self.stack.client()
            c.conn.request("GET", path)
            resp = c.conn.getresponse()
            resp.read()
            c.close()
            self.assertEqual(resp.status, 200, path)

    def test_stream_takes_access_token(self):
        for token, want in ((CHECKOUT, 200), ("nope-nope-nope-nope", 401)):
            s = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=5)
            s.sendall(("GET /v1/events/g/stream?access_token=%s HTTP/1.1\r\n"
                       "Host: x\r\n\r\n" % token).encode())
            head = harness.recv_until(s, lambda got: b"\r\n\r\n" in got)
            s.close()
            self.assertTrue(head.startswith(b"HTTP/1.1 %d" % want), head[:200])

    def test_access_token_only_on_the_stream_and_never_admin(self):
        """Keys in URLs end up in proxy logs, browser history and Referer
        headers (issue 13.3): ?access_token= is taken on the stream route
        only, and never an admin key; elsewhere it is 401 and does
        nothing."""
        before = self.seats()
        for method, path, body in (
                ("PUT", "/v1/events/g-url", harness.theatre()),
                ("DELETE", "/v1/events/g", None),
                ("POST", "/v1/events/g/block", {"seats": ["S0-R0-9"]}),
                ("POST", "/v1/events/g/holds", {"seats": ["S0-R0-9"], "holder": "u"}),
                ("GET", "/v1/events/g", None), ("GET", "/v1/events/g/seats", None),
                ("GET", "/v1/events", None)):
            for key in (ADMIN, CHECKOUT):
                st, b, h = self.c.request(method, path + "?access_token=" + key, body)
                refused(self, st, b, h, 401, "unauthorized")
                self.assertIn("access_token", b["error"]["message"])
                self.assertIn("Bearer", h.get("www-authenticate", ""))
        self.assertEqual(self.seats(), before)
        r = self.stack.redis()
        try:
            self.assertEqual(r.cmd("EXISTS", "usher:{g-url}:meta"), 0)
            self.assertEqual(r.cmd("EXISTS", "usher:{g}:meta"), 1)
        finally:
            r.close()
        # the stream takes a checkout key from the URL, never an admin one
        for token, want in ((CHECKOUT, b"HTTP/1.1 200"), (ADMIN, b"HTTP/1.1 401")):
            s = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=5)
            s.sendall(("GET /v1/events/g/stream?access_token=%s HTTP/1.1\r\n"
                       "Host: x\r\n\r\n" % token).encode())
            got = harness.recv_until(s, lambda g: b"\r\n\r\n" in g and
                                     (b"event: counts" in g or b"}}" in g))
            s.close()
            self.assertTrue(got.startswith(want), got[:300])
        self.assertIn(b"never taken from the URL", got)

    def test_idempotency_key_is_scoped_by_api_key(self):
        """Issue 13.4: a replay is scoped by the API key (and the holder),
        so another caller who learns or guesses the key and the seats gets
        no hold and no hold id; the stored scope names the key by its
        digest, never the key."""
        import hashlib
        hdr = dict(bearer(CHECKOUT), **{"Idempotency-Key": "cart-81"})
        body = {"seats": ["S1-R2-1"], "holder": "buyer-7"}
        st, h, _ = self.c.request("POST", "/v1/events/g/holds", body, headers=hdr)
        self.assertEqual(st, 201, h)
        for key in (CHECKOUT2, ADMIN):
            st, b, _ = self.c.request("POST", "/v1/events/g/holds", body,
                                      headers=dict(bearer(key), **{"Idempotency-Key": "cart-81"}))
            refused(self, st, b, None, 409, "seats_unavailable")
            self.assertNotIn(h["hold_id"], str(b))
        st, again, _ = self.c.request("POST", "/v1/events/g/holds", body, headers=hdr)
        self.assertEqual((st, again["hold_id"]), (201, h["hold_id"]))
        r = self.stack.redis()
        try:
            fields = r.cmd("HKEYS", "usher:{g}:idem")
            self.assertEqual(r.cmd("HGET", "usher:{g}:owner", "S1-R2-1"), h["hold_id"])
        finally:
            r.close()
        kid = hashlib.sha256(CHECKOUT.encode()).hexdigest()[:16]
        self.assertEqual(fields, ["%s|buyer-7|cart-81" % kid])
        st, _, _ = self.c.request("DELETE", "/v1/events/g/holds/" + h["hold_id"], headers=bearer(CHECKOUT))
        self.assertEqual(st, 204)

    def test_keys_never_logged(self):
        self.c.request("GET", "/v1/events/g", headers=bearer(CHECKOUT))
        self.c.request("GET", "/v1/events/g", headers=bearer(ADMIN + "zz"))
        log = self.stack.log_tail()
        self.assertIn("3 API keys loaded", log)
        self.assertNotIn(CHECKOUT, log)
        self.assertNotIn(ADMIN, log)

    def test_admin_listener_serves_only_open_routes(self):
        c = harness.Client(self.admin_port)
        try:
            for path in ("/healthz", "/readyz"):
                st, _, _ = c.request("GET", path)
                self.assertEqual(st, 200, path)
            c.conn.request("GET", "/metrics")
            resp = c.conn.getresponse()
            self.assertIn(b"usher_requests_refused_total", resp.read())
            st, b, _ = c.request("GET", "/v1/events/g", headers=bearer(ADMIN))
            refused(self, st, b, {}, 404, "not_found")
        finally:
            c.close()

    def test_refusals_counted(self):
        self.c.request("GET", "/v1/events/g")
        self.c.conn.request("GET", "/metrics")
        text = self.c.conn.getresponse().read().decode()
        m = re.search(r'usher_requests_refused_total\{reason="unauthorized"\} (\d+)', text)
        self.assertTrue(m and int(m.group(1)) >= 1, text[-2000:])


class Startup(unittest.TestCase):
    def run_usherd(self, flags, env=None):
        import subprocess
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([ARGS.usherd, "--listen", "127.0.0.1:%d" % harness.free_port(),
                            "--redis", "redis://127.0.0.1:1"] + flags,
                           env=e, capture_output=True, timeout=10)
        return p.returncode, p.stderr.decode()

    def test_bad_key_files_exit_2(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "usher-badkeys-%d" % os.getpid())
        try:
            for text, why in (("root:0123456789abcdef0\n", "role must be"),
                              ("checkout:short\n", "16 to 255"),
                              ("checkout 0123456789abcdef0\n", "expected role:key")):
                with open(path, "w") as f:
                    f.write(text)
                rc, err = self.run_usherd(["--keys", path])
                self.assertEqual(rc, 2, err)
                self.assertIn(why, err)
                self.assertNotIn("0123456789abcdef0", err)
        finally:
            os.unlink(path)
        rc, err = self.run_usherd(["--keys", "/nonexistent/keys"])
        self.assertEqual(rc, 2, err)
        rc, err = self.run_usherd([], {"USHER_KEYS": "admin:tiny"})
        self.assertEqual(rc, 2, err)
        for flag, bad in (("--ip-rate", "-1"), ("--key-rate", "5:0"), ("--max-inflight", "x"),
                          ("--trusted-proxies", "lb.example.com"), ("--trusted-proxies", "10.0.0.0/40"),
                          ("--admin-listen", "nohost")):
            rc, err = self.run_usherd([flag, bad])
            self.assertEqual(rc, 2, (flag, err))


class NoKeys(unittest.TestCase):
    def test_loud_warning_and_open(self):
        stack = harness.Stack(ARGS).start()
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/o", harness.theatre())
            self.assertEqual(st, 201, b)
            c.close()
            self.assertIn("NO API KEYS CONFIGURED", stack.log_tail())
        finally:
            stack.stop()


class EnvKeysAndRates(unittest.TestCase):
    def test_key_bucket_and_address_bucket(self):
        os.environ["USHER_KEYS"] = "admin:%s,checkout:%s" % (ADMIN, CHECKOUT)
        try:
            stack = harness.Stack(ARGS, ["--key-rate", "2:5"]).start()
        finally:
            del os.environ["USHER_KEYS"]
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/r", harness.theatre(), headers=bearer(ADMIN))
            self.assertEqual(st, 201, b)
            codes = [c.request("GET", "/v1/events/r", headers=bearer(CHECKOUT))[0]
                     for _ in range(12)]
            self.assertEqual(codes[:5], [200] * 5, codes)   # the burst
            self.assertIn(429, codes)
            st, b, h = c.request("GET", "/v1/events/r", headers=bearer(CHECKOUT))
            refused(self, st, b, h, 429, "rate_limited")
            self.assertGreaterEqual(int(h["retry-after"]), 1)
            # the other key has a bucket of its own
            st, b, _ = c.request("GET", "/v1/events/r", headers=bearer(ADMIN))
            self.assertEqual(st, 200, b)
            time.sleep(1.1)     # 2 tokens a second come back
            st, b, _ = c.request("GET", "/v1/events/r", headers=bearer(CHECKOUT))
            self.assertEqual(st, 200, b)
            c.close()
        finally:
            stack.stop()

        stack = harness.Stack(ARGS, ["--ip-rate", "1:3"]).start()
        try:
            c = stack.client()
            codes = [c.request("GET", "/v1/events")[0] for _ in range(6)]
            self.assertEqual(codes[:3], [200] * 3, codes)
            self.assertEqual(codes[3:], [429] * 3, codes)
            # health and metrics are never limited
            self.assertEqual(c.request("GET", "/healthz")[0], 200)
            # X-Forwarded-For from a peer that is not a trusted proxy: ignored
            st, _, _ = c.request("GET", "/v1/events", headers={"X-Forwarded-For": "203.0.113.9"})
            self.assertEqual(st, 429)
            c.close()
        finally:
            stack.stop()

    def test_address_bucket_behind_a_trusted_proxy(self):
        """Behind a load balancer (127.0.0.1 trusted), each buyer's address
        from X-Forwarded-For has its own bucket; what a client wrote to the
        left of the proxy's entry is not believed; the access log names
        the buyer."""
        import json
        import tempfile
        log = os.path.join(tempfile.mkdtemp(prefix="usher-xff-"), "access.log")
        stack = harness.Stack(ARGS, ["--ip-rate", "1:3", "--trusted-proxies", "127.0.0.1,10.0.0.0/8",
                                     "--access-log", log]).start()
        try:
            c = stack.client()
            xff = lambda v: {"X-Forwarded-For": v}
            a = [c.request("GET", "/v1/events", headers=xff("203.0.113.5"))[0] for _ in range(4)]
            self.assertEqual(a, [200, 200, 200, 429], a)
            # another buyer through the same balancer: a bucket of its own
            self.assertEqual(c.request("GET", "/v1/events", headers=xff("203.0.113.6"))[0], 200)
            # a client spoofing the header's left part is still 203.0.113.5,
            # also through a second (trusted) proxy hop
            st, b, h = c.request("GET", "/v1/events",
                                 headers=xff("198.51.100.1, 203.0.113.5, 10.1.2.3"))
            refused(self, st, b, h, 429, "rate_limited")
            # no header from the balancer: the balancer itself is the client
            self.assertEqual(c.request("GET", "/v1/events")[0], 200)
            c.close()
            self.assertEqual(stack.stop_usherd(), 0)
        finally:
            stack.stop()
        with open(log) as f:
            clients = [json.loads(l)["client"] for l in f if "/readyz" not in l]
        self.assertEqual(clients[:5], ["203.0.113.5"] * 4 + ["203.0.113.6"], clients)
        self.assertEqual(clients[5], "203.0.113.5")
        self.assertRegex(clients[6], r"^127\.0\.0\.1:\d+$")


class Shedding(unittest.TestCase):
    def test_overload_is_shed_at_once(self):
        stack = harness.Stack(ARGS, ["--max-inflight", "4", "--redis-timeout", "3s"]).start()
        socks = []
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/s", harness.theatre())
            self.assertEqual(st, 201, b)
            st, b, _ = c.request("POST", "/v1/events/s/holds", {"seats": ["S1-R1-1"]})
            self.assertEqual(st, 201, b)
            hold = b["hold_id"]
            os.kill(stack.redis_proc.pid, signal.SIGSTOP)
            # four requests park waiting for Redis ...
            for i in range(4):
                s = socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
                s.sendall(b"GET /v1/events/s HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
            time.sleep(0.3)
            # ... and the next ones are refused without waiting
            for _ in range(3):
                t = time.time()
                st, b, h = c.request("POST", "/v1/events/s/holds",
                                     {"seats": ["S0-R0-1"], "holder": "h"})
                took = time.time() - t
                refused(self, st, b, h, 503, "overloaded")
                self.assertEqual(h.get("retry-after"), "1")
                self.assertLess(took, 0.5)
            self.assertEqual(c.request("GET", "/healthz")[0], 200)
            # ... but a release of an existing hold finishes work begun: it
            # gets twice the room, so it waits for Redis instead
            rel = socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
            rel.sendall(b"DELETE /v1/events/s/holds/%s HTTP/1.1\r\nHost: x\r\n\r\n" %
                        hold.encode())
            rel.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                rel.recv(4096)
            rel.settimeout(10)
            os.kill(stack.redis_proc.pid, signal.SIGCONT)
            data = rel.recv(4096)
            rel.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 204"), data[:200])
            for s in socks:
                data = s.recv(4096)
                self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:100])
            st, b, _ = c.request("POST", "/v1/events/s/holds",
                                 {"seats": ["S0-R0-1"], "holder": "h"})
            self.assertEqual(st, 201, b)
            r = stack.redis()
            try:
                # the shed holds changed nothing: exactly one hold exists
                self.assertEqual(r.cmd("HLEN", "usher:{s}:holds"), 1)
            finally:
                r.close()
            c.conn.request("GET", "/metrics")
            text = c.conn.getresponse().read().decode()
            m = re.search(r'usher_requests_refused_total\{reason="overloaded"\} (\d+)', text)
            self.assertEqual(int(m.group(1)), 3, text[-1500:])
            c.close()
        finally:
            for s in socks:
                s.close()
            stack.stop()

    def test_retry_after_grows_while_most_are_shed(self):
        """One request let through and dozens shed in a second: the shed
        are told to come back later than 1 s (the ratio, at most 10 s), so
        they do not all knock again every second."""
        stack = harness.Stack(ARGS, ["--max-inflight", "1", "--shed-latency", "0",
                                     "--redis-timeout", "5s"]).start()
        park = None
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/s", harness.theatre())
            self.assertEqual(st, 201, b)
            os.kill(stack.redis_proc.pid, signal.SIGSTOP)
            park = socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
            park.sendall(b"GET /v1/events/s HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(0.2)
            seen = []
            deadline = time.time() + 2.5
            while time.time() < deadline:
                st, b, h = c.request("POST", "/v1/events/s/holds", {"seats": ["S0-R0-1"]})
                refused(self, st, b, h, 503, "overloaded")
                seen.append(int(h.get("retry-after")))
                time.sleep(0.02)
            self.assertEqual(seen[0], 1)
            self.assertEqual(seen[-1], 10, seen)
            os.kill(stack.redis_proc.pid, signal.SIGCONT)
            self.assertTrue(park.recv(4096).startswith(b"HTTP/1.1 200"))
            c.conn.request("GET", "/metrics")     # an open route: no new window
            text = c.conn.getresponse().read().decode()
            self.assertIn("\nusher_shed_retry_after_seconds 10\n", text)
            c.close()
        finally:
            if park:
                park.close()
            os.kill(stack.redis_proc.pid, signal.SIGCONT)
            stack.stop()

    def test_limit_shrinks_when_answers_are_slow(self):
        stack = harness.Stack(ARGS, ["--max-inflight", "40", "--shed-latency", "5ms",
                                     "--redis-timeout", "3s"]).start()
        socks = []
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/s", harness.theatre())
            self.assertEqual(st, 201, b)

            def limit():
                c.conn.request("GET", "/metrics")
                text = c.conn.getresponse().read().decode()
                return int(re.search(r"\nusher_inflight_limit (\d+)\n", text).group(1))

            time.sleep(0.06)          # the PUT's window (slow, maybe) closes
            self.assertEqual(c.request("GET", "/v1/events/s")[0], 200)
            before = limit()
            self.assertLessEqual(before, 40)
            os.kill(stack.redis_proc.pid, signal.SIGSTOP)
            for i in range(10):       # ten reads wait 0.3 s for Redis
                s = socket.create_connection(("127.0.0.1", stack.http_port), timeout=10)
                s.sendall(b"GET /v1/events/s HTTP/1.1\r\nHost: x\r\n\r\n")
                socks.append(s)
            time.sleep(0.3)
            os.kill(stack.redis_proc.pid, signal.SIGCONT)
            for s in socks:
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
            time.sleep(0.06)          # the 50 ms window closes at the next request
            self.assertEqual(c.request("GET", "/v1/events/s")[0], 200)
            after = limit()
            self.assertLessEqual(after, before * 0.8 + 1)   # less a fifth
            self.assertLess(after, before)
            c.close()
        finally:
            for s in socks:
                s.close()
            stack.stop()


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

"""A bad-input battery against the real usherd and redis-server: malformed
and truncated HTTP, pipelined garbage, huge headers and URIs, chunked
bodies with lying sizes, NUL bytes, invalid UTF-8, deep JSON, numbers out
of range, ids with braces or path separators, unknown fields, slow-loris
clients; and the wire layer's own promises (pipelining in order, HTTP/1.0
keep-alive, Expect: 100-continue, half-closed clients, --max-connections).
Each bad request gets the right 4xx with usherd's JSON error and a stable
code, nothing changes in Redis, and the server stays healthy."""
import json
import os
import re
import signal
import socket
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()
STACK = None
EV = "hostile"


def raw(data, timeout=3):
    """Sends bytes on a fresh connection; returns what came back until the
    server closed or went quiet."""
    s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=timeout)
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return harness.recv_until(s)
    finally:
        s.close()


def status_of(resp):
    line = resp.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def body_of(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    return json.loads(body) if body.strip() else None


class Hostile(unittest.TestCase):

    def setUp(self):
        r = STACK.redis()
        self.before = (r.cmd("GET", "usher:{%s}:status" % EV), r.cmd("HLEN", "usher:{%s}:holds" % EV))
        r.close()

    def tearDown(self):
        # nothing changed, and the server still answers
        r = STACK.redis()
        after = (r.cmd("GET", "usher:{%s}:status" % EV), r.cmd("HLEN", "usher:{%s}:holds" % EV))
        r.close()
        self.assertEqual(after, self.before, "bad input changed Redis")
        c = STACK.client()
        st, _, _ = c.request("GET", "/readyz")
        c.close()
        self.assertEqual(st, 200, "server unhealthy after bad input")
        self.assertIsNone(STACK.usherd_proc.poll(), "usherd died")

    def post(self, path, body_bytes, headers=b""):
        return raw(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n" %
                   len(body_bytes) + headers + b"Connection: close\r\n\r\n" + body_bytes)

    def assert_json_error(self, resp, status, code):
        self.assertEqual(status_of(resp), status, resp[:300])
        b = body_of(resp)
        self.assertEqual(b["error"]["code"], code, b)
        self.assertTrue(b["error"]["message"])

    HOLDS = ("/v1/events/%s/holds" % EV).encode()

    def test_malformed_request_lines(self):
        for data in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/1\r\nHost: x\r\n\r\n", b"GET / http/1.1\r\nHost: x\r\n\r\n",
                     b"\x00\x01\x02\x03\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n",
                     b"G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: x\r\n\r\n",
                     b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n{}"):
            self.assert_json_error(raw(data), 400, "invalid_request")

    def test_truncated_requests(self):
        for data in (b"GET /healthz HTTP/1.1\r\nHost", b"POST " + self.HOLDS +
                     b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"seats\":"):
            self.assertEqual(raw(data, timeout=2)[:12].split(b" ")[0] in (b"", b"HTTP/1.1"), True)

    def test_pipelined_garbage_after_a_good_request(self):
        resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE GARBAGE\r\n\r\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp[:100])

    def test_huge_headers_and_uri(self):
        resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000 + b"\r\n\r\n")
        self.assert_json_error(resp, 431, "headers_too_large")
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(3000))
        self.assert_json_error(raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"),
                               431, "headers_too_large")
        # 65 small header fields: within 16 KiB, past the count limit
        many = b"".join(b"X-%d: 1\r\n" % i for i in range(65))
        self.assert_json_error(raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n"),
                               431, "headers_too_large")
        resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" +        # Host and 63 more
                   b"".join(b"X-%d: 1\r\n" % i for i in range(63)) + b"\r\n")
        self.assertEqual(status_of(resp), 200, resp[:200])
        resp = raw(b"GET /v1/events/" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_json_error(resp, 431, "headers_too_large")
        resp = raw(b"GET /v1/events/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_json_error(resp, 414, "uri_too_long")
        # a long id within the header limit: usherd's own answer
        resp = raw(b"GET /v1/events/" + b"a" * 300 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_json_error(resp, 400, "invalid_id")

    def test_chunked_bodies_with_lying_sizes(self):
        head = b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for chunks in (b"zz\r\n{}\r\n0\r\n\r\n",                 # not hex
                       b"ffffffffffffffff\r\n{}\r\n0\r\n\r\n",   # absurd size
                       b"100\r\n{\"seats\":[\"S0-R0-1\"]}\r\n0\r\n\r\n",  # says 256, sends 23
                       b"-5\r\n{}\r\n0\r\n\r\n"):
            resp = raw(head + chunks, timeout=2)
            if chunks.startswith(b"100"):    # never completes: closed, no answer
                self.assertEqual(resp, b"", resp[:200])
            else:
                self.assert_json_error(resp, 400, "invalid_request")
        # an honest chunked body works
        body = b'{"seats":["S1-R2-9"]}'
        resp = raw(head.replace(b"HTTP/1.1\r\nHost: x\r\n", b"HTTP/1.1\r\nHost: x\r\nConnection: close\r\n") +
                   b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        self.assertEqual(status_of(resp), 201, resp[:300])
        hold = body_of(resp)["hold_id"]
        c = STACK.client()
        st, _, _ = c.request("DELETE", "/v1/events/%s/holds/%s" % (EV, hold))
        c.close()
        self.assertEqual(st, 204)
        r = STACK.redis()
        self.before = (r.cmd("GET", "usher:{%s}:status" % EV), r.cmd("HLEN", "usher:{%s}:holds" % EV))
        r.close()

    def test_pipelined_requests_answered_in_order(self):
        hold = b'{"seats":["S1-R0-1"]}'
        resp = raw(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                   b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(hold) +
                   hold + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
                   b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        statuses = [int(x) for x in re.findall(rb"HTTP/1\.1 (\d{3}) ", resp)]
        self.assertEqual(statuses, [200, 201, 404, 200], resp[:600])
        hold_id = re.search(rb'"hold_id":"([^"]+)"', resp).group(1).decode()
        c = STACK.client()
        st, _, _ = c.request("DELETE", "/v1/events/%s/holds/%s" % (EV, hold_id))
        c.close()
        self.assertEqual(st, 204)

    def test_http10_keep_alive_and_expect_continue(self):
        s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=3)
        try:
            s.sendall(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            first = s.recv(4096)
            self.assertIn(b"Connection: keep-alive", first)
            # the same connection answers again; 100-continue before the body
            body = b'{"seats":"x"}'
            s.sendall(b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 100 Continue"))
            s.sendall(body)
            got = harness.recv_until(s, lambda got: b"invalid_request" in got)
            self.assertTrue(got.startswith(b"HTTP/1.1 400"), got[:200])
        finally:
            s.close()
        # HTTP/1.0 without keep-alive: answered, then closed
        resp = raw(b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 200"), resp[:100])
        self.assertIn(b"Connection: close", resp)

    def test_half_closed_client_gets_its_answer(self):
        # raw() shuts down its side at once: the answer must still come
        resp = raw(b"GET /v1/events/%s/seats HTTP/1.1\r\nHost: x\r\n\r\n" % EV.encode())
        self.assertEqual(status_of(resp), 200, resp[:200])
        self.assertEqual(len(body_of(resp)["seats"]), 60)

    def test_nul_bytes(self):
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1\x00"]}'), 400, "invalid_json")
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1"]}\x00'), 400, "invalid_json")
        resp = raw(b"GET /v1/events/ho\x00stile HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assert_json_error(resp, 400, "invalid_request")

    def test_invalid_utf8(self):
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1"],"holder":"\xff\xfe"}'),
                               400, "invalid_json")
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["\xc3\x28"]}'), 400, "invalid_json")

    def test_deep_json(self):
        deep = b"[" * 30000 + b"]" * 30000          # past jansson's depth limit (2048)
        self.assert_json_error(self.post(self.HOLDS, deep), 400, "invalid_json")
        nested = b'{"seats":["S0-R0-1"],"x":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}"
        self.assert_json_error(self.post(self.HOLDS, nested), 400, "invalid_request")
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":' + b"[" * 50 + b"]" * 50 + b"}"),
                               400, "invalid_request")

    def test_numbers_out_of_range(self):
        for ttl, code, status in ((b"1e400", "invalid_json", 400),
                                  (b"99999999999999999999999", "invalid_json", 400),
                                  (b"2.5", "invalid_request", 400),
                                  (b"-5", "invalid_ttl", 422),
                                  (b"0", "invalid_ttl", 422),
                                  (b"9223372036854775807", "invalid_ttl", 422),
                                  (b'"600"', "invalid_request", 400)):
            self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1"],"ttl_s":' + ttl + b"}"),
                                   status, code)

    def test_ids_with_braces_and_separators(self):
        for path in (b"/v1/events/a%7Bb%7D/holds", b"/v1/events/a{b}/holds",
                     b"/v1/events/..%2F..%2Fetc/holds", b"/v1/events/a%2Fb/holds",
                     b"/v1/events/%s/holds/x%%7B" % EV.encode()):
            resp = raw(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            st = status_of(resp)
            self.assertTrue(st in (400, 404, 405), (path, resp[:200]))
            if st == 400:
                self.assertEqual(body_of(resp)["error"]["code"], "invalid_id")
        for seat in (b"S0-R0-1}", b"{x}", b"a/b", b"../x", b" ", b""):
            resp = self.post(self.HOLDS, b'{"seats":["' + seat + b'"]}')
            self.assertIn(status_of(resp), (400, 422), resp[:300])
            self.assertIn(body_of(resp)["error"]["code"], ("invalid_id", "invalid_request"))
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1"],"holder":"h{x}"}'),
                               400, "invalid_id")
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["S0-R0-1"],"holder":"' +
                                         b"h" * 10000 + b'"}'), 400, "invalid_id")

    def test_unknown_fields_and_wrong_types(self):
        for body in (b'{"seats":["S0-R0-1"],"ttl":5}', b'{"seats":"S0-R0-1"}', b'{"seats":[1]}',
                     b'["S0-R0-1"]', b'{"seats":["S0-R0-1"],"holder":5}'):
            resp = self.post(self.HOLDS, body)
            self.assertEqual(status_of(resp), 400, (body, resp[:300]))
            self.assertIn(body_of(resp)["error"]["code"], ("invalid_request", "invalid_id"))

    def test_too_many_seats_and_bodies(self):
        seats = ",".join('"S0-R0-%d"' % i for i in range(1, 2001)).encode()
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":[' + seats + b"]}"),
                               422, "invalid_seat_count")
        self.assert_json_error(self.post(self.HOLDS, b'{"seats":["' + b"a" * 70000 + b'"]}'),
                               413, "body_too_large")

    def test_body_limit_is_the_routes_and_applies_at_the_head(self):
        """A hold may have 64 KiB of body, a seat map 32 MiB; a length past
        the route's limit is refused from the head alone, before usherd
        reads (and buffers) any of the body."""
        t0 = time.time()
        for head in (b"Content-Length: 70000\r\n",
                     b"Transfer-Encoding: chunked\r\n\r\n11170"):
            s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=1.5)
            try:
                s.sendall(b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\n" + head +
                          (b"\r\n" if head.endswith(b"\n") else b"\r\n"))
                got = harness.recv_until(s, lambda g: b"}}" in g)
            finally:
                s.close()
            self.assert_json_error(got, 413, "body_too_large")
            self.assertIn(b"at most 65536 bytes", got)
        self.assertLess(time.time() - t0, 1.5)
        # a seat map past 64 KiB is read: the route's limit is larger
        big = harness.theatre(sections=60, rows=40, seats=2)
        self.assertGreater(len(json.dumps(big)), 100000)
        c = STACK.client()
        try:
            st, b, _ = c.request("PUT", "/v1/events/hostile-big", big)
            self.assertEqual(st, 201, b)
            st, _, _ = c.request("DELETE", "/v1/events/hostile-big")
            self.assertEqual(st, 204)
        finally:
            c.close()

    def test_refusal_survives_a_client_still_sending(self):
        """A 413 is answered as soon as the head shows the body is too large,
        while the client is still pouring the body in, and the connection
        is closed after it. (Whether the answer survives input that comes
        after the close is the next test's.)"""
        import threading
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=5)
            s.sendall(b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\nContent-Length: 4000000\r\n\r\n")

            def pour():
                try:
                    for _ in range(40):
                        s.sendall(b"x" * 100000)
                except OSError:
                    pass         # the server closed its side: expected
            t = threading.Thread(target=pour)
            t.start()
            try:
                got = harness.recv_until(s, lambda g: b"}}" in g)
            finally:
                t.join(10)
                s.close()
            self.assertTrue(got.startswith(b"HTTP/1.1 413"), got[:200])
            self.assertEqual(json.loads(got.partition(b"\r\n\r\n")[2])["error"]["code"],
                             "body_too_large")

    def test_refusal_survives_input_after_the_close(self):
        """The linger: a refusal still queued in the kernel (the client has
        not read it yet) must survive input the client sends after it.
        Were the socket simply closed, that input would make the kernel
        answer with a reset and throw the unsent 413 away; usherd instead
        shuts down its sending side and reads on for two seconds.
        The client's tiny receive buffer keeps earlier pipelined answers,
        and the 413 behind them, in usherd's send queue."""
        n = 40
        for _ in range(3):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.settimeout(5)
            s.connect(("127.0.0.1", STACK.http_port))
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * n +
                          b"POST " + self.HOLDS + b" HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\n"
                          b"Content-Length: 40000000\r\n\r\n")  # > 32 MiB
                time.sleep(0.3)   # all answered, the 413 queued, usherd's side shut
                s.sendall(b"x" * 1000)
                time.sleep(0.2)   # a plain close would have reset by now
                got = harness.recv_until(s)
            finally:
                s.close()
            self.assertEqual(got.count(b"HTTP/1.1 200 "), n, got[-300:])
            last = got.rpartition(b"HTTP/1.1 ")[2]
            self.assertTrue(last.startswith(b"413 "), got[-300:])
            self.assertEqual(json.loads(last.partition(b"\r\n\r\n")[2])["error"]["code"],
                             "body_too_large")

    def test_streams_outlive_the_idle_timeout(self):
        # the heartbeat (clamped below --idle-timeout) keeps a quiet stream open
        s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=10)
        try:
            s.sendall(b"GET /v1/events/%s/stream HTTP/1.1\r\nHost: x\r\n\r\n" % EV.encode())
            got, t = b"", time.time()
            while time.time() - t < 4.5:
                s.settimeout(max(0.1, 4.5 - (time.time() - t)))
                try:
                    chunk = s.recv(4096)
                except socket.timeout:
                    break
                if not chunk:
                    break
                got += chunk
        finally:
            s.close()
        self.assertIn(b"event: counts", got)
        self.assertGreaterEqual(got.count(b": heartbeat"), 2, got[-300:])
        self.assertGreater(time.time() - t, 4.0, "the stream was closed")

    def test_slow_loris_is_cut_off(self):
        s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=10)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")   # and never the end
            t = time.time()
            try:
                data = s.recv(4096)
            except ConnectionResetError:
                data = b""
            took = time.time() - t
        finally:
            s.close()
        self.assertNotIn(b"200 OK", data)
        self.assertLess(took, 6, "a stalled request kept its socket")


class Framing(unittest.TestCase):
    """Request framings that two readers could take differently (issue
    13.2, RFC 9112 6): each is refused with 400 and the connection closed,
    so the bytes after it are never served as a request; the Host rules of
    RFC 9112 3.2; the target forms and versions a server must take; HEAD.
    Each smuggling case sends a second request behind the first on the same
    connection: a server that reads past the bad framing answers it."""

    SMUGGLED = b"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n"

    def answers(self, data):
        resp = raw(data)
        return resp, [int(x) for x in re.findall(rb"HTTP/1\.1 (\d{3}) ", resp)]

    def assert_refused_alone(self, data, status=400, code="invalid_request"):
        resp, statuses = self.answers(data + self.SMUGGLED)
        self.assertEqual(statuses, [status], (data, resp[:400]))
        self.assertIn(b"Connection: close", resp)
        self.assertEqual(body_of(resp)["error"]["code"], code, resp[:400])

    def test_transfer_encoding_lines_combine(self):
        post = b"POST /v1/events/%s/holds HTTP/1.1\r\nHost: x\r\n" % EV.encode()
        body = b"5\r\nhello\r\n0\r\n\r\n"
        for te in (b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",   # chunked not last
                   b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",  # twice
                   b"Transfer-Encoding: chunked, chunked\r\n",
                   b"Transfer-Encoding: chunked, identity\r\n",
                   b"Transfer-Encoding: \r\n",
                   b"Transfer-Encoding: ,\r\n"):
            self.assert_refused_alone(post + te + b"\r\n" + body)
        # a coding before chunked is well-framed but not one usherd decodes
        self.assert_refused_alone(post + b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n" +
                                  body, 501, "unsupported_transfer_coding")
        # split over two lines, ending in chunked, once: read as chunked
        resp, statuses = self.answers(post + b"Transfer-Encoding: \r\nTransfer-Encoding: CHUNKED\r\n\r\n" +
                                      b"d\r\n{\"seats\":\"x\"}\r\n0\r\n\r\n" + self.SMUGGLED)
        self.assertEqual(statuses, [400, 200], resp[:400])   # the body's own 400, then the next
        self.assertIn(b"invalid_request", resp)

    def test_content_length_is_digits_only(self):
        for cl in (b"+20", b"-0", b" 20x", b"0x14", b"20, 20", b"2 0", b"", b"\t"):
            self.assert_refused_alone(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: " + cl +
                                      b"\r\n\r\n" + b"x" * 20)
        self.assert_refused_alone(b"POST /v1/events/e/holds HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                  b"9" * 40 + b"\r\n\r\n", 413, "body_too_large")
        resp, statuses = self.answers(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0002\r\n"
                                      b"\r\nxx" + self.SMUGGLED)
        self.assertEqual(statuses, [200, 200], resp[:300])

    def test_http10_with_transfer_encoding_is_faulty_framing(self):
        self.assert_refused_alone(b"POST /v1/events/%s/holds HTTP/1.0\r\nConnection: keep-alive\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" % EV.encode())
        self.assert_refused_alone(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n"
                                  b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n")

    def test_bare_lf_is_refused_at_once(self):
        t0 = time.time()
        for data in (b"GET /healthz HTTP/1.1\nHost: x\n\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: 1\n"):   # not even complete yet
            s = socket.create_connection(("127.0.0.1", STACK.http_port), timeout=1.5)
            try:
                s.sendall(data)
                got = harness.recv_until(s, lambda g: b"}}" in g)
            finally:
                s.close()
            self.assertEqual(status_of(got), 400, (data, got[:200]))
            self.assertEqual(body_of(got)["error"]["code"], "invalid_request")
        self.assertLess(time.time() - t0, 1.5, "waited for more input instead of refusing")
        # a chunk line ending in a bare LF, likewise
        self.assert_refused_alone(b"POST /v1/events/%s/holds HTTP/1.1\r\nHost: x\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n" % EV.encode())

    def test_chunk_sizes_zeros_and_extensions(self):
        body = b'{"seats":"x"}'
        head = b"POST /v1/events/%s/holds HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % EV.encode()
        for size in (b"00000000000%x" % len(body), b"%x ;name=value" % len(body), b"%x\t;x" % len(body),
                     b"%X;a;b=c" % len(body)):
            resp, statuses = self.answers(head + size + b"\r\n" + body + b"\r\n0000\r\n\r\n" +
                                          self.SMUGGLED)
            # the body's own answer (seats must be a list), then the next request
            self.assertEqual(statuses, [400, 200], (size, resp[:300]))
            self.assertIn(b"must be an array", resp)
        for size in (b"1 ", b"%x x" % len(body), b"000000000123456789", b" %x" % len(body)):
            self.assert_refused_alone(head + size + b"\r\n" + body + b"\r\n0\r\n\r\n")

    def test_host_rules(self):
        for host in (b"", b"Host: a\r\nHost: a\r\n", b"Host: a b\r\n", b"Host: a/b\r\n",
                     b"Host: a:8x\r\n", b"Host: [::1\r\n", b"Host: a@b\r\n", b"Host: %zz\r\n"):
            self.assert_refused_alone(b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n")
        for host in (b"Host: \r\n", b"Host: 127.0.0.1:8080\r\n", b"Host: [::1]:80\r\n",
                     b"Host: usher.example\r\n", b"Host: a%41-b_c~\r\n"):
            resp, statuses = self.answers(b"GET /healthz HTTP/1.1\r\n" + host + b"\r\n" + self.SMUGGLED)
            self.assertEqual(statuses, [200, 200], (host, resp[:300]))
        # HTTP/1.0 may leave Host out, but not give two
        self.assertEqual(status_of(raw(b"GET /healthz HTTP/1.0\r\n\r\n")), 200)
        self.assert_refused_alone(b"GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")

    def test_absolute_form_and_versions(self):
        for target in (b"http://127.0.0.1:%d/healthz" % STACK.http_port, b"HTTP://x/healthz",
                       b"https://other.example/healthz?a=1"):
            resp = raw(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            self.assertEqual((status_of(resp), body_of(resp)), (200, {"status": "ok"}), (target, resp[:300]))
        resp = raw(b"GET http://x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(status_of(resp), 404, resp[:200])        # "/": no such route
        for target in (b"http:///healthz", b"ftp://x/healthz", b"healthz", b"*"):
            self.assert_refused_alone(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        # a later HTTP/1.x is served as 1.1; another major version is 505
        resp, statuses = self.answers(b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n" + self.SMUGGLED)
        self.assertEqual(statuses, [200, 200], resp[:300])
        for v in (b"HTTP/2.0", b"HTTP/9.9", b"HTTP/0.9"):
            self.assert_refused_alone(b"GET /healthz " + v + b"\r\nHost: x\r\n\r\n", 505,
                                      "http_version_not_supported")

    def test_head_is_get_without_the_body(self):
        get = raw(b"GET /v1/events/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % EV.encode())
        resp, statuses = self.answers(b"HEAD /v1/events/%s HTTP/1.1\r\nHost: x\r\n\r\n" % EV.encode() +
                                      b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + self.SMUGGLED)
        self.assertEqual(statuses, [200, 200, 200], resp[:600])
        length = re.search(rb"Content-Length: (\d+)", get).group(1)
        first = resp.split(b"HTTP/1.1 ")[1]
        self.assertIn(b"Content-Length: " + length, first)
        self.assertTrue(first.endswith(b"\r\n\r\n"), first)    # no body follows the head
        self.assertNotIn(b'"event"', resp.split(b"\r\n\r\n", 1)[1].split(b"HTTP/1.1")[0])
        # the stream's HEAD is its head alone, and the connection goes on
        resp, statuses = self.answers(b"HEAD /v1/events/%s/stream HTTP/1.1\r\nHost: x\r\n\r\n" % EV.encode() +
                                      self.SMUGGLED)
        self.assertEqual(statuses, [200, 200], resp[:400])
        self.assertIn(b"Content-Type: text/event-stream", resp)
        self.assertNotIn(b"event: counts", resp)
        resp = raw(b"POST /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(status_of(resp), 405)
        self.assertIn(b"Allow: GET, HEAD\r\n", resp)


class FdExhaustion(unittest.TestCase):
    """Out of file descriptors (the open-file limit lowered under a running
    usherd, so that its own --max-connections bound cannot step in first):
    accept fails with EMFILE, the listener pauses instead of spinning on a
    backlog it cannot take, says so once in the log, and takes connections
    again by itself once descriptors are free."""

    def test_emfile_pauses_without_spinning_and_recovers(self):
        import resource
        stack = harness.Stack(ARGS).start()
        held = []
        try:
            pid = stack.usherd_proc.pid
            if harness.VALGRIND:
                self.skipTest("valgrind holds descriptors of its own")
            soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (48, hard))   # the soft limit only
            for _ in range(60):            # more than the limit leaves room for
                held.append(socket.create_connection(("127.0.0.1", stack.http_port), timeout=3))
            deadline = time.time() + 5
            while "pausing new connections" not in stack.log_tail() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn("accept: Too many open files; pausing new connections", stack.log_tail())

            def cpu_s():
                with open("/proc/%d/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            before = cpu_s()
            time.sleep(1.0)                # the backlog still holds connections
            self.assertLess(cpu_s() - before, 0.3)   # a spinning accept loop takes ~1 s
            for h in held:
                h.close()
            held = []
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
            c = harness.Client(stack.http_port)
            st, b, _ = c.request("GET", "/healthz")
            self.assertEqual((st, b), (200, {"status": "ok"}))
            c.close()
            self.assertIsNone(stack.usherd_proc.poll())
        finally:
            for h in held:
                h.close()
            stack.stop()


class MaxConnections(unittest.TestCase):
    """--max-connections: the connection past the bound gets a canned 503
    and is closed; a freed slot is usable again; /metrics counts both."""

    @classmethod
    def setUpClass(cls):
        cls.stack = harness.Stack(ARGS, ["--max-connections", "4"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def connect_and_ask(self, path=b"/healthz"):
        s = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=3)
        s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        def whole(got):           # one whole answer, by its Content-Length
            head, sep, body = got.partition(b"\r\n\r\n")
            m = re.search(rb"Content-Length: (\d+)", head)
            return bool(sep and m and len(body) >= int(m.group(1)))

        return s, harness.recv_until(s, whole)

    def test_refused_clients_that_read_late_get_the_503(self):
        """Issue 13.6: refused with its request unread, a socket closed at
        once is reset by the kernel and the canned answer is lost. Fifty
        clients past the bound send their request at once and read only
        half a second later: every one gets the 503 with Retry-After, and
        none a reset."""
        held, late = [], []
        try:
            for _ in range(4):
                s, got = self.connect_and_ask()
                self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:100])
                held.append(s)
            # usherd stopped meanwhile, so that every request is in its
            # socket before usherd accepts (and refuses) it
            os.kill(self.stack.usherd_proc.pid, signal.SIGSTOP)
            try:
                for _ in range(50):
                    s = socket.create_connection(("127.0.0.1", self.stack.http_port), timeout=3)
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    late.append(s)
                time.sleep(0.1)
            finally:
                os.kill(self.stack.usherd_proc.pid, signal.SIGCONT)
            time.sleep(0.5)
            got503, resets = 0, 0
            for s in late:
                try:
                    got = harness.recv_until(s, lambda g: b"}}" in g)
                except OSError:
                    got = b""
                try:
                    s.recv(1)         # and then the orderly close, not a reset
                except ConnectionResetError:
                    resets += 1
                if got.startswith(b"HTTP/1.1 503") and b"Retry-After: 1\r\n" in got and \
                        json.loads(got.partition(b"\r\n\r\n")[2])["error"]["code"] == "overloaded":
                    got503 += 1
            self.assertEqual((got503, resets), (50, 0))
        finally:
            for s in held + late:
                s.close()

    def test_refused_past_the_bound_and_reusable_after(self):
        held = []
        try:
            for _ in range(4):
                s, got = self.connect_and_ask()
                self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:100])
                held.append(s)
            s, got = self.connect_and_ask()
            s.close()
            self.assertTrue(got.startswith(b"HTTP/1.1 503"), got[:200])
            self.assertIn(b"Retry-After: 1", got)
            self.assertEqual(json.loads(got.partition(b"\r\n\r\n")[2])["error"]["code"],
                             "overloaded")
            held.pop().close()
            deadline = time.time() + 3
            while True:           # the server sees the close on its next loop turn
                s, got = self.connect_and_ask(b"/metrics")
                if got.startswith(b"HTTP/1.1 200") or time.time() > deadline:
                    break
                s.close()
                time.sleep(0.05)
            held.append(s)
            self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:200])
            metrics = got.decode()
            self.assertRegex(metrics, r"\nusher_http_connections 4\n")
            refused = int(re.search(r"\nusher_http_connections_refused_total (\d+)\n",
                                    metrics).group(1))
            self.assertGreaterEqual(refused, 1)
        finally:
            for s in held:
                s.close()


def main():
    global STACK
    STACK = harness.Stack(ARGS, ["--idle-timeout", "2"]).start()
    try:
        c = STACK.client()
        st, b, _ = c.request("PUT", "/v1/events/" + EV, harness.theatre())
        c.close()
        assert st == 201, b
        prog = unittest.main(argv=ARGV, verbosity=2, exit=False)
    finally:
        STACK.stop()
    raise SystemExit(0 if prog.result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()

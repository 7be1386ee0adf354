"""usherd with --threads 2 against a real redis-server: both event loops
serve (the kernel spreads connections over their listeners on one port),
/metrics sums the threads' counters, live streams on either thread see
changes made through the other, and SIGTERM stops every thread cleanly.
(The API and concurrency suites also run with --threads 2:
integration_*_threads.)"""
import re
import unittest

import harness
from test_stream import SSE

ARGS, ARGV = harness.parse_args()


def scrape(port):
    c = harness.Client(port)
    try:
        c.conn.request("GET", "/metrics")
        r = c.conn.getresponse()
        assert r.status == 200
        return r.read().decode()
    finally:
        c.close()


class Threads(unittest.TestCase):
    def setUp(self):
        self.stack = harness.Stack(ARGS, usherd_flags=["--threads", "2"]).start()

    def tearDown(self):
        code = self.stack.stop_usherd()
        self.stack.stop()
        self.assertEqual(code, 0, "usherd did not exit cleanly on SIGTERM")

    def test_both_loops_serve_and_metrics_sum(self):
        # --max-inflight 512 (the default) is split 256 + 256 and shown summed
        self.assertIn("\nusher_inflight_limit 512\n", scrape(self.stack.http_port))
        c = self.stack.client()
        st, b, _ = c.request("PUT", "/v1/events/t", harness.theatre(sections=1, rows=4, seats=10))
        self.assertEqual(st, 201, b)
        c.close()
        holds = 0
        for i in range(40):              # a new connection each: spread by the kernel
            c = self.stack.client()
            st, b, _ = c.request("POST", "/v1/events/t/holds", {"seats": ["S0-R%d-%d" % (i // 10, i % 10 + 1)]})
            c.close()
            self.assertEqual(st, 201, b)
            holds += 1
        text = scrape(self.stack.http_port)
        per = {int(t): int(n) for t, n in
               re.findall(r'usher_thread_requests_total\{thread="(\d+)"\} (\d+)', text)}
        self.assertEqual(set(per), {0, 1})
        self.assertGreater(per[0], 0, per)
        self.assertGreater(per[1], 0, per)
        got = int(re.search(r'usher_http_requests_total\{route="/v1/events/\{event\}/holds",'
                            r'method="POST",code="201"\} (\d+)', text).group(1))
        self.assertEqual(got, holds)      # every thread's count, once
        self.assertIn('usher_holds_total{change="created"} 40', text)
        r = self.stack.redis()
        try:
            self.assertEqual(r.cmd("GET", "usher:{t}:status").count("h"), 40)
        finally:
            r.close()

    def test_streams_on_every_loop_see_every_change(self):
        c = self.stack.client()
        st, b, _ = c.request("PUT", "/v1/events/s", harness.theatre(sections=1, rows=1, seats=10))
        self.assertEqual(st, 201, b)
        streams = [SSE(self.stack.http_port, "/v1/events/s/stream") for _ in range(8)]
        try:
            for s in streams:
                (kind, _, _), = s.events(1)
                self.assertEqual(kind, "counts")
            st, h, _ = c.request("POST", "/v1/events/s/holds", {"seats": ["S0-R0-4"]})
            self.assertEqual(st, 201, h)
            for s in streams:
                (kind, _, data), = s.events(1, kinds=("seats",))
                self.assertEqual((data["seats"], data["status"]), (["S0-R0-4"], "held"))
            text = scrape(self.stack.http_port)
            self.assertIn("usher_sse_clients 8", text)
            per = re.findall(r'usher_thread_requests_total\{thread="(\d+)"\} (\d+)', text)
            self.assertEqual(len(per), 2)
        finally:
            for s in streams:
                s.close()
            c.close()


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

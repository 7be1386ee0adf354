"""GET /metrics against the real usherd and redis-server: the exposition
parses (a strict parser here, and `promtool check metrics` when promtool is
installed), counters move with the requests made, seats-by-status gauges
match the event, and /metrics still answers with usher_redis_up 0 when
Redis is down. The alert rules in deploy/prometheus pass promtool."""
import os
import re
import shutil
import subprocess
import unittest

import harness

ARGS, ARGV = harness.parse_args()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse(text):
    """Parses the text format strictly; returns {(name, labels): value}."""
    series, types = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = LINE.match(line)
        assert m, "bad sample line: %r" % line
        name, _, labels, value = m.groups()
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in types or base in types, "sample before its TYPE: %r" % line
        lab = {}
        rest = labels or ""
        while rest:
            lm = LABEL.match(rest)
            assert lm, "bad labels in %r" % line
            lab[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        key = (name, tuple(sorted(lab.items())))
        assert key not in series, "duplicate series %r" % (key,)
        series[key] = float(value)
    return series


def value(series, name, **labels):
    return series.get((name, tuple(sorted(labels.items()))), 0.0)


class Metrics(unittest.TestCase):
    def setUp(self):
        self.stack = harness.Stack(ARGS).start()
        self.c = self.stack.client()

    def tearDown(self):
        self.c.close()
        self.stack.stop()

    def scrape(self):
        self.c.request("GET", "/healthz")     # keep-alive: reuse the socket
        self.c.conn.request("GET", "/metrics")
        resp = self.c.conn.getresponse()
        text = resp.read().decode()
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/plain; version=0.0.4"))
        return text, parse(text)

    def promtool(self, text):
        if not shutil.which("promtool"):
            print("\npromtool not installed: checked with the parser in this test only")
            return
        p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_counters_gauges_and_format(self):
        H = "/v1/events/{event}/holds"
        st, _, _ = self.c.request("PUT", "/v1/events/m1", harness.theatre(rows=2, seats=5))
        self.assertEqual(st, 201)
        _, before = self.scrape()
        holds = []
        for seat in ("S0-R0-1", "S0-R0-2", "S0-R0-3"):
            st, b, _ = self.c.request("POST", "/v1/events/m1/holds", {"seats": [seat]})
            holds.append(b["hold_id"])
        self.c.request("POST", "/v1/events/m1/holds", {"seats": ["S0-R0-1"]})        # 409
        self.c.request("POST", "/v1/events/m1/holds/%s/reserve" % holds[0], {"order_id": "o"})
        self.c.request("DELETE", "/v1/events/m1/holds/" + holds[1])
        self.c.request("POST", "/v1/events/m1/holds/%s/extend" % holds[2], {"ttl_s": 60})
        st, _, _ = self.c.request("POST", "/v1/events/m1/holds/%s/seats" % holds[2],
                                  {"add": ["S0-R0-4"]})
        self.assertEqual(st, 200)
        self.c.request("POST", "/v1/events/m1/holds/%s/seats" % holds[2], {"add": ["S0-R0-4"]})  # 422
        self.c.request("GET", "/nowhere")
        text, s = self.scrape()
        self.promtool(text)
        d = lambda name, **l: value(s, name, **l) - value(before, name, **l)
        self.assertEqual(d("usher_http_requests_total", route=H, method="POST", code="201"), 3)
        self.assertEqual(d("usher_http_requests_total", route=H, method="POST", code="409"), 1)
        self.assertEqual(d("usher_http_requests_total", route="unmatched", method="GET", code="404"), 1)
        self.assertEqual(d("usher_holds_total", change="created"), 3)
        self.assertEqual(d("usher_holds_total", change="reserved"), 1)
        self.assertEqual(d("usher_holds_total", change="released"), 1)
        self.assertEqual(d("usher_holds_total", change="extended"), 1)
        self.assertEqual(d("usher_holds_total", change="changed"), 1)
        self.assertGreaterEqual(d("usher_http_request_duration_seconds_count", route=H), 4)
        self.assertEqual(d("usher_http_requests_total", route=H + "/{hold}/seats", method="POST",
                           code="422"), 1)
        self.assertEqual(value(s, "usher_http_request_duration_seconds_bucket", route=H, le="+Inf"),
                         value(s, "usher_http_request_duration_seconds_count", route=H))
        # the hold routes' operations go to Redis as hold_batch calls
        self.assertGreaterEqual(d("usher_redis_script_duration_seconds_count", script="hold_batch"), 4)
        self.assertGreaterEqual(d("usher_redis_batch_ops_total"), d("usher_redis_batches_total"))
        self.assertGreaterEqual(d("usher_redis_batches_total"), 4)
        self.assertEqual(value(s, "usher_redis_up"), 1)
        self.assertEqual(value(s, "usher_build_info", version=value_version(s)), 1)
        self.assertEqual(value(s, "usher_seats", event="m1", status="available"), 17)
        self.assertEqual(value(s, "usher_seats", event="m1", status="held"), 2)    # one changed to 2
        self.assertEqual(value(s, "usher_seats", event="m1", status="reserved"), 1)
        self.assertEqual(value(s, "usher_seats", event="m1", status="blocked"), 0)
        self.assertEqual(value(s, "usher_http_requests_in_flight"), 1)   # the scrape itself

    def test_metrics_without_redis(self):
        self.stack.stop_redis()
        text, s = self.scrape()
        self.promtool(text)
        self.assertEqual(value(s, "usher_redis_up"), 0)
        self.assertNotIn("usher_seats{", text)
        self.assertGreaterEqual(value(s, "usher_redis_reconnects_total"), 1)

    def test_alert_rules(self):
        if not shutil.which("promtool"):
            self.skipTest("promtool not installed (Debian package prometheus)")
        rules = os.path.join(ROOT, "deploy/prometheus")
        for args in (["check", "rules", "usher-rules.yml"], ["test", "rules", "usher-rules.test.yml"]):
            p = subprocess.run(["promtool"] + args, cwd=rules, capture_output=True, text=True,
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)


class AccessLog(unittest.TestCase):
    def test_one_json_line_per_request(self):
        import json
        import tempfile
        path = os.path.join(tempfile.mkdtemp(prefix="usher-al-"), "access.log")
        stack = harness.Stack(ARGS, ["--access-log", path]).start()
        try:
            c = stack.client()
            c.request("PUT", "/v1/events/al", harness.theatre(rows=1, seats=3))
            c.request("POST", "/v1/events/al/holds", {"seats": ["S0-R0-1"]})
            c.request("POST", "/v1/events/al/holds", {"seats": ["S0-R0-1"]})
            c.request("GET", "/nope")
            c.close()
            self.assertEqual(stack.stop_usherd(), 0)       # SIGTERM flushes the log
        finally:
            stack.stop()
        with open(path) as f:
            lines = [json.loads(l) for l in f]
        # not the harness's readiness polls, nor its /metrics scrape at the end
        mine = [l for l in lines if l["route"] not in ("/readyz", "/metrics")]
        self.assertEqual([(l["method"], l["route"], l["event"], l["status"]) for l in mine], [
            ("PUT", "/v1/events/{event}", "al", 201),
            ("POST", "/v1/events/{event}/holds", "al", 201),
            ("POST", "/v1/events/{event}/holds", "al", 409),
            ("GET", "unmatched", None, 404),
        ])
        for l in mine:
            self.assertRegex(l["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertGreater(l["duration_us"], 0)
            self.assertGreater(l["bytes"], 0)
            self.assertRegex(l["client"], r"^127\.0\.0\.1:\d+$")


def value_version(series):
    for (name, labels) in series:
        if name == "usher_build_info":
            return dict(labels)["version"]
    return None


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

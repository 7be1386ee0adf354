"""Fault tests in the middle of an on-sale, all on loopback and bounded in
time, each printing its figures:

 (a) kill -9 usherd during a usher-bench swarm, start it again, let the
     swarm finish: the bench's audit is clean.
 (b) kill -9 redis-server (deploy/redis/redis.conf: AOF, appendfsync
     always, an ACL user) during a swarm, start it again from its AOF:
     every reservation a client was told about is still there, nothing is
     sold twice, and holds still expire.
 (c) Redis paused (SIGSTOP) for 3 s under steady requests: every request
     is answered, the failed ones with 503 within --redis-timeout, none
     hangs, and the service recovers by itself after SIGCONT.

Run it five times in a row with tests/faults.sh."""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "deploy", "redis", "redis.conf")
AUTH = ("usher", "CHANGE-ME-usher-password")   # the conf's placeholder


class Swarm:
    """One usher-bench swarm in the background, with its ledger and JSON."""

    def __init__(self, stack, event, users, seats_per_row=20):
        self.stack = stack
        self.tmp = tempfile.mkdtemp(prefix="usher-crash-")
        self.json = os.path.join(self.tmp, "r.json")
        self.ledger = os.path.join(self.tmp, "ledger.json")
        target = ["--target", "http://127.0.0.1:%d" % stack.http_port]
        rc = subprocess.run([ARGS.usher_bench, "venue"] + target + [
            "--event", event, "--sections", "2", "--rows", "10", "--seats",
            str(seats_per_row), "--max-seats-per-hold", "4"], capture_output=True,
            timeout=60).returncode
        assert rc == 0, "venue upload failed"
        self.proc = subprocess.Popen(
            [ARGS.usher_bench, "swarm"] + target + [
                "--event", event, "--users", str(users), "--arrival", "ramp:4",
                "--party", "1-4", "--think", "0.3", "--hold-ttl", "3", "--patience", "20",
                "--duration", "60", "--timeout", "3000", "--seed", "11", "--connections", "32",
                "--wait-expiry", "--quiet", "--json", self.json, "--ledger", self.ledger],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finish(self, timeout=150):
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError("usher-bench did not finish in %d s:\n%s" % (timeout, out))
        with open(self.json) as f:
            report = json.load(f)
        with open(self.ledger) as f:
            ledger = json.load(f)
        return self.proc.returncode, out, report, ledger

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def books(stack, event):
    """(order id -> set of seats, status string) as Redis holds them now."""
    r = stack.redis()
    try:
        flat = r.cmd("HGETALL", "usher:{%s}:orders" % event) or []
        status = r.cmd("GET", "usher:{%s}:status" % event)
    finally:
        r.close()
    orders = {flat[i]: set(flat[i + 1].split()) for i in range(0, len(flat), 2)}
    return orders, status


def check_books(test, stack, event, report, ledger, label):
    """The audit is clean, and, read straight from Redis, every acknowledged
    sale is there with all its seats and no seat is in two orders."""
    orders, status = books(stack, event)
    acked = [e for e in ledger["entries"] if e["state"] == "acked"]
    missing = [e["order_id"] for e in acked
               if not set(e["seats"]) <= orders.get(e["order_id"], set())]
    seen, twice = set(), []
    for seats in orders.values():
        twice += [s for s in seats if s in seen]
        seen |= seats
    held = status.count("h")
    print("%s: %d requests, %d errors, %d acknowledged sales (%d seats), "
          "%d orders / %d seats persisted in Redis, %d lost answers, "
          "%d seats still held after expiry, audit %s" % (
              label, report["requests"], sum(report["errors"].values()),
              len(acked), sum(len(e["seats"]) for e in acked), len(orders), len(seen),
              len(report["audit"].get("lost_answers", [])), held,
              "clean" if report["audit"]["ok"] else "VIOLATIONS"), flush=True)
    test.assertEqual(missing, [], "acknowledged sales missing from Redis")
    test.assertEqual(twice, [], "seats in two orders")
    test.assertEqual(held, 0, "holds did not expire")
    test.assertTrue(report["audit"]["ok"], report["audit"])
    test.assertGreater(len(acked), 0)


class Crash(unittest.TestCase):
    def test_a_usherd_killed_mid_swarm(self):
        stack = harness.Stack(ARGS).start()
        sw = None
        try:
            sw = Swarm(stack, "crash-a", users=3000, seats_per_row=40)
            time.sleep(2.0)
            stack.kill_usherd()
            time.sleep(0.5)
            stack.start_usherd()
            rc, out, report, ledger = sw.finish()
            self.assertEqual(rc, 0, out)
            check_books(self, stack, "crash-a", report, ledger, "(a) usherd kill -9")
            # the swarm went on against the new process
            c = stack.client()
            c.conn.request("GET", "/metrics")
            text = c.conn.getresponse().read().decode()
            c.close()
            served = sum(int(float(l.rsplit(" ", 1)[1])) for l in text.splitlines()
                         if l.startswith('usher_http_requests_total{route="/v1/events/{event}/holds'))
            print("(a) holds answered by the restarted usherd: %d" % served, flush=True)
            self.assertGreater(served, 0)
        finally:
            if sw:
                sw.kill()
            stack.stop()

    def test_b_redis_killed_mid_swarm(self):
        stack = harness.Stack(ARGS, ["--redis-timeout", "1s"], redis_conf=CONF,
                              redis_auth=AUTH).start()
        sw = None
        try:
            sw = Swarm(stack, "crash-b", users=3000, seats_per_row=40)
            time.sleep(2.0)
            stack.stop_redis()          # SIGKILL
            time.sleep(0.5)
            stack.start_redis()         # loads the AOF
            rc, out, report, ledger = sw.finish()
            self.assertEqual(rc, 0, out)
            check_books(self, stack, "crash-b", report, ledger,
                        "(b) redis kill -9, appendfsync always")
            self.assertTrue(any(name.startswith("appendonly")
                                for name in os.listdir(os.path.join(stack.dir,
                                                                    "appendonlydir"))))
        finally:
            if sw:
                sw.kill()
            stack.stop()

    def test_c_redis_paused(self):
        stack = harness.Stack(ARGS, ["--redis-timeout", "500ms"]).start()
        results, stop = [], threading.Event()
        try:
            c = stack.client()
            st, b, _ = c.request("PUT", "/v1/events/crash-c", harness.theatre(rows=10, seats=20))
            self.assertEqual(st, 201, b)
            c.close()

            def load(n):
                cl = harness.Client(stack.http_port, timeout=5)
                i = 0
                try:
                    while not stop.is_set() and i < 2000:
                        seat = "S%d-R%d-%d" % (n % 2, (i // 20) % 10, i % 20 + 1)
                        t = time.time()
                        try:
                            st, b, h = cl.request("POST", "/v1/events/crash-c/holds",
                                                  {"seats": [seat], "holder": "p%d" % n,
                                                   "ttl_s": 1})
                        except OSError as ex:
                            st, b, h = -1, {"error": {"code": str(ex)}}, {}
                        results.append((t, time.time() - t, st, b))
                        i += 1
                        time.sleep(0.02)
                finally:
                    cl.close()
            threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
            for th in threads:
                th.start()
            time.sleep(1.0)
            t_stop = time.time()
            os.kill(stack.redis_proc.pid, signal.SIGSTOP)
            time.sleep(3.0)
            os.kill(stack.redis_proc.pid, signal.SIGCONT)
            t_cont = time.time()
            time.sleep(2.5)
            stop.set()
            for th in threads:
                th.join(timeout=30)
            codes = {}
            for _, _, st, _ in results:
                codes[st] = codes.get(st, 0) + 1
            during = [x for x in results if t_stop + 0.1 < x[0] < t_cont - 0.6]
            after = [x for x in results if x[0] > t_cont + 1.0]
            slowest = max(x[1] for x in results)
            print("(c) redis paused 3 s: %d requests, by status %s, %d during the pause "
                  "(%d answered 503), slowest answer %.2f s, %d after (%d ok)" % (
                      len(results), codes, len(during),
                      sum(1 for x in during if x[2] == 503), slowest, len(after),
                      sum(1 for x in after if x[2] in (201, 409))), flush=True)
            self.assertNotIn(-1, codes, "a request failed without an answer")
            self.assertTrue(during)
            self.assertTrue(all(x[2] == 503 and x[3]["error"]["code"] == "redis_unavailable"
                                for x in during), during[:3])
            self.assertLess(slowest, 1.5, "a request hung")
            self.assertTrue(after and all(x[2] in (201, 409) for x in after), after[:3])
            c = stack.client()
            st, b, _ = c.request("GET", "/readyz")
            c.close()
            self.assertEqual(st, 200, b)
        finally:
            stop.set()
            stack.stop()


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

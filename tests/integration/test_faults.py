"""Redis trouble: down, paused, restarted. usherd must answer 503
redis_unavailable fast (never hang, never crash), tell the truth on /readyz,
reconnect by itself with backoff and reload its scripts."""
import os
import signal
import time
import unittest

import harness

ARGS, ARGV = harness.parse_args()


class Faults(unittest.TestCase):
    def setUp(self):
        self.stack = harness.Stack(ARGS, ["--redis-timeout", "500ms"]).start()
        self.c = self.stack.client()
        st, b, _ = self.c.request("PUT", "/v1/events/f", harness.theatre())
        self.assertEqual(st, 201, b)

    def tearDown(self):
        self.c.close()
        self.stack.stop()

    def timed(self, method, path, body=None):
        t = time.time()
        st, b, h = self.c.request(method, path, body)
        return st, b, h, time.time() - t

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            st, _, _ = self.c.request("GET", "/readyz")
            if st == 200:
                return time.time()
            time.sleep(0.1)
        self.fail("usherd did not become ready again")

    def assert_unavailable(self, st, b, h, took, limit):
        self.assertEqual(st, 503, b)
        self.assertEqual(b["error"]["code"], "redis_unavailable")
        self.assertEqual(h.get("retry-after"), "1")
        self.assertLess(took, limit)

    def test_redis_down_then_back(self):
        st, h1, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 201)
        self.stack.stop_redis()
        time.sleep(0.2)
        for path, body in (("/v1/events/f/holds", {"seats": ["S0-R0-2"]}),
                           ("/v1/events/f", None), ("/v1/events", None), ("/readyz", None)):
            st, b, h, took = self.timed("POST" if body else "GET", path, body)
            self.assert_unavailable(st, b, h, took, 1.0)
        st, b, _ = self.c.request("GET", "/healthz")
        self.assertEqual(st, 200)          # the process itself is fine
        # a new, empty Redis on the same port: usherd reconnects, reloads
        # its scripts, and serves again (the event is gone with the data)
        self.stack.start_redis()
        t0 = time.time()
        self.wait_ready()
        self.assertLess(time.time() - t0, 10)
        st, b, _ = self.c.request("PUT", "/v1/events/f", harness.theatre())
        self.assertEqual(st, 201, b)
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 201, b)
        self.assertIn("redis ready", self.stack.log_tail())

    def test_redis_paused(self):
        pid = self.stack.redis_proc.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            st, b, h, took = self.timed("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
            self.assert_unavailable(st, b, h, took, 1.5)     # 500 ms timeout
            self.assertGreater(took, 0.3)
            for _ in range(3):       # while paused every answer is fast
                st, b, h, took = self.timed("GET", "/v1/events/f")
                self.assert_unavailable(st, b, h, took, 1.5)
        finally:
            os.kill(pid, signal.SIGCONT)
        self.wait_ready()
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
        # the hold from before the pause may or may not have reached Redis;
        # either way the seat is held exactly once
        self.assertIn(st, (201, 409), b)
        r = self.stack.redis()
        self.assertEqual(r.cmd("HLEN", "usher:{f}:owner"), 1)
        self.assertEqual(r.cmd("GETRANGE", "usher:{f}:status", 0, 0), "h")
        r.close()

    def test_script_cache_flushed(self):
        r = self.stack.redis()
        r.cmd("SCRIPT", "FLUSH")
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-5"]})
        self.assertEqual(st, 201, b)
        self.assertIn("NOSCRIPT", self.stack.log_tail())
        r.close()

    def test_clean_shutdown(self):
        code = self.stack.stop_usherd()
        self.assertEqual(code, 0)
        self.assertIn("usherd stopped (exit 0)", self.stack.log_tail())

    def test_unix_socket_and_env_url(self):
        # a second usherd reaching the same Redis through its unix socket,
        # configured by environment only
        import subprocess
        port = harness.free_port()
        env = dict(os.environ, USHER_LISTEN="127.0.0.1:%d" % port,
                   USHER_REDIS_URL="unix://" + self.stack.redis_socket)
        p = subprocess.Popen([ARGS.usherd], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        try:
            c = None
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    c = harness.Client(port, timeout=2)
                    if c.request("GET", "/readyz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            st, b, _ = c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-9"]})
            self.assertEqual(st, 201, b)
            # visible through the TCP-connected usherd: one shared inventory
            st, b, _ = self.c.request("GET", "/v1/events/f/holds/" + b["hold_id"])
            self.assertEqual((st, b["seats"]), (200, ["S0-R0-9"]))
            c.close()
        finally:
            p.terminate()
            _, err = p.communicate(timeout=10)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"redis connected to " + self.stack.redis_socket.encode(), err)

    def test_bad_config_exits_2(self):
        import subprocess
        p = subprocess.run([ARGS.usherd, "--listen", "nope"], capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--listen", p.stderr)
        p = subprocess.run([ARGS.usherd, "--help"], capture_output=True, timeout=10)
        self.assertEqual(p.returncode, 0)
        for flag in (b"--listen", b"--redis", b"USHER_LISTEN", b"USHER_REDIS_URL", b"default"):
            self.assertIn(flag, p.stdout)
        p = subprocess.run([ARGS.usherd, "--version"], capture_output=True, timeout=10)
        self.assertEqual((p.returncode, p.stdout.startswith(b"usherd ")), (0, True))


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

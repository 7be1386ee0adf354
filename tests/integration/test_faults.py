"""Redis trouble: down, paused, restarted. usherd must answer 503
redis_unavailable fast (never hang, never crash), tell the truth on /readyz,
reconnect by itself with backoff and reload its scripts."""
import os
import shutil
import signal
import tempfile
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

    def test_functions_flushed(self):
        # Redis lost the library (FUNCTION FLUSH; as after a restart
        # without persistence): the call that finds it gone loads it again
        # and is answered as if nothing happened
        r = self.stack.redis()
        self.assertEqual(r.cmd("FUNCTION", "FLUSH"), "OK")
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-5"]})
        self.assertEqual(st, 201, b)
        self.assertIn("redis lost hold_batch, reloading", self.stack.log_tail())
        self.assertEqual(len(r.cmd("FUNCTION", "LIST")), 1)
        self.assertEqual(r.cmd("HGET", "usher:{f}:owner", "S0-R0-5"), b["hold_id"])
        r.close()

    def test_library_is_versioned(self):
        # one library, its name and every function's ending in the hash of
        # the sources: two usherd versions on one Redis never run each
        # other's code; a read-only script is flagged so
        r = self.stack.redis()
        (lib,) = r.cmd("FUNCTION", "LIST")
        lib = dict(zip(lib[::2], lib[1::2]))
        self.assertRegex(lib["library_name"], r"^usher_[0-9a-f]{12}$")
        h = lib["library_name"][len("usher_"):]
        fns = {dict(zip(f[::2], f[1::2]))["name"]: dict(zip(f[::2], f[1::2]))["flags"]
               for f in lib["functions"]}
        self.assertIn("hold_batch_" + h, fns)
        self.assertIn("event_put_" + h, fns)
        self.assertEqual(fns["order_get_" + h], ["no-writes"])
        self.assertEqual(fns["hold_batch_" + h], [])
        # a second process of this version finds the library there
        port = self.stack.add_usherd()
        c2 = harness.Client(port)
        st, b, _ = c2.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-6"]})
        self.assertEqual(st, 201, b)
        c2.close()
        self.assertEqual(len(r.cmd("FUNCTION", "LIST")), 1)
        # an older library beside it changes nothing
        r.cmd("FUNCTION", "LOAD", "#!lua name=usher_000000000000\n"
              "redis.register_function('hold_batch_000000000000', function() return 1 end)")
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-7"]})
        self.assertEqual(st, 201, b)
        r.close()

    def test_failed_call_leaves_nothing_for_the_next(self):
        # As a Functions library the scripts' helpers and state outlive a
        # call; a call Redis aborts halfway (here: the owner hash made a
        # string, so its write fails after the hold's record was written)
        # must not leave its pending writes to the next call
        st, h1, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 201, h1)
        r = self.stack.redis()
        owners = r.cmd("HGETALL", "usher:{f}:owner")
        r.cmd("DEL", "usher:{f}:owner")
        r.cmd("SET", "usher:{f}:owner", "not a hash")
        st, b, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-2"]})
        self.assertEqual((st, b["error"]["code"]), (503, "redis_unavailable"), b)
        r.cmd("DEL", "usher:{f}:owner")
        r.cmd("HSET", "usher:{f}:owner", *owners)
        st, b, _ = self.c.request("GET", "/v1/events/f/holds/" + h1["hold_id"])
        self.assertEqual(st, 200, b)
        # the aborted hold's status byte and owner were never written
        self.assertEqual(r.cmd("GETRANGE", "usher:{f}:status", 0, 1), "h.")
        self.assertEqual(r.cmd("HKEYS", "usher:{f}:owner"), ["S0-R0-1"])
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


class NoFunctions(unittest.TestCase):
    """A Redis without FUNCTION (before 7.0; here the command renamed
    away): usherd loads every script with SCRIPT LOAD and calls EVALSHA,
    with the same answers, and reloads one Redis lost (NOSCRIPT)."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="usher-nofn-")
        conf = os.path.join(self.dir, "redis.conf")
        with open(conf, "w") as f:
            f.write('save ""\nappendonly no\nrename-command FUNCTION ""\n')
        self.stack = harness.Stack(ARGS, redis_conf=conf).start()
        self.c = self.stack.client()

    def tearDown(self):
        self.c.close()
        self.stack.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_evalsha_instead(self):
        st, b, _ = self.c.request("PUT", "/v1/events/f", harness.theatre())
        self.assertEqual(st, 201, b)
        st, h, _ = self.c.request("POST", "/v1/events/f/holds", {"seats": ["S0-R0-1"]})
        self.assertEqual(st, 201, h)
        self.assertIn("redis has no FUNCTION", self.stack.log_tail())
        r = self.stack.redis()
        stats = r.cmd("INFO", "commandstats")
        self.assertIn("cmdstat_evalsha:", stats)
        self.assertNotIn("cmdstat_fcall:", stats)
        r.cmd("SCRIPT", "FLUSH")
        st, b, _ = self.c.request("DELETE", "/v1/events/f/holds/" + h["hold_id"])
        self.assertEqual(st, 204, b)
        self.assertIn("redis lost hold_batch, reloading", self.stack.log_tail())
        self.assertEqual(r.cmd("HLEN", "usher:{f}:owner"), 0)
        r.close()


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

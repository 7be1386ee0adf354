"""Test harness: a private redis-server and the real usherd on loopback.

Every process started here is stopped by Stack.stop(), which runs from the
test's tearDown/finally, from atexit, and on SIGTERM/SIGINT, so a failing or
interrupted test leaves nothing running. Only 127.0.0.1 is ever contacted.
"""
import argparse
import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

_live = []  # every Stack not yet stopped


def _stop_all(*_):
    for s in list(_live):
        try:
            s.stop()
        except RuntimeError as ex:
            print("harness:", ex, file=sys.stderr)


atexit.register(_stop_all)


def _on_signal(signum, frame):
    _stop_all()
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--usherd", required=True)
    p.add_argument("--redis-server", default="redis-server")
    p.add_argument("--usher-bench", default=None)
    args, rest = p.parse_known_args()
    return args, [sys.argv[0]] + rest


# USHER_VALGRIND=1 runs every usherd under valgrind's memcheck
# (tests/valgrind.sh); stop() then fails on any error or leak it reports.
VALGRIND = (["valgrind", "--leak-check=full", "--show-leak-kinds=definite,indirect",
             "--errors-for-leak-kinds=definite,indirect", "--error-exitcode=99",
             "--track-fds=no"] if os.environ.get("USHER_VALGRIND") == "1" else [])
# usherd runs ~20x slower under memcheck: give Redis calls room (a test's
# own flags, later on the command line, still win)
VALGRIND_FLAGS = ["--redis-timeout", "30s"] if VALGRIND else []


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def key_names():
    """The event's key names in KEYS order: lua/keys.list, the one place
    they are written."""
    with open(os.path.join(ROOT, "lua", "keys.list")) as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def event_keys(event):
    """Every key of one event, in the order the scripts get them."""
    return ["usher:{%s}:%s" % (event, k) for k in key_names()]


def _common_source():
    """The key locals of lua/keys.list and keys_bind, then
    lua/lib/common.lua and lua/lib/select.lua, as
    server/embed_scripts.cmake writes them."""
    names = ["K_" + k.upper() for k in key_names()]
    prelude = ("-- Generated from lua/keys.list: the event's keys, in the order of KEYS.\n"
               "local %s\nlocal EVENT_KEYS = %d\nlocal function keys_bind(keys)\n"
               "  %s =\n    %s\nend\n" %
               (", ".join(names), len(names), ", ".join(names),
                ", ".join("keys[%d]" % (i + 1) for i in range(len(names)))))
    parts = []
    for name in ("common.lua", "select.lua", "queue.lua"):
        with open(os.path.join(ROOT, "lua", "lib", name)) as f:
            parts.append(f.read())
    return prelude + "".join(parts)


def _body(name):
    with open(os.path.join(ROOT, "lua", name + ".lua")) as f:
        return "call_begin(KEYS)\n" + f.read()


def script_source(name):
    """lua/<name>.lua as an EVAL script, as the build embeds it: the
    common part, call_begin(KEYS), then the script."""
    return _common_source() + _body(name)


def library_source(suffix, names=("hold_batch",)):
    """Scripts `names` as one Functions library usher_<suffix> with
    functions <name>_<suffix>, made as the build makes usherd's (there
    the suffix is a hash of the sources)."""
    out = ["#!lua name=usher_%s\nlocal register_function = redis.register_function\n"
           % suffix, _common_source()]
    for n in names:
        out.append("register_function{function_name = '%s_%s', callback = "
                   "function(KEYS, ARGV)\n%s\nend}\n" % (n, suffix, _body(n)))
    return "".join(out)


# Every status each operation answered in the suite, for the check that
# proto/openapi.yaml declares each of them and that each declared one was
# seen (tests/spec/check_statuses.py). ctest sets USHER_OBSERVED to a file
# in the build tree; each line is "METHOD /route/{template} STATUS source".
OBSERVED = os.environ.get("USHER_OBSERVED")


def observe(method, route, status, source=None):
    """Records that `method route` (a route template of server/routes.c)
    answered `status`: for answers no usherd counts in its metrics (the
    wire layer's refusals, made before a request is routed)."""
    if OBSERVED:
        with open(OBSERVED, "a") as f:
            f.write("%s %s %d %s\n" % (method, route, status,
                                       source or os.path.basename(sys.argv[0])))


def observe_metrics(port):
    """Records every (route, method, code) the usherd on `port` counted in
    usher_http_requests_total, scraped from its /metrics."""
    if not OBSERVED:
        return
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
        c.close()
    except (OSError, http.client.HTTPException):
        return                      # gone (a crash test): nothing to add
    import re
    for route, method, code in re.findall(
            r'^usher_http_requests_total\{route="([^"]+)",method="([A-Z]+)",code="(\d+)"\} \d+$',
            text, re.M):
        if route != "unmatched":
            observe(method, route, int(code))
    observe("GET", "/metrics", 200)


def recv_until(sock, done=lambda got: False):
    """Reads from sock until done(bytes so far) holds, the peer closes or
    resets, or the socket's timeout passes; returns what came."""
    got = b""
    while not done(got):
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not chunk:
            break
        got += chunk
    return got


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A tiny RESP client, enough to inspect the final state of Redis."""

    def __init__(self, port, auth=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""
        if auth:
            self.cmd("AUTH", *auth)

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _read(self, nested=False):
        """One reply. An error reply raises RuntimeError; inside an array
        (nested) it is returned as a RuntimeError instead, so the rest of
        the array is still read."""
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+",):
            return rest.decode()
        if kind == b"-":
            if nested:
                return RuntimeError(rest.decode())
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(max(65536, n + 2 - len(self.buf)))
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode("utf-8", "surrogateescape")   # hold records are binary
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read(True) for _ in range(n)]
        raise RuntimeError("bad RESP: %r" % line)

    def cmd(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()


def free_cluster_port():
    """A free port p below 55536 whose cluster bus port p + 10000 is free
    too (Redis Cluster needs both)."""
    import random
    for _ in range(200):
        p = random.randint(20000, 55000)
        try:
            with socket.socket() as a, socket.socket() as b:
                a.bind(("127.0.0.1", p))
                b.bind(("127.0.0.1", p + 10000))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port pair for a cluster node")


def crc16(data):
    """CRC16-XMODEM, the Redis Cluster key hash."""
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xffff if crc & 0x8000 else (crc << 1) & 0xffff
    return crc


def key_slot(key):
    """The hash slot of `key`: of its {tag} when it has a non-empty one."""
    k = key.encode() if isinstance(key, str) else key
    i = k.find(b"{")
    if i >= 0:
        j = k.find(b"}", i + 1)
        if j > i + 1:
            k = k[i + 1:j]
    return crc16(k) % 16384


class ClusterRedis:
    """Redis-like client for a cluster: each command goes to the primary of
    its key's slot (following MOVED), commands without a key to every
    primary (SCRIPT, FUNCTION, FLUSHALL: the first reply is returned)."""

    BROADCAST = {"SCRIPT", "FUNCTION", "FLUSHALL", "FLUSHDB", "CONFIG"}

    def __init__(self, ports, auth=None):
        self.seeds = list(ports)
        self.auth = auth
        self.conns = {}
        self.map = {}
        self.refresh()

    def _conn(self, port):
        if port not in self.conns:
            self.conns[port] = Redis(port, self.auth)
        return self.conns[port]

    def refresh(self):
        for port in self.seeds + list(self.conns):
            try:
                slots = self._conn(port).cmd("CLUSTER", "SLOTS")
            except (OSError, RuntimeError, ConnectionError):
                self.conns.pop(port, None)
                continue
            self.map = {}
            for first, last, primary, *_ in slots:
                for s in range(first, last + 1):
                    self.map[s] = primary[1]
            return
        raise RuntimeError("no cluster node answers CLUSTER SLOTS")

    def primaries(self):
        return sorted(set(self.map.values()))

    def node_of(self, key):
        return self.map[key_slot(key)]

    def close(self):
        for c in self.conns.values():
            c.close()
        self.conns = {}

    def _key(self, args):
        name = str(args[0]).upper()
        if name in ("EVAL", "EVALSHA", "FCALL", "FCALL_RO"):
            return args[3] if len(args) > 3 and int(args[2]) > 0 else None
        return args[1] if len(args) > 1 else None

    def cmd(self, *args):
        if str(args[0]).upper() in self.BROADCAST:
            out = [self._conn(p).cmd(*args) for p in self.primaries()]
            return out[0]
        key = self._key(args)
        port = self.node_of(key) if key is not None else self.primaries()[0]
        for _ in range(5):
            try:
                return self._conn(port).cmd(*args)
            except RuntimeError as ex:
                text = str(ex)
                if text.startswith("MOVED "):
                    self.refresh()
                    port = int(text.rsplit(":", 1)[1])
                    continue
                if text.startswith("ASK "):
                    c = self._conn(int(text.rsplit(":", 1)[1]))
                    c.cmd("ASKING")
                    return c.cmd(*args)
                raise
        raise RuntimeError("too many redirections for %r" % (args,))


class RedisCluster:
    """A Redis Cluster on loopback: `primaries` primaries and `replicas`
    replicas of each, AOF on, cluster-node-timeout 2000, in `dir`. Every
    process is stopped by stop()."""

    def __init__(self, args, dir, log, primaries=3, replicas=0, auth=None):
        self.args = args
        self.dir = dir
        self.log = log
        self.auth = auth
        self.ports = [free_cluster_port() for _ in range(primaries * (1 + replicas))]
        self.primaries, self.replicas = primaries, replicas
        self.procs = {}

    def start_node(self, port):
        d = os.path.join(self.dir, "node-%d" % port)
        os.makedirs(d, exist_ok=True)
        conf = ["--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                "--daemonize", "no", "--cluster-enabled", "yes",
                "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                "--appendonly", "yes", "--save", ""]
        if self.auth:
            conf += ["--requirepass", self.auth[1], "--masterauth", self.auth[1]]
        self.procs[port] = subprocess.Popen([self.args.redis_server] + conf,
                                            stdout=self.log("redis-%d.log" % port),
                                            stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                r = Redis(port, self.auth)
                if r.cmd("PING") == "PONG":
                    r.close()
                    return
            except (OSError, RuntimeError):
                time.sleep(0.05)
        raise RuntimeError("cluster node %d did not start" % port)

    def start(self):
        for p in self.ports:
            self.start_node(p)
        cli = shutil.which("redis-cli")
        if not cli:
            raise RuntimeError("redis-cli is needed to create the cluster")
        cmd = [cli] + (["-a", self.auth[1], "--no-auth-warning"] if self.auth else []) + \
            ["--cluster", "create"] + ["127.0.0.1:%d" % p for p in self.ports] + \
            ["--cluster-replicas", str(self.replicas), "--cluster-yes"]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if out.returncode != 0:
            raise RuntimeError("redis-cli --cluster create failed: %s" % out.stdout[-2000:])
        self.wait_ok()
        return self

    def info(self, port, section):
        r = Redis(port, self.auth)
        try:
            text = r.cmd("INFO", section) if section != "cluster" else r.cmd("CLUSTER", "INFO")
        finally:
            r.close()
        return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)

    def wait_ok(self, timeout=30):
        """Every live node says cluster_state:ok, and every replica's link
        to its primary is up."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                live = [p for p, pr in self.procs.items() if pr.poll() is None]
                if all(self.info(p, "cluster").get("cluster_state") == "ok" for p in live):
                    repl = [self.info(p, "replication") for p in live]
                    if all(i.get("master_link_status", "up") == "up" for i in repl if
                           i.get("role") == "slave"):
                        return
            except (OSError, RuntimeError, ConnectionError):
                pass
            time.sleep(0.1)
        raise RuntimeError("the cluster did not become ok")

    def client(self):
        return ClusterRedis([p for p, pr in self.procs.items() if pr.poll() is None], self.auth)

    def url(self):
        return "redis-cluster://%s%s" % ("%s:%s@" % self.auth if self.auth else "",
                                         ",".join("127.0.0.1:%d" % p for p in self.ports[:2]))

    def kill(self, port):
        p = self.procs.get(port)
        if p and p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait(timeout=10)

    def stop(self):
        for port in list(self.procs):
            self.kill(port)
        self.procs = {}


# USHER_USHERD_FLAGS: more flags for every usherd a suite starts (ctest's
# integration_*_threads entries: "--threads 2").
EXTRA_FLAGS = os.environ.get("USHER_USHERD_FLAGS", "").split()

# USHER_CLUSTER=1 runs a suite's stacks on a 3-primary Redis Cluster
# instead of one redis-server (ctest's integration_*_cluster entries).
CLUSTER = os.environ.get("USHER_CLUSTER") == "1"


class Client:
    """One keep-alive HTTP/1.1 connection to usherd."""

    def __init__(self, port, timeout=10):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def close(self):
        self.conn.close()

    def request(self, method, path, body=None, headers=None, raw=None):
        """Returns (status, parsed JSON body or None, headers dict)."""
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=data, headers=hdrs)
                resp = self.conn.getresponse()
                text = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                       timeout=self.timeout)
                if attempt:
                    raise
        parsed = None
        if text:
            parsed = json.loads(text)
        return resp.status, parsed, {k.lower(): v for k, v in resp.getheaders()}


class Stack:
    """redis-server + usherd on free loopback ports, in a temp directory."""

    def __init__(self, args, usherd_flags=(), redis_conf=None, redis_auth=None,
                 cluster=None):
        """redis_conf: a redis.conf to start from (port, bind, dir and the
        unix socket are still set here); redis_auth: (user, password);
        cluster: None (USHER_CLUSTER decides), or (primaries, replicas) for
        a Redis Cluster instead of one redis-server."""
        self.args = args
        self.usherd_flags = EXTRA_FLAGS + list(usherd_flags)
        self.redis_conf = redis_conf
        self.redis_auth = redis_auth
        self.dir = tempfile.mkdtemp(prefix="usher-test-")
        self.redis_port = free_port()
        self.redis_socket = os.path.join(self.dir, "redis.sock")
        self.redis_url = "redis://%s127.0.0.1:%d" % (
            "%s:%s@" % redis_auth if redis_auth else "", self.redis_port)
        self.http_port = free_port()
        self.redis_proc = None
        self.usherd_proc = None
        self._logs = []
        if cluster is None and CLUSTER and not redis_conf:
            cluster = (3, 0)
        self.cluster = None
        if cluster:
            self.cluster = RedisCluster(args, self.dir, self._log, cluster[0], cluster[1],
                                        redis_auth)
            self.redis_url = self.cluster.url()
        self.extra = []
        self.extra_ports = []
        _live.append(self)

    def _log(self, name):
        f = open(os.path.join(self.dir, name), "ab")
        self._logs.append(f)
        return f

    # -- redis -----------------------------------------------------------
    def start_redis(self):
        if self.cluster:
            self.cluster.start()
            return
        conf = [self.redis_conf] if self.redis_conf else ["--save", "", "--appendonly", "no"]
        self.redis_proc = subprocess.Popen(
            [self.args.redis_server] + conf + ["--port", str(self.redis_port),
             "--bind", "127.0.0.1",
             "--dir", self.dir, "--daemonize", "no", "--protected-mode", "yes",
             "--unixsocket", self.redis_socket, "--unixsocketperm", "700"],
            stdout=self._log("redis.log"), stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                r = self.redis()
                if r.cmd("PING") == "PONG":
                    r.close()
                    return
            except (OSError, RuntimeError):
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop_redis(self):
        """kill -9, also of a Redis a test paused with SIGSTOP."""
        if self.cluster:
            self.cluster.stop()
        if self.redis_proc and self.redis_proc.poll() is None:
            self.redis_proc.send_signal(signal.SIGCONT)
            self.redis_proc.kill()
            self.redis_proc.wait(timeout=10)
        self.redis_proc = None

    def redis(self):
        if self.cluster:
            return self.cluster.client()
        return Redis(self.redis_port, self.redis_auth)

    # -- usherd ----------------------------------------------------------
    def start_usherd(self, wait_ready=True):
        self.usherd_log = os.path.join(self.dir, "usherd.log")
        self.usherd_proc = subprocess.Popen(
            VALGRIND + [self.args.usherd, "--listen", "127.0.0.1:%d" % self.http_port,
             "--redis", self.redis_url,
             "--sweep-interval", "200"] + VALGRIND_FLAGS + self.usherd_flags,
            stdout=subprocess.DEVNULL, stderr=self._log("usherd.log"))
        if wait_ready:
            self.wait_ready()

    def wait_ready(self, timeout=30 if VALGRIND else 10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.usherd_proc.poll() is not None:
                raise RuntimeError("usherd exited: " + self.log_tail())
            try:
                c = Client(self.http_port, timeout=2)
                st, _, _ = c.request("GET", "/readyz")
                c.close()
                if st == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("usherd not ready: " + self.log_tail())

    def kill_usherd(self):
        """kill -9: no clean-up of any kind."""
        p, self.usherd_proc = self.usherd_proc, None
        if p and p.poll() is None:
            p.kill()
            p.wait(timeout=10)

    def stop_usherd(self):
        """SIGTERM, then SIGKILL after 10 s. Returns usherd's exit code."""
        p, self.usherd_proc = self.usherd_proc, None
        if not p:
            return None
        if p.poll() is None:
            observe_metrics(self.http_port)
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                return p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise RuntimeError("usherd did not stop on SIGTERM")
        return p.returncode

    def log_tail(self):
        try:
            with open(self.usherd_log, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def client(self):
        return Client(self.http_port)

    def start(self):
        self.start_redis()
        self.start_usherd()
        return self

    def add_usherd(self):
        """Starts one more usherd on the same Redis; returns its port."""
        port = free_port()
        p = subprocess.Popen(
            VALGRIND + [self.args.usherd, "--listen", "127.0.0.1:%d" % port,
             "--redis", self.redis_url] + self.usherd_flags,
            stdout=subprocess.DEVNULL, stderr=self._log("usherd-%d.log" % port))
        self.extra.append(p)
        self.extra_ports.append(port)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = Client(port, timeout=2)
                st, _, _ = c.request("GET", "/readyz")
                c.close()
                if st == 200:
                    return port
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("extra usherd not ready")

    def stop(self):
        """Stops everything this stack started. usherd gets SIGTERM first, so
        a sanitizer build reports leaks; any sanitizer report in a log fails
        the caller with RuntimeError."""
        reports = []
        for port, p in zip(self.extra_ports + [self.http_port], self.extra + [self.usherd_proc]):
            if p and p.poll() is None:
                observe_metrics(port)
        try:
            for p in self.extra + [self.usherd_proc]:
                if p and p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait(timeout=10)
                        reports.append("usherd did not stop on SIGTERM")
        finally:
            self.extra = []
            self.extra_ports = []
            self.usherd_proc = None
            self.stop_redis()
            if self in _live:
                _live.remove(self)
            for f in self._logs:
                f.close()
            for name in os.listdir(self.dir) if os.path.isdir(self.dir) else []:
                if name.startswith("usherd"):
                    with open(os.path.join(self.dir, name), "rb") as f:
                        text = f.read().decode(errors="replace")
                    bad_vg = VALGRIND and ("ERROR SUMMARY: 0 errors" not in text or
                                           "definitely lost: " in text and
                                           "definitely lost: 0 bytes" not in text)
                    if "Sanitizer" in text or "runtime error:" in text or bad_vg:
                        reports.append(name + ":\n" + text[-6000:])
            shutil.rmtree(self.dir, ignore_errors=True)
        if reports:
            raise RuntimeError("\n".join(reports))


def theatre(sections=2, rows=3, seats=10, **settings):
    """A seat map of sections x rows x seats in range form."""
    body = {"name": "Test Theatre", "sections": []}
    body.update(settings)
    for s in range(sections):
        sec = "S%d" % s
        body["sections"].append({
            "id": sec, "name": "Section %d" % s,
            "rows": [{"id": "R%d" % r, "range": {"from": 1, "to": seats}}
                     for r in range(rows)]})
    return body

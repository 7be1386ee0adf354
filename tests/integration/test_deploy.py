"""The files of deploy/ checked against the real binary and real tools:

- the systemd unit passes `systemd-analyze verify` and scores at most 2.0
  on `systemd-analyze security --offline`;
- the Dockerfile's runtime stage installs exactly the packages that own
  the libraries `ldd usherd` names (beyond the base image's libc), and its
  build stage builds usherd from only the paths it copies;
- nginx with deploy/nginx/usher.conf in front of two usherd on loopback:
  a swarm through it leaves clean books and reaches both, and usherd
  takes the buyer's address from X-Forwarded-For only as nginx sent it;
- the Kubernetes manifests and the compose file: probes (liveness never
  asks Redis), limits, a non-root user matching the image's, and every
  USHER_* setting a variable usherd knows, with a value it accepts.

Every process started here is stopped in tearDown/finally."""
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import yaml

import harness
from test_cluster import Swarm

ARGS, ARGV = harness.parse_args()
ROOT = harness.ROOT
DEPLOY = os.path.join(ROOT, "deploy")
# debian:bookworm-slim has these; the Dockerfile need not install them
BASE_PACKAGES = {"libc6"}


def usherd_envs():
    """The USHER_* variables `usherd --help` names."""
    out = subprocess.run([ARGS.usherd, "--help"], capture_output=True, text=True).stdout
    return set(re.findall(r"\b(USHER_[A-Z_]+)\b", out))


def usherd_accepts(env):
    """Whether usherd takes these settings: it reads the environment before
    --version, and refuses a bad value with exit code 2."""
    run = subprocess.run([ARGS.usherd, "--version"], env=dict(os.environ, **env),
                         capture_output=True, text=True)
    return run.returncode == 0, run.stderr.strip()


class SystemdUnit(unittest.TestCase):
    UNIT = os.path.join(DEPLOY, "systemd", "usherd.service")

    def setUp(self):
        self.assertTrue(shutil.which("systemd-analyze"), "systemd-analyze is needed")
        self.dir = tempfile.mkdtemp(prefix="usher-unit-")
        with open(self.UNIT) as f:
            text = f.read()
        # the unit names the installed path; check it against this build
        self.path = os.path.join(self.dir, "usherd.service")
        with open(self.path, "w") as f:
            f.write(text.replace("/usr/local/bin/usherd", os.path.abspath(ARGS.usherd)))

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_verify_is_clean(self):
        run = subprocess.run(["systemd-analyze", "verify", self.path],
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual((run.stdout + run.stderr).strip(), "",
                         "systemd-analyze verify has remarks")

    def test_security_exposure(self):
        run = subprocess.run(["systemd-analyze", "security", "--offline=true", self.path],
                             capture_output=True, text=True, timeout=60)
        m = re.search(r"Overall exposure level for usherd.service: ([0-9.]+)", run.stdout)
        self.assertIsNotNone(m, run.stdout[-2000:] + run.stderr)
        print("\nsystemd-analyze security: %s" % m.group(1))
        self.assertLessEqual(float(m.group(1)), 2.0)
        with open(self.UNIT) as f:
            unit = f.read()
        for must in ("DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
                     "SystemCallFilter=@system-service", "LimitNOFILE=", "CapabilityBoundingSet=\n"):
            self.assertIn(must, unit)


def dockerfile_stages():
    """[(base image, [instructions])] of deploy/docker/Dockerfile."""
    with open(os.path.join(DEPLOY, "docker", "Dockerfile")) as f:
        text = re.sub(r"\\\n", " ", f.read())
    stages = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append((line.split()[1], []))
        else:
            stages[-1][1].append(line)
    return stages


def build_stage(work):
    """The Dockerfile's build stage outside Docker: its COPY list into an
    empty directory `work`, then its cmake steps. Returns the usherd it
    built, or raises AssertionError with the build's output."""
    _, steps = dockerfile_stages()[0]
    for s in steps:
        if s.startswith("COPY "):
            src, dst = s.split()[1], s.split()[2]
            target = os.path.join(work, dst if dst not in ("./", ".") else src)
            full = os.path.join(ROOT, src)
            if os.path.isdir(full):
                shutil.copytree(full, target, ignore=shutil.ignore_patterns("build*"))
            else:
                shutil.copy(full, target)
    run = [s[4:] for s in steps if s.startswith("RUN cmake")]
    assert len(run) == 1, run
    cmd = run[0].replace('"$(nproc)"', str(os.cpu_count() or 2))
    out = subprocess.run(["bash", "-c", cmd], cwd=work, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return os.path.join(work, "build", "usherd")


class Dockerfile(unittest.TestCase):
    """The image as its Dockerfile makes it: the build stage run from only
    what it copies (a path the build needs and the stage does not copy
    fails here), and that binary's libraries against the runtime stage's
    packages (the suite's own usherd may be a sanitizer build)."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="usher-docker-")
        try:
            cls.usherd = build_stage(cls.work)
        except BaseException:
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    def test_build_stage_builds_from_what_it_copies(self):
        self.assertTrue(os.access(self.usherd, os.X_OK))
        run = subprocess.run([self.usherd, "--version"], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_runtime_packages_are_the_binarys_libraries(self):
        base, steps = dockerfile_stages()[-1]
        self.assertTrue(base.startswith("debian:bookworm-slim"), base)
        installs = [s for s in steps if "apt-get install" in s]
        self.assertEqual(len(installs), 1)
        listed = {w for w in installs[0].split("apt-get install", 1)[1].split("&&")[0].split()
                  if not w.startswith("-")}
        needed = set()
        ldd = subprocess.run(["ldd", self.usherd], capture_output=True, text=True).stdout
        for lib in re.findall(r"=> (/\S+)", ldd):
            owner = None
            for path in (os.path.realpath(lib), lib):
                run = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
                if run.returncode == 0:
                    owner = run.stdout.split(":")[0]
                    break
            self.assertIsNotNone(owner, "no Debian package owns %s" % lib)
            needed.add(owner)
        self.assertEqual(listed, needed - BASE_PACKAGES,
                         "runtime packages %s, but usherd links %s" % (listed, needed))

    def test_runs_as_the_manifests_user(self):
        _, steps = dockerfile_stages()[-1]
        user = [s.split()[1] for s in steps if s.startswith("USER ")]
        self.assertEqual(user, ["10001:10001"])
        with open(os.path.join(DEPLOY, "k8s", "usher.yaml")) as f:
            dep = next(d for d in yaml.safe_load_all(f) if d["kind"] == "Deployment")
        sc = dep["spec"]["template"]["spec"]["securityContext"]
        self.assertEqual((sc["runAsUser"], sc["runAsGroup"]), (10001, 10001))
        self.assertTrue(sc["runAsNonRoot"])


def nginx_config(dirname, listen, upstreams, bind):
    """deploy/nginx/usher.conf on loopback: its upstream servers replaced
    by `upstreams`, its listen by `listen`, nginx's own address to the
    usherd `bind` (so that usherd can tell nginx from a buyer), inside a
    minimal main configuration rooted in dirname."""
    with open(os.path.join(DEPLOY, "nginx", "usher.conf")) as f:
        conf = f.read()
    conf = re.sub(r"(?m)^    server usherd-\d+:8080 max_fails=0;\n", "", conf)
    conf = conf.replace("    least_conn;\n", "    least_conn;\n" + "".join(
        "    server %s max_fails=0;\n" % u for u in upstreams))
    conf = conf.replace("listen 80 backlog=4096;", "listen %s backlog=4096;" % listen)
    conf = conf.replace("        proxy_pass http://usherd;\n",
                        "        proxy_pass http://usherd;\n        proxy_bind %s;\n" % bind)
    with open(os.path.join(dirname, "usher.conf"), "w") as f:
        f.write(conf)
    main = ["daemon off;", "worker_processes 1;", "pid %s/nginx.pid;" % dirname,
            "error_log %s/error.log warn;" % dirname, "events { worker_connections 1024; }",
            "http {", "  access_log off;"]
    if os.geteuid() == 0:
        main.insert(0, "user root;")
    for t in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        main.append("  %s_temp_path %s/%s;" % (t, dirname, t))
    main += ["  include %s/usher.conf;" % dirname, "}"]
    with open(os.path.join(dirname, "nginx.conf"), "w") as f:
        f.write("\n".join(main) + "\n")
    return conf


class LoadBalancer(unittest.TestCase):
    def setUp(self):
        self.assertTrue(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"),
                        "nginx is needed (tests/run.sh installs it)")
        self.nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        self.stack = harness.Stack(ARGS, usherd_flags=["--trusted-proxies", "127.0.0.2"])
        self.nginx = None
        try:
            self.logs = [os.path.join(self.stack.dir, "access-a.log"),
                         os.path.join(self.stack.dir, "access-b.log")]
            self.stack.usherd_flags += ["--access-log", self.logs[0]]
            self.stack.start()
            self.stack.usherd_flags[-1] = self.logs[1]
            self.port_b = self.stack.add_usherd()
            self.port = harness.free_port()
            ndir = os.path.join(self.stack.dir, "nginx")
            os.makedirs(ndir)
            nginx_config(ndir, "127.0.0.1:%d" % self.port,
                         ["127.0.0.1:%d" % p for p in (self.stack.http_port, self.port_b)],
                         "127.0.0.2")
            self.nginx = subprocess.Popen([self.nginx_bin, "-p", ndir, "-c",
                                           os.path.join(ndir, "nginx.conf")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    st, _, _ = harness.Client(self.port, timeout=2).request("GET", "/readyz")
                    if st == 200:
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise RuntimeError("nginx did not come up")
        except Exception:
            self.tearDown()
            raise

    def tearDown(self):
        try:
            if self.nginx and self.nginx.poll() is None:
                self.nginx.terminate()
                try:
                    self.nginx.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.nginx.kill()
                    self.nginx.wait(timeout=10)
        finally:
            self.stack.stop()

    def request_from(self, source, port, path, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                       source_address=(source, 0))
        try:
            c.request("GET", path, headers=headers or {})
            r = c.getresponse()
            r.read()
            return r.status
        finally:
            c.close()

    def clients_logged(self, route):
        """The client addresses both usherd logged for `route`."""
        time.sleep(0.5)          # the access log is written by a thread
        out = []
        for log in self.logs:
            if os.path.exists(log):
                with open(log) as f:
                    out += [json.loads(l)["client"] for l in f
                            if l.strip() and json.loads(l)["route"] == route]
        return out

    def test_swarm_through_nginx_reaches_both_and_the_books_are_clean(self):
        c = harness.Client(self.port)
        st, b, _ = c.request("PUT", "/v1/events/lb", harness.theatre(sections=1, rows=10, seats=20))
        self.assertEqual(st, 201, b)
        c.close()
        sw = Swarm(self.stack, "lb", ["S0-R%d-%d" % (r, s) for r in range(10) for s in range(1, 21)],
                   threads=6, rounds=150, release_every=3, port=self.port)
        sw.start()
        sw.join(stop=False)
        seats = [s for s, _ in sw.sold]
        self.assertGreater(len(seats), 0, sw.codes)
        self.assertEqual(len(seats), len(set(seats)), "a seat sold twice")
        r = self.stack.redis()
        try:
            owners = dict(zip(*[iter(r.cmd("HGETALL", "usher:{lb}:owner"))] * 2))
            status = r.cmd("GET", "usher:{lb}:status")
        finally:
            r.close()
        for seat, order in sw.sold:
            self.assertEqual(owners.get(seat), order, "acknowledged sale of %s lost" % seat)
        self.assertEqual(status.count("r"), len(sw.sold))
        self.assertEqual(set(sw.codes) - {200, 201, 204, 409}, set(), sw.codes)
        # least_conn spread the swarm over both usherd
        for port in (self.stack.http_port, self.port_b):
            c = harness.Client(port)
            c.conn.request("GET", "/metrics")
            text = c.conn.getresponse().read().decode()
            c.close()
            served = sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
                         if l.startswith('usher_http_requests_total{route="/v1/events/{event}/holds"'))
            self.assertGreater(served, 0, "usherd on %d got nothing from nginx" % port)
        print("\nswarm through nginx: answers %s, %d sold" % (sw.codes, len(sw.sold)))

    def test_forwarded_for_is_believed_only_from_nginx(self):
        spoof = {"X-Forwarded-For": "6.6.6.6"}
        # a buyer at 127.0.0.3 through nginx (which connects from 127.0.0.2)
        self.assertEqual(self.request_from("127.0.0.3", self.port, "/healthz", spoof), 200)
        # the same buyer straight to a usherd, claiming another address
        self.assertEqual(self.request_from("127.0.0.3", self.stack.http_port, "/healthz", spoof),
                         200)
        via = self.clients_logged("/healthz")
        # through nginx: the address nginx appended (not nginx's, not the
        # claim); direct: the peer (logged with its port), the claim ignored
        self.assertEqual(sorted(v.rsplit(":", 1)[0] if v.count(":") == 1 else v for v in via),
                         ["127.0.0.3", "127.0.0.3"], via)
        self.assertIn("127.0.0.3", via)


class Manifests(unittest.TestCase):
    def load(self, *path):
        with open(os.path.join(DEPLOY, *path)) as f:
            return [d for d in yaml.safe_load_all(f) if d]

    def test_kubernetes(self):
        docs = {d["kind"]: d for d in self.load("k8s", "usher.yaml")}
        self.assertEqual(set(docs), {"ConfigMap", "Secret", "Deployment", "Service",
                                     "PodDisruptionBudget", "HorizontalPodAutoscaler"})
        pod = docs["Deployment"]["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/healthz",
                         "liveness must never depend on Redis")
        self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/readyz")
        self.assertEqual(c["startupProbe"]["httpGet"]["path"], "/healthz")
        for k in ("requests", "limits"):
            self.assertIn("cpu", c["resources"][k])
            self.assertIn("memory", c["resources"][k])
        pause = int(c["lifecycle"]["preStop"]["exec"]["command"][-1])
        # room for the pause, usherd's drain and its 10 s of SIGTERM grace
        self.assertGreaterEqual(pod["terminationGracePeriodSeconds"], pause + 15)
        self.assertFalse(c["securityContext"]["allowPrivilegeEscalation"])
        self.assertTrue(c["securityContext"]["readOnlyRootFilesystem"])
        # settings: names usherd knows, values it accepts
        env = dict(docs["ConfigMap"]["data"])
        env.update({e["name"]: e["value"] for e in c.get("env", [])})
        self.assertEqual(set(env) - usherd_envs(), set())
        ok, why = usherd_accepts({k: v for k, v in env.items() if k != "USHER_KEYS_FILE"})
        self.assertTrue(ok, why)
        mount = next(m for m in c["volumeMounts"] if m["name"] == "keys")
        self.assertTrue(env["USHER_KEYS_FILE"].startswith(mount["mountPath"] + "/"))
        self.assertIn(env["USHER_KEYS_FILE"].rsplit("/", 1)[1], docs["Secret"]["stringData"])
        self.assertEqual(docs["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"],
                         docs["Deployment"]["metadata"]["name"])

    def test_compose(self):
        (doc,) = self.load("docker", "compose.yaml")
        services = doc["services"]
        usherds = sorted(n for n in services if n.startswith("usherd"))
        self.assertGreaterEqual(len(usherds), 2)
        for n in usherds:
            env = services[n]["environment"]
            self.assertEqual(set(env) - usherd_envs(), set())
            ok, why = usherd_accepts(env)
            self.assertTrue(ok, why)
        with open(os.path.join(DEPLOY, "nginx", "usher.conf")) as f:
            upstreams = re.findall(r"(?m)^    server (usherd-\d+):8080", f.read())
        self.assertEqual(sorted(upstreams), usherds)
        # its Redis runs with what deploy/redis/redis.conf (the tested
        # configuration) says about durability, eviction and encodings
        with open(os.path.join(DEPLOY, "redis", "redis.conf")) as f:
            conf = dict(l.split(None, 1) for l in f.read().splitlines()
                        if l.strip() and not l.startswith("#"))
        cmd = services["redis"]["command"]
        given = dict(zip(cmd[1::2], cmd[2::2]))
        for k in ("appendonly", "appendfsync", "maxmemory-policy",
                  "hash-max-listpack-entries", "zset-max-listpack-entries"):
            self.assertEqual(given.get("--" + k), conf[k].strip(), k)


if __name__ == "__main__":
    unittest.main(argv=ARGV, verbosity=2)

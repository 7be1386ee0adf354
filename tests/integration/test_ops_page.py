"""The ops seat-map page in headless Chromium (tests/browser/ops_page.mjs,
playwright-core driving Debian's chromium) against the real usherd and
redis-server: the page draws a 2,000-seat venue and its seats change colour
within 2 seconds of holds, sales and blocks made through the API; then the
same on a usherd with API keys, the page opened with its key in the URL
fragment (and the events index with it). Exits 77
(ctest: skipped) with the reason when chromium or playwright-core is not
installed; tests/run.sh installs both."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import harness

ARGS, _ = harness.parse_args()
HERE = os.path.dirname(os.path.abspath(__file__))
BROWSER = os.path.join(os.path.dirname(HERE), "browser")


def main():
    if not shutil.which("chromium") or not os.path.exists("/usr/bin/chromium"):
        print("SKIPPED: chromium is not installed (apt-get install chromium)")
        return 77
    if not os.path.isdir(os.path.join(BROWSER, "node_modules", "playwright-core")):
        print("SKIPPED: playwright-core is not installed (npm ci --prefix tests/browser)")
        return 77
    rc = run_page("ops-seat-map.png", ())
    if rc != 0:
        return rc
    return run_page("ops-seat-map-keys.png", (CHECKOUT, ADMIN))


CHECKOUT = "checkout-key-for-the-ops-page-0123"
ADMIN = "admin-key-for-the-ops-page-456789"


def run_page(shot_name, keys):
    flags = []
    if keys:
        keys_file = os.path.join(tempfile.mkdtemp(prefix="usher-ops-keys-"), "keys")
        with open(keys_file, "w") as f:
            f.write("checkout:%s\nadmin:%s\n" % keys)
        flags = ["--keys", keys_file]
    stack = harness.Stack(ARGS, flags + ["--queue-secret", "ops-page-test-queue-secret"]).start()
    try:
        c = stack.client()
        sections = [
            {"id": "S%d" % s, "name": "Section %d" % s,
             "rows": [{"id": str(r), "range": {"from": 1, "to": 25}} for r in range(1, 21)]}
            for s in range(1, 5)]
        # the last row of section 1 with an accessible place at its end
        sections[0]["rows"][-1] = {"id": "20", "seats": [
            {"id": "S1-20-%d" % n, "accessible": n == 25} for n in range(1, 26)]}
        sections.append({"id": "floor", "name": "Floor", "capacity": 500})
        st, b, _ = c.request("PUT", "/v1/events/opsdemo", {"name": "Ops demo", "sections": sections},
                             headers={"Authorization": "Bearer " + keys[1]} if keys else None)
        assert st == 201, b
        # an event with a waiting room of three, opening its sale in an hour
        auth = {"Authorization": "Bearer " + keys[1]} if keys else None
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        st, b, _ = c.request("PUT", "/v1/events/opsq", {"name": "Queued", "queue": {
            "onsale_at": later, "admit_per_min": 60}, "sections": [
            {"id": "S", "rows": [{"id": "1", "range": {"from": 1, "to": 10}}]}]}, headers=auth)
        assert st == 201, b
        for _ in range(3):
            st, b, _ = c.request("POST", "/v1/events/opsq/queue", headers=auth)
            assert st == 201, b
        if keys:   # the page's data needs the key
            st, b, _ = c.request("GET", "/v1/events/opsdemo/seats")
            assert st == 401, (st, b)
        shot = os.path.join(os.getcwd(), shot_name)
        p = subprocess.run(["node", os.path.join(BROWSER, "ops_page.mjs"),
                            "http://127.0.0.1:%d" % stack.http_port, "opsdemo", shot, *keys],
                           capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, QUEUE_EVENT="opsq"))
        print(p.stdout + p.stderr)
        print("screenshot:", shot)
        return p.returncode
    finally:
        stack.stop()
        if keys:
            shutil.rmtree(os.path.dirname(keys_file), ignore_errors=True)

if __name__ == "__main__":
    sys.exit(main())

"""The ops seat-map page in headless Chromium (tests/browser/ops_page.mjs,
playwright-core driving Debian's chromium) against the real usherd and
redis-server: the page draws a 2,000-seat venue and its seats change colour
within 2 seconds of holds, sales and blocks made through the API. Exits 77
(ctest: skipped) with the reason when chromium or playwright-core is not
installed; tests/run.sh installs both."""
import os
import shutil
import subprocess
import sys

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
    stack = harness.Stack(ARGS).start()
    try:
        c = stack.client()
        st, b, _ = c.request("PUT", "/v1/events/opsdemo", {"name": "Ops demo", "sections": [
            {"id": "S%d" % s, "name": "Section %d" % s,
             "rows": [{"id": str(r), "range": {"from": 1, "to": 25}} for r in range(1, 21)]}
            for s in range(1, 5)]})
        assert st == 201, b
        shot = os.path.join(os.getcwd(), "ops-seat-map.png")
        p = subprocess.run(["node", os.path.join(BROWSER, "ops_page.mjs"),
                            "http://127.0.0.1:%d" % stack.http_port, "opsdemo", shot],
                           capture_output=True, text=True, timeout=120)
        print(p.stdout + p.stderr)
        print("screenshot:", shot)
        return p.returncode
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())

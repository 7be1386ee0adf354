"""Keeps proto/openapi.yaml in step with the code: every route of the
table in server/routes.c is in the spec with its method and vice versa, and
the spec's error code enum is exactly the table in server/errors.c.
Stdlib only: the YAML is read line by line, which is enough for this file's
layout (paths at two spaces of indent, methods at four)."""
import re
import sys
import unittest

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."


def read(path):
    with open("%s/%s" % (ROOT, path)) as f:
        return f.read()


def code_routes():
    src = read("server/routes.c")
    return {(m, p) for m, p in re.findall(r'\{"([A-Z]+)",\s+"(/[^"]*)"', src)}


def spec_routes():
    routes, path = set(), None
    for line in read("proto/openapi.yaml").splitlines():
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = m.group(1)
            continue
        if re.match(r"^\S", line):
            path = None
        m = re.match(r"^    (get|put|post|delete|patch):", line)
        if m and path:
            routes.add((m.group(1).upper(), path))
    return routes


class SpecInStep(unittest.TestCase):
    def test_routes(self):
        code, spec = code_routes(), spec_routes()
        self.assertGreaterEqual(len(code), 16)
        self.assertEqual(code - spec, set(), "routes missing from proto/openapi.yaml")
        self.assertEqual(spec - code, set(), "routes in the spec but not in routes.c")

    def test_error_codes(self):
        code = set(re.findall(r'= \{"([a-z_]+)",', read("server/errors.c")))
        spec = read("proto/openapi.yaml")
        start = spec.index("enum: [not_found")
        enum = set(re.findall(r"[a-z_]+", spec[start + 5:spec.index("]", start)]))
        self.assertGreaterEqual(len(code), 20)
        self.assertEqual(code, enum)

    def test_keys_documented_in_order(self):
        """lua/README.md's table of an event's keys names lua/keys.list's
        keys, in its order (the list is the one the code is made from)."""
        names = [l.strip() for l in read("lua/keys.list").splitlines()
                 if l.strip() and not l.strip().startswith("#")]
        doc = re.findall(r"^\| (\d+) \| `usher:\{E\}:(\w+)` \|", read("lua/README.md"), re.M)
        self.assertGreaterEqual(len(names), 12)
        self.assertEqual([n for _, n in doc], names)
        self.assertEqual([int(i) for i, _ in doc], list(range(1, len(names) + 1)))

    def test_scripts_documented(self):
        names = re.search(r"set\(USHER_SCRIPTS([^)]*)\)", read("CMakeLists.txt")).group(1).split()
        names = [n.split(":")[0] for n in names]     # order_get:ro: a no-writes function
        self.assertIn("hold_batch", names)
        doc = read("lua/README.md")
        for n in names:
            self.assertIn("| `%s` |" % n, doc, "lua/README.md does not describe %s" % n)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)

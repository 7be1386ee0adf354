"""Holds proto/openapi.yaml to what usherd answered in the suite, both
ways: every status an operation answered in some test is declared for it
in the spec, and every status the spec declares for an operation was seen
in some test (500 internal_error aside: out of memory cannot be provoked
from outside). The observations come from the integration tests
(harness.py): each usherd's usher_http_requests_total scraped before it
stops, plus the wire layer's refusals (made before routing, counted by no
route) that tests record themselves. Run by ctest after every
integration test; stdlib only, the YAML is read line by line like
check_spec.py.

Usage: check_statuses.py ROOT OBSERVED_FILE"""
import collections
import re
import sys
import unittest

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
OBSERVED = sys.argv[2] if len(sys.argv) > 2 else "observed-statuses"
NEVER_PROVOKED = {500}


def declared():
    ops, path, method = {}, None, None
    with open("%s/proto/openapi.yaml" % ROOT) as f:
        for line in f:
            line = line.rstrip("\n")
            m = re.match(r"^  (/\S*):\s*$", line)
            if m:
                path, method = m.group(1), None
                continue
            if re.match(r"^\S", line):
                path, method = None, None
                continue
            m = re.match(r"^    (get|put|post|delete|patch):\s*$", line)
            if m and path:
                method = m.group(1).upper()
                ops[(method, path)] = set()
                continue
            m = re.match(r'^        "(\d{3})":', line)
            if m and path and method:
                ops[(method, path)].add(int(m.group(1)))
    return ops


def observed():
    seen = collections.defaultdict(lambda: collections.defaultdict(set))
    with open(OBSERVED) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                seen[(parts[0], parts[1])][int(parts[2])].add(parts[3] if len(parts) > 3 else "?")
    return seen


class StatusesInStep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = declared()
        try:
            cls.seen = observed()
        except FileNotFoundError:
            raise unittest.SkipTest("no observations at %s: run the whole suite (ctest)" % OBSERVED)

    def test_enough_was_seen(self):
        # a run of a few tests only cannot judge the spec
        self.assertGreaterEqual(len(self.spec), 20)
        self.assertGreaterEqual(sum(len(v) for v in self.seen.values()), 150,
                                "too few observations: was the whole suite run?")

    def test_every_answered_status_is_declared(self):
        undeclared = []
        for op, codes in sorted(self.seen.items()):
            if op not in self.spec:
                undeclared.append("%s %s: not an operation of the spec" % op)
                continue
            for code, sources in sorted(codes.items()):
                if code not in self.spec[op]:
                    undeclared.append("%s %s answered %d (in %s)" % (op + (code, ", ".join(sorted(sources)))))
        self.assertEqual(undeclared, [], "statuses answered but not declared in proto/openapi.yaml")

    def test_every_declared_status_was_seen(self):
        unseen = []
        for op, codes in sorted(self.spec.items()):
            for code in sorted(codes - NEVER_PROVOKED):
                if code not in self.seen.get(op, {}):
                    unseen.append("%s %s %d" % (op + (code,)))
        self.assertEqual(unseen, [], "statuses declared in proto/openapi.yaml that no test saw")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)

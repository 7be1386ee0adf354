"""Keeps server/ layered: no two modules depend on each other, however
indirectly. A module is a .c file; it depends on the modules that define
the functions declared in the headers it includes (directly, or through
the headers those headers include), so a header declaring another file's
functions cannot hide a cycle. Header-only types and macros make no
dependency. Fails listing each cycle. Stdlib only: prototypes and
definitions are found by their shape (usherd's style puts a definition's
name at the start of a line, its return type on the same line).

Usage: check_layers.py ROOT"""
import os
import re
import sys
import unittest

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
SERVER = os.path.join(ROOT, "server")

# "type name(" at the start of a line: a prototype when the declaration
# ends with ";" before any "{", a definition when a "{" line follows.
PROTO = re.compile(r"^(?!static\b|typedef\b|#|\s)[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(", re.M)


def read(name):
    with open(os.path.join(SERVER, name)) as f:
        return f.read()


def names(text, definitions):
    """The functions text declares (a ";" ends the declaration before any
    "{"), or with `definitions` those it defines (a "{" comes first)."""
    found = set()
    for m in PROTO.finditer(text):
        rest = text[m.end():]
        semi, brace = rest.find(";"), rest.find("{")
        body_first = brace >= 0 and (semi < 0 or brace < semi)
        if body_first == definitions and (semi >= 0 or brace >= 0):
            found.add(m.group(1))
    return found


def declared(text):
    return names(text, False)


def defined(text):
    return names(text, True)


def includes(text):
    return re.findall(r'^#include "([^"]+)"', text, re.M)


def graph():
    files = sorted(f for f in os.listdir(SERVER) if f.endswith((".c", ".h")))
    headers = [f for f in files if f.endswith(".h")]
    sources = [f for f in files if f.endswith(".c")]
    owner = {}                                  # function -> module
    for c in sources:
        for fn in defined(read(c)):
            owner[fn] = c[:-2]
    # the headers each header brings in, itself included
    reach = {}

    def closure(h, seen):
        if h in seen or h not in headers:
            return
        seen.add(h)
        for inc in includes(read(h)):
            closure(inc, seen)
    for h in headers:
        reach[h] = set()
        closure(h, reach[h])
    deps = {}
    for c in sources:
        mod = c[:-2]
        hs = set()
        for inc in includes(read(c)):
            hs |= reach.get(inc, set())
        deps[mod] = {owner[fn] for h in hs for fn in declared(read(h))
                     if fn in owner and owner[fn] != mod}
    return deps


def cycles(deps):
    """The strongly connected components of more than one module
    (Tarjan), each sorted."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


class Layers(unittest.TestCase):
    def test_the_graph_is_read(self):
        deps = graph()
        self.assertGreaterEqual(len(deps), 20)
        self.assertIn("store", deps["api_common"] if "api_common" in deps else deps["http"])

    def test_no_module_depends_on_itself(self):
        found = cycles(graph())
        self.assertEqual(found, [], "modules of server/ that depend on each other: %s" % found)

    def test_the_check_sees_a_cycle(self):
        self.assertEqual(cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}), [["a", "b", "c"]])


if __name__ == "__main__":
    if "--graph" in sys.argv:
        for mod, ds in sorted(graph().items()):
            print(mod, "->", " ".join(sorted(ds)))
        sys.exit(0)
    unittest.main(argv=sys.argv[:1], verbosity=2)

#!/usr/bin/env python3
"""The concepts' import graph of shared/src, read from the code's own `crate::` paths (test modules
left out): how many concept folders import each other in one loop (the largest strongly connected
component), and every edge of it. Usage: scripts/imports.py [--edges]"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared", "src")
GENERIC = {"auth", "aws", "catalogue", "config", "domain", "error", "json", "limits", "metrics",
           "permissions", "pipeline", "store", "dns", "email"}
TOP = {"routes", "runtime", "house", "lib"}


def without_tests(text):
    i = text.find("#[cfg(test)]")
    return text if i < 0 else text[:i]


def paths(text):
    out = set()
    for m in re.finditer(r"crate::([a-z_]+)", text):
        out.add(m.group(1))
    # `use crate::{a, b::c}` trees
    for m in re.finditer(r"use crate::\{([^;]*)\};", text, re.S):
        for name in re.findall(r"(?:^|[{,]\s*)([a-z_]+)", m.group(1)):
            out.add(name)
    return out


edges = {}
for dirpath, _, names in os.walk(ROOT):
    for n in names:
        if not n.endswith(".rs"):
            continue
        rel = os.path.relpath(os.path.join(dirpath, n), ROOT)
        top = rel.split(os.sep)[0].removesuffix(".rs")
        if top in GENERIC or top in TOP:
            continue
        with open(os.path.join(dirpath, n)) as f:
            for target in paths(without_tests(f.read())):
                if target != top and target not in GENERIC and target not in TOP:
                    edges.setdefault(top, set()).add(target)

concepts = sorted(set(edges) | {t for ts in edges.values() for t in ts})
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]


def strong(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            strong(w)
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
        sccs.append(sorted(comp))


for c in concepts:
    if c not in index:
        strong(c)
largest = max(sccs, key=len)
n_edges = sum(len(v) for v in edges.values())
print(f"concept folders: {len(concepts)}; concept-to-concept imports: {n_edges}; "
      f"the largest loop: {len(largest)} folders ({', '.join(largest)})")
if "--edges" in sys.argv:
    for a in concepts:
        for b in sorted(edges.get(a, ())):
            print(f"  {a} -> {b}")

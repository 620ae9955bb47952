#!/usr/bin/env python3
"""The concepts' import graph, read from the code's own `crate::` paths (test modules left out), for
both crates: the service (shared/src) and the model under it (shared/model/src). For each, how many
concept folders import each other in one loop (the largest strongly connected component) and every
edge of it. In the service, a path through a concept's re-export of the model (`crate::orgs::item`,
`crate::roles::HeldRole`) is an import of the model, not of that concept: the compiler keeps the
model below. Usage: scripts/imports.py [--edges]"""
import os
import re
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared")
CRATES = {
    "service": (os.path.join(HERE, "src"),
                {"auth", "authorizer", "config", "dns", "email", "metrics", "pipeline",
                 # the model's layers, re-exported under their own names
                 "aws", "body", "catalogue", "credentials", "domain", "error", "json", "limits", "permissions",
                 "store"}),
    "model": (os.path.join(HERE, "model", "src"),
              {"aws", "body", "catalogue", "credentials", "domain", "error", "json", "limits", "permissions",
               "store", "testing"}),
}
TOP = {"routes", "runtime", "house", "lib"}


def without_tests(text):
    i = text.find("#[cfg(test)]")
    return text if i < 0 else text[:i]


def tree(text, prefix):
    """The paths of a `a::b::{c, d::e}` tree at the start of `text`, and how much was read."""
    path, i = list(prefix), 0
    while True:
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", text[i:])
        if m:
            path.append(m.group(0))
            i += m.end()
        if text[i:].startswith("::{"):
            i += 3
            out = []
            while True:
                while i < len(text) and text[i] in " \n,":
                    i += 1
                if i >= len(text) or text[i] == "}":
                    return out, i + 1
                inner, used = tree(text[i:], path)
                out += inner
                i += max(used, 1)
                while i < len(text) and text[i] not in ",}":
                    i += 1
        elif text[i:].startswith("::") and m:
            i += 2
        else:
            return [path], i


def crate_paths(text):
    code = "\n".join(l for l in without_tests(text).splitlines() if not l.strip().startswith("//"))
    out = []
    for m in re.finditer(r"crate::", code):
        out += tree(code[m.end():], [])[0]
    return out


def reexports(root):
    """Per concept folder of the service: the names its mod.rs takes from the model."""
    out = {}
    for c in os.listdir(root):
        mod = os.path.join(root, c, "mod.rs")
        if not os.path.exists(mod):
            continue
        text = open(mod).read()
        names = set()
        for m in re.finditer(r"pub use (model::[^;]*|item::[^;]*);", text, re.S):
            for p in tree(m.group(1), [])[0]:
                names.add(p[-1])
            for alias in re.findall(r"as ([a-z_]+)", m.group(1)):
                names.add(alias)
        out[c] = names
    return out


def graph(name):
    root, generic = CRATES[name]
    model_names = reexports(root) if name == "service" else {}
    modules = {n.removesuffix(".rs") for n in os.listdir(root) if n.endswith(".rs")
               or os.path.isdir(os.path.join(root, n))}
    edges = {}
    for dirpath, _, files in os.walk(root):
        for n in files:
            if not n.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(dirpath, n), root)
            top = rel.split(os.sep)[0].removesuffix(".rs")
            if top in generic or top in TOP:
                continue
            with open(os.path.join(dirpath, n)) as f:
                for p in crate_paths(f.read()):
                    target = p[0]
                    if target == top or target in generic or target in TOP or target not in modules:
                        continue
                    if len(p) > 1 and p[1] in model_names.get(target, ()):
                        continue  # the model, through the concept's re-export
                    edges.setdefault(top, set()).add(target)
    return edges


def largest_loop(edges):
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})
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

    for c in nodes:
        if c not in index:
            strong(c)
    return nodes, max(sccs, key=len) if sccs else []


for name in CRATES:
    edges = graph(name)
    nodes, loop = largest_loop(edges)
    n_edges = sum(len(v) for v in edges.values())
    shown = f"{len(loop)} folders ({', '.join(loop)})" if len(loop) > 1 else "none"
    print(f"{name}: concept folders: {len(nodes)}; concept-to-concept imports: {n_edges}; "
          f"the largest loop: {shown}")
    if "--edges" in sys.argv:
        for a in nodes:
            for b in sorted(edges.get(a, ())):
                print(f"  {a} -> {b}")

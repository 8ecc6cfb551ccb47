#!/usr/bin/env python3
"""Import graph of the crate's top-level modules, and the cycles in it.

Reads every `.rs` file under src/, takes each `crate::NAME` path in code (not in
comments) as an edge from the file's top-level module to NAME, and prints the
edges. Exits 1 when two top-level modules reach each other (a cycle), or when a
module imports one listed after it in the layer map at the top of src/lib.rs
(`//! - [`name`]: …`), naming the files that make each edge, so a lower layer
reaching up is caught in CI.

Usage: ci/module-graph.py [SRC_DIR]   (default: src)
"""

import collections
import os
import re
import sys

CRATE_PATH = re.compile(r"\bcrate::(\w+)")
GROUPED = re.compile(r"\bcrate::\{([^;]*?)\}", re.S)


def top_module(root, path):
    parts = os.path.relpath(path, root).split(os.sep)
    return parts[0][:-3] if len(parts) == 1 else parts[0]


def code_only(text):
    """Drop line comments (doc links are not imports)."""
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def edges_of(root):
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for folder, _, files in os.walk(root):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(folder, name)
            module = top_module(root, path)
            if module in ("lib", "main"):
                continue
            with open(path, encoding="utf-8") as f:
                code = code_only(f.read())
            used = set(CRATE_PATH.findall(code))
            for group in GROUPED.findall(code):
                used.update(re.findall(r"(?:^|[,{\s])(\w+)(?=\s*(?:::|,|\}|$))", group))
            for target in used - {module, "self"}:
                edges[module][target].add(os.path.relpath(path, root))
    return edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    nodes = set(edges) | {t for e in edges.values() for t in e}
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return found


def layer_order(root):
    """The modules in the order the `# Layout` map of lib.rs lists them."""
    with open(os.path.join(root, "lib.rs"), encoding="utf-8") as f:
        return re.findall(r"^//! - \[`(\w+)`\]", f.read(), re.M)


def upward(edges, order):
    """Edges to a module the layer map lists after (above) the importer."""
    rank = {name: i for i, name in enumerate(order)}
    found = []
    for a in sorted(edges):
        for b in sorted(edges[a]):
            if a in rank and b in rank and rank[b] > rank[a]:
                found.append((a, b))
    return found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    edges = edges_of(root)
    order = layer_order(root)
    missing = sorted((set(edges) | {t for e in edges.values() for t in e}) - set(order))
    for module in sorted(edges):
        print(f"{module} -> {', '.join(sorted(edges[module]))}")
    bad = cycles(edges)
    for component in bad:
        print(f"CYCLE: {' <-> '.join(component)}", file=sys.stderr)
        for a in component:
            for b in component:
                if b in edges.get(a, {}):
                    files = ", ".join(sorted(edges[a][b])[:5])
                    print(f"  {a} -> {b}: {files}", file=sys.stderr)
    for module in missing:
        print(f"NOT IN THE LAYER MAP: {module} (add it to `# Layout` in lib.rs)", file=sys.stderr)
    up = upward(edges, order)
    for a, b in up:
        files = ", ".join(sorted(edges[a][b])[:5])
        print(f"UPWARD: {a} -> {b} ({b} is listed after {a} in lib.rs): {files}", file=sys.stderr)
    if bad or up or missing:
        sys.exit(1)
    print("no cycle between top-level modules; every import goes down the layer map")


if __name__ == "__main__":
    main()

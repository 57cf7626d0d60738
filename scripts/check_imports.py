"""Report import cycles among cloudc modules (module- and function-level imports alike).

Run `python scripts/check_imports.py`; it prints each cycle and exits 1 if there is one.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "cloudc"


def module_name(path: Path) -> str:
    """Return the dotted module name of a file under the package."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """Return the package modules that `path` imports anywhere in its body."""
    tree = ast.parse(path.read_text(), str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                drop = node.level - 1 if is_pkg else node.level
                base = base[: len(base) - drop] if drop else base
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
            for alias in node.names:  # `from cloudc.lower import apis` imports a module
                out.add(f"{mod}.{alias.name}")
    return {_owner(m, known) for m in out if m.split(".")[0] == PACKAGE} - {"", name}


def _owner(mod: str, known: set[str]) -> str:
    """Return the longest known module that `mod` names (a symbol's module, for from-imports)."""
    while mod and mod not in known:
        mod = mod.rpartition(".")[0]
    return mod


def graph() -> dict[str, set[str]]:
    """Return the import graph of the package: module -> modules it imports."""
    files = sorted((ROOT / PACKAGE).rglob("*.py"))
    names = {module_name(f): f for f in files}
    known = set(names)
    return {name: imports_of(path, name, known) for name, path in names.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
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

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return sorted(out)


def main() -> int:
    """Print every import cycle; return 1 if there is one."""
    found = cycles(graph())
    for c in found:
        print("import cycle:", " <-> ".join(c))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())

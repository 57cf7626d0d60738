"""Read a plugin package's module-level constants without importing its modules.

The section modules (cloudc/schema/sections/) and the lowering modules (cloudc/lower/) declare
what the pipeline needs to know about every section in one-line literals at the top of the
module (`SECTION = "apis"`, `ORDER = 70`, `REFS = ("routes",)`, `AFTER = ("storage",)`).
Importing a module to read them costs its whole import (the pydantic models, the lowering
code); a config uses a few sections, so the rest are read from the source text. A module whose
constant is not a one-line literal, or whose source is not at hand, is imported instead, and
tests/test_schema.py checks that both ways agree for every module.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

_ASSIGN = re.compile(r"^([A-Z][A-Z0-9_]*) *= *[^=].*$", re.M)


def module_constants(package: ModuleType, names: tuple[str, ...]
                     ) -> dict[str, dict[str, Any]]:
    """Return {module name: {constant: value}} for the package's public modules, with the
    constants among `names` each module defines (read from its source when possible)."""
    out: dict[str, dict[str, Any]] = {}
    folder = Path(next(iter(package.__path__)))
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("_") or info.ispkg:
            continue
        found = _scan(folder / f"{info.name}.py", names)
        if found is None:
            mod = importlib.import_module(f"{package.__name__}.{info.name}")
            found = {n: getattr(mod, n) for n in names if hasattr(mod, n)}
        out[info.name] = found
    return out


def _scan(path: Path, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Return the top-level one-line literal constants among `names` in the file, or None
    when one of them is defined otherwise (the caller imports the module)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    out: dict[str, Any] = {}
    for m in _ASSIGN.finditer(text):
        name = m.group(1)
        if name not in names:
            continue
        try:
            node = ast.parse(m.group(0)).body[0]
            assert isinstance(node, ast.Assign)
            out[name] = ast.literal_eval(node.value)
        except (SyntaxError, ValueError, AssertionError, TypeError):
            return None  # not a one-line literal: import the module to read it
    return out

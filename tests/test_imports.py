"""The layers are one-way: no import cycle, and lowering sections do not import each other."""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
assert _spec is not None and _spec.loader is not None
check_imports = importlib.util.module_from_spec(_spec)
sys.modules["check_imports"] = check_imports
_spec.loader.exec_module(check_imports)

# One worker parses the package once (at run time, not at collection in every worker).
pytestmark = pytest.mark.xdist_group("import-graph")


@functools.cache
def _graph() -> dict[str, set[str]]:
    return check_imports.graph()


def _sections() -> set[str]:
    """Return the lowering modules that are sections (they define SECTION)."""
    out = set()
    for mod in _graph():
        if mod.startswith("cloudc.lower.") and not mod.rsplit(".", 1)[1].startswith("_"):
            text = (ROOT / (mod.replace(".", "/") + ".py")).read_text()
            if re.search(r"^SECTION = ", text, re.M):
                out.add(mod)
    return out


def test_no_import_cycle() -> None:
    assert check_imports.cycles(_graph()) == []


def test_the_checker_finds_a_cycle() -> None:
    assert check_imports.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]]


def test_function_level_imports_count(tmp_path: Path) -> None:
    pkg = tmp_path / "cloudc"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from cloudc.b import g\n")
    (pkg / "b.py").write_text("from cloudc import a\n")
    known = {"cloudc", "cloudc.a", "cloudc.b"}
    assert check_imports.imports_of(pkg / "a.py", "cloudc.a", known) == {"cloudc.b"}
    assert check_imports.imports_of(pkg / "b.py", "cloudc.b", known) == {"cloudc", "cloudc.a"}


def test_sections_import_only_shared_helpers() -> None:
    """A section's lowering never imports another section's; helpers never import a section."""
    sections = _sections()
    assert "cloudc.lower.storage" in sections and len(sections) > 20
    graph = _graph()
    bad = {mod: sorted(graph[mod] & sections) for mod in graph
           if mod.startswith("cloudc.lower.") and graph[mod] & sections}
    assert bad == {}


def test_aws_and_compiler_never_import_the_cli() -> None:
    graph = _graph()
    cli = {m for m in graph if m == "cloudc.cli" or m.startswith("cloudc.commands")}
    inner = ("cloudc.aws", "cloudc.lower", "cloudc.passes", "cloudc.checks", "cloudc.emit",
             "cloudc.compile", "cloudc.ir", "cloudc.context")
    bad = {m: sorted(graph[m] & cli) for m in graph if m.startswith(inner) and graph[m] & cli}
    assert bad == {}

"""The layers are one-way: no import cycle, and lowering sections do not import each other."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
assert _spec is not None and _spec.loader is not None
check_imports = importlib.util.module_from_spec(_spec)
sys.modules["check_imports"] = check_imports
_spec.loader.exec_module(check_imports)

GRAPH = check_imports.graph()


def _sections() -> set[str]:
    """Return the lowering modules that are sections (they define SECTION)."""
    out = set()
    for mod in GRAPH:
        if mod.startswith("cloudc.lower.") and not mod.rsplit(".", 1)[1].startswith("_"):
            text = (ROOT / (mod.replace(".", "/") + ".py")).read_text()
            if re.search(r"^SECTION = ", text, re.M):
                out.add(mod)
    return out


def test_no_import_cycle() -> None:
    assert check_imports.cycles(GRAPH) == []


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
    bad = {mod: sorted(GRAPH[mod] & sections) for mod in GRAPH
           if mod.startswith("cloudc.lower.") and GRAPH[mod] & sections}
    assert bad == {}


def test_aws_and_compiler_never_import_the_cli() -> None:
    cli = {m for m in GRAPH if m == "cloudc.cli" or m.startswith("cloudc.commands")}
    inner = ("cloudc.aws", "cloudc.lower", "cloudc.passes", "cloudc.checks", "cloudc.emit",
             "cloudc.compile", "cloudc.ir", "cloudc.context")
    bad = {m: sorted(GRAPH[m] & cli) for m in GRAPH if m.startswith(inner) and GRAPH[m] & cli}
    assert bad == {}

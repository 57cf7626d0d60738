"""Per-pass fixtures: what each pass in PASSES changes in the IR of a small config.

`tests/passes/<pass>/<case>.yaml` is a whole config; `<case>.json` beside it is the change the
pass makes: the difference between the IR (resources, components, graph, placement) and the
diagnostics just before the pass and just after it. The pipeline runs unchanged up to the pass
(with `ir.check()` after every earlier pass), then stops. Regenerate with
`pytest tests/test_passes.py --update-golden [-k <pass>]` and review the diff.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import JS, build

import cloudc.passes
from cloudc.context import Context
from cloudc.diagnostics import Diagnostics
from cloudc.ir import IR, Expr
from cloudc.passes import PASSES, Pass

FIXTURES = Path(__file__).parent / "passes"
FILES = {"fn/index.js": JS, "dist/index.html": "hi\n"}
REMOVED = "<removed>"
DEPTH = 4  # diff down to resources -> id -> field -> property; below that, whole values


class _Stop(Exception):
    """Raised after the pass under test, carrying the IR before and after it."""

    def __init__(self, before: dict[str, Any], after: dict[str, Any], problems: list[str]):
        super().__init__("stop")
        self.before, self.after, self.problems = before, after, problems


def _cases() -> list[tuple[str, Path]]:
    return [(p.parent.name, p) for p in sorted(FIXTURES.glob("*/*.yaml"))]


def test_every_pass_has_fixtures() -> None:
    """A pass added to PASSES without a fixture folder fails here."""
    names = [p.__name__ for p in PASSES]
    missing = [n for n in names if not any((FIXTURES / n).glob("*.yaml"))]
    assert not missing, f"add tests/passes/<pass>/<case>.yaml for {missing}"
    stray = sorted({name for name, _ in _cases()} - set(names))
    assert not stray, f"fixture folders for passes not in PASSES: {stray}"


@pytest.mark.parametrize("name,case", _cases(), ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_pass(name: str, case: Path, tmp_path: Path, update_golden: bool,
              monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the pipeline up to the pass, run it, and compare its change with `<case>.json`."""
    change = _change_made_by(name, case.read_text(encoding="utf-8"), tmp_path, monkeypatch)
    text = json.dumps(change, indent=2) + "\n"
    expected = case.with_suffix(".json")
    if update_golden:
        expected.write_text(text, encoding="utf-8")
    assert expected.is_file(), f"{expected} is missing; run with --update-golden and review it"
    assert text == expected.read_text(encoding="utf-8"), f"{name}/{case.stem} changed"


def _change_made_by(name: str, config: str, tmp_path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Compile `config`, stopping right after pass `name`; return what that pass changed."""
    (target,) = [p for p in PASSES if p.__name__ == name]
    root = f"{tmp_path}/"

    def stop_after(ir: IR, ctx: Context) -> IR:
        before = _snapshot(ir, ctx.diags, root)
        ir = target(ir, ctx)
        raise _Stop(before, _snapshot(ir, ctx.diags, root), ir.check())

    upto = PASSES[:PASSES.index(target)]
    monkeypatch.setattr(cloudc.passes, "PASSES", (*upto, _named(stop_after, name)))
    try:
        b = build(tmp_path, config, head="", files=FILES)
    except _Stop as stop:
        assert not stop.problems, f"ir.check() after {name}: {stop.problems}"
        return _diff(stop.before, stop.after, 0)
    lines = "\n".join(d.text() for d in b.diagnostics.sorted())
    raise AssertionError(f"the pipeline stopped before {name}:\n{lines}")


def _named(fn: Pass, name: str) -> Pass:
    fn.__name__ = name
    return fn


def _snapshot(ir: IR, diags: Diagnostics, root: str) -> dict[str, Any]:
    """Return the IR and the diagnostics as JSON-shaped data (Component.extra left out)."""
    return {
        "resources": {lid: _plain({f.name: getattr(r, f.name) for f in dataclasses.fields(r)
                                   if f.name not in ("logical_id", "origin")}, root)
                      for lid, r in ir.resources.items()},
        "components": {key: _plain({f.name: getattr(c, f.name) for f in dataclasses.fields(c)
                                    if f.name not in ("extra", "origin")}, root)
                       for key, c in ir.components.items()},
        "outputs": {k: _plain(v[0], root) for k, v in ir.outputs.items()},
        "notes": list(ir.notes),
        "groups": dict(ir.groups),
        "edges": _plain(ir.edges, root),
        "stack_order": list(ir.stack_order),
        "diagnostics": [d.text().replace(root, "") for d in diags.items],
    }


def _plain(value: Any, root: str) -> Any:
    """Turn IR values into JSON: an Expr becomes `{"!Kind": fields}` (fields left at None out)."""
    if isinstance(value, Expr):
        fields = {f.name: _plain(getattr(value, f.name), root)
                  for f in dataclasses.fields(value)  # type: ignore[arg-type]
                  if getattr(value, f.name) not in (None, ())}
        inner = next(iter(fields.values())) if len(fields) == 1 else fields
        return {f"!{type(value).__name__}": inner}
    if isinstance(value, dict):
        return {str(k): _plain(v, root) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, root) for v in value]
    if isinstance(value, str):
        return value.replace(root, "")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return repr(value)


def _diff(before: Any, after: Any, depth: int) -> Any:
    """Return what changed from `before` to `after`: new and changed keys, removed ones marked.

    Lists of diagnostics only grow; their diff is the new lines.
    """
    if isinstance(before, dict) and isinstance(after, dict) and depth < DEPTH:
        out: dict[str, Any] = {}
        for key, value in after.items():
            if key not in before:
                out[key] = value
            elif before[key] != value:
                if key == "diagnostics":
                    out[key] = value[len(before[key]):]
                else:
                    out[key] = _diff(before[key], value, depth + 1)
        for key in before:
            if key not in after:
                out[key] = REMOVED
        return out
    return after


def test_naming_reports_what_lowering_cannot_prevent() -> None:
    """On a hand-built IR: a stem clash and an invalid logical ID are E2006, each once.

    A config cannot reach the pass with a clash (the config rule E3100 stops it first), so the
    pass is tested on the IR directly.
    """
    from types import SimpleNamespace

    from cloudc.ir import Component, Resource
    from cloudc.passes.naming import naming

    ir = IR()
    for name in ("a-b", "a_b"):
        ir.components[f"storage.{name}"] = Component("storage", name, "bucket",
                                                     ("storage", name), None)
    ir.add(Resource("StorageABBucket", "AWS::S3::Bucket", {}, "storage.a-b", "storage"))
    ir.add(Resource("9Lives", "AWS::SQS::Queue", {}, "storage.a_b", "storage"))
    diags = Diagnostics()
    naming(ir, SimpleNamespace(diags=diags))  # type: ignore[arg-type]  # naming reads diags only
    assert [(d.code, d.message) for d in diags.items] == [
        ("E2006", "`storage.a_b` and `storage.a-b` give the same logical ID `StorageAB`"),
        ("E2006", "logical ID `9Lives` is not valid in CloudFormation"),
    ]


def test_every_build_checks_the_ir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass that leaves a dangling reference fails the build it runs in, naming the pass."""
    from cloudc.ir import Ref

    def tagging(ir: IR, ctx: Context) -> IR:  # stands in for the real pass of that name
        next(iter(ir.resources.values())).properties["Broken"] = Ref("Nowhere")
        return ir

    monkeypatch.setattr(cloudc.passes, "PASSES", (tagging,))
    with pytest.raises(AssertionError, match="after tagging: .*references missing Nowhere"):
        build(tmp_path, "storage: { uploads: {} }\n")

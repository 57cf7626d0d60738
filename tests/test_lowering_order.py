"""Sections are lowered in a topological order over their `AFTER`; `ORDER` only breaks ties."""

from __future__ import annotations

from pathlib import Path

import pytest

import cloudc.lower as lower_pkg
from cloudc.compile import compile_config
from cloudc.lower import lowering_after, lowering_modules, lowering_order
from cloudc.schema import SectionInfo, section_infos

GOLDEN = Path(__file__).parent / "golden" / "spec_example" / "cloud.yaml"


def test_order_is_topological_over_after() -> None:
    order = lowering_order()
    mods = lowering_modules()
    for i, section in enumerate(order):
        after = getattr(mods[section], "AFTER", ())
        if after == "*":
            assert i == len(order) - 1, f"{section} must come last"
            continue
        for dep in after:
            assert order.index(dep) < i, f"{section} lowers before {dep}"


def test_after_alone_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every section at the same schema position (ties broken by name, so `sites` comes
    before `services` and `apis` before `storage`), the example app builds the same resources."""
    normal = compile_config(GOLDEN, "production")
    assert not normal.diagnostics.has_errors
    assert normal.ir is not None

    def by_name() -> tuple[SectionInfo, ...]:
        return tuple(sorted(section_infos(), key=lambda i: i.section))

    monkeypatch.setattr(lower_pkg, "section_infos", by_name)
    lowering_order.cache_clear()
    try:
        shuffled = lowering_order()
        assert shuffled.index("apis") < shuffled.index("storage")
        other = compile_config(GOLDEN, "production")
    finally:
        lowering_order.cache_clear()
    assert not other.diagnostics.has_errors, [d.text() for d in other.diagnostics.errors]
    assert other.ir is not None
    assert set(other.ir.resources) == set(normal.ir.resources)
    for lid, res in normal.ir.resources.items():
        assert other.ir.resources[lid].type == res.type, lid


def test_a_cycle_in_after_is_a_compiler_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    afters = {**lowering_after(), "queues": ("topics",)}
    monkeypatch.setattr(lower_pkg, "lowering_after", lambda: afters)
    lowering_order.cache_clear()
    try:
        with pytest.raises(ValueError, match="cycle"):
            lowering_order()
    finally:
        monkeypatch.undo()
        lowering_order.cache_clear()


def test_after_read_from_the_source_is_the_modules_own() -> None:
    """`lowering_order` reads `AFTER` without importing the modules: it must be theirs."""
    mods = lowering_modules()
    assert lowering_after() == {s: getattr(m, "AFTER", ()) for s, m in mods.items()}

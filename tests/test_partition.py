"""Placement: adding an entry never moves another; every template stays within the limits."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cloudc.compile import compile_config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.app import write_app  # noqa: E402


def _placement(build) -> dict[str, str]:
    return {lid: build.ir.groups[lid] for lid in build.ir.resources}


def test_growing_a_300_service_app_by_one_moves_nothing(tmp_path: Path) -> None:
    before = compile_config(write_app(tmp_path, 300), "production", dry=True)
    after = compile_config(write_app(tmp_path, 301), "production", dry=True)
    assert not before.diagnostics.has_errors and not after.diagnostics.has_errors
    old, new = _placement(before), _placement(after)
    moved = {lid: (old[lid], new[lid]) for lid in old if new.get(lid) != old[lid]}
    assert not moved
    assert set(old) < set(new)
    # Nothing else changed either: every old resource renders to the same properties. (The
    # generator inserts lines mid-file, so the `cloudc:origin` line numbers in Metadata move.)
    for name, tmpl in before.nested.items():
        for lid, body in tmpl["Resources"].items():
            new_body = after.nested[name]["Resources"][lid]
            assert new_body["Properties"] == body["Properties"]
            assert new_body.get("DependsOn") == body.get("DependsOn")


def test_every_template_within_cloudformation_limits(tmp_path: Path) -> None:
    build = compile_config(write_app(tmp_path / "big", 700), "production")
    assert not build.diagnostics.has_errors
    assert len(build.nested) > 3
    for name, tmpl in [("root", build.root), *build.nested.items()]:
        assert len(tmpl["Resources"]) <= 500, name
        assert len(tmpl.get("Parameters", {})) <= 200, name
        assert len(tmpl.get("Outputs", {})) <= 200, name
        text = json.dumps(tmpl)
        assert len(text) < 1_000_000, name
        assert text.count("{{resolve:") <= 60, name


def test_groups_are_by_section(tmp_path: Path) -> None:
    build = compile_config(write_app(tmp_path / "s", 3), "staging", dry=True)
    assert set(build.nested) == {"storage", "queues", "functions"}
    assert all(lid.startswith("Storage") for lid in build.nested["storage"]["Resources"])

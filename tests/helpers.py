"""Helpers shared by the per-section tests."""

from __future__ import annotations

from typing import Any

from cloudc.compile import Build


def all_resources(build: Build) -> dict[str, Any]:
    """Return every nested stack's resources in one map, by logical ID."""
    out: dict[str, Any] = {}
    for doc in build.nested.values():
        out.update(doc["Resources"])
    return out


def error_lines(build: Build) -> list[str]:
    """Return the build's errors as `FILE:LINE:COL: error[CODE]: ...` lines."""
    return [d.text() for d in build.diagnostics.errors]

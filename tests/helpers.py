"""Helpers shared by the per-section tests: one way to build a config, and views of the output."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudc.compile import Build, compile_config

JS = "exports.handler = async () => {}\n"
MJS = "export const handler = async () => ({});\n"
CODE: Mapping[str, str] = {"fn/index.js": JS}  # what most configs' `code: ./fn` points at


def build(tmp_path: Path, body: str, env: str = "production", *, region: str = "us-east-1",
          name: str = "Demo", head: str | None = None, files: Mapping[str, str] | None = None,
          dry: bool = True, sets: list[str] | None = None) -> Build:
    """Write cloud.yaml and the folders it names under `tmp_path`, then compile it.

    The config is `head` (by default `project: { name: NAME, region: REGION }`) followed by
    `body`. `files` maps a path relative to `tmp_path` to its text (default: `fn/index.js`); a
    path ending in `/` makes an empty folder. Every build runs `ir.check()` after every pass.
    """
    for rel, text in (CODE if files is None else files).items():
        target = tmp_path / rel
        if rel.endswith("/"):
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    if head is None:
        head = f"project: {{ name: {name}, region: {region} }}\n"
    config = tmp_path / "cloud.yaml"
    config.write_text(head + body, encoding="utf-8")
    return compile_config(config, env, sets, check_ir=True, dry=dry)


def all_resources(build: Build) -> dict[str, Any]:
    """Return every nested (and separate, `registry`) stack's resources in one map."""
    out: dict[str, Any] = {}
    for doc in [*build.nested.values(), *build.separate.values()]:
        out.update(doc["Resources"])
    return out


def error_lines(build: Build) -> list[str]:
    """Return the build's errors as `FILE:LINE:COL: error[CODE]: ...` lines."""
    return [d.text() for d in build.diagnostics.errors]

"""Serialise templates deterministically and write the output tree atomically."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

# check_circular=False: templates are trees (a cycle would be a compiler bug and still fails,
# with RecursionError); skipping the check makes encoding about a quarter faster.
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=False,
                            check_circular=False).encode

# Big sections get one entry per line: diffs stay readable, and json's C encoder stays in use
# (any `indent` switches CPython to its pure-Python encoder, ~5x slower).
_LINED = ("Parameters", "Resources", "Outputs", "templates", "assets", "placement")


def to_json(doc: dict[str, Any]) -> str:
    """Serialise a template: top-level keys one a line, and one entry a line in big sections."""
    lines = ["{"]
    keys = list(doc)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        value = doc[key]
        if key in _LINED and isinstance(value, dict) and value:
            lines.append(f"{_compact(key)}:{{")
            items = list(value.items())
            for j, (k, v) in enumerate(items):
                sep = "," if j < len(items) - 1 else ""
                lines.append(f"{_compact(k)}:{_compact(v)}{sep}")
            lines.append("}" + comma)
        elif key in _LINED and isinstance(value, list) and value:
            lines.append(f"{_compact(key)}:[")
            for j, v in enumerate(value):
                sep = "," if j < len(value) - 1 else ""
                lines.append(f"{_compact(v)}{sep}")
            lines.append("]" + comma)
        else:
            lines.append(f"{_compact(key)}:{_compact(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


try:
    from yaml import CSafeDumper as _Dumper
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]


def to_yaml(doc: dict[str, Any]) -> str:
    """Serialise a template as YAML (long-form intrinsics, so any YAML parser reads it)."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)


def serialise(doc: dict[str, Any], fmt: str) -> str:
    """Serialise in the chosen format ("json" or "yaml")."""
    return to_yaml(doc) if fmt == "yaml" else to_json(doc)


def sha256(data: bytes) -> str:
    """Return the hex sha256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def write_tree(target: Path, files: dict[str, bytes]) -> None:
    """Write `files` (relative path -> bytes) as the directory `target`, all or nothing.

    Everything is written to a sibling temporary directory first, which then replaces
    `target` by rename; a failure before that leaves the previous build untouched.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        for rel, data in sorted(files.items()):
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            if old.exists():
                shutil.rmtree(old)
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def manifest(env: str, templates: dict[str, str], counts: dict[str, int],
             assets: dict[str, bytes], placement: dict[str, str]) -> dict[str, Any]:
    """Describe a build: every template with its sha256, resource count and size."""
    return {
        "cloudc": 1,
        "environment": env,
        "templates": [
            {"path": path, "sha256": sha256(text.encode()), "resources": counts[path],
             "bytes": len(text.encode())}
            for path, text in templates.items()
        ],
        "assets": [{"path": f"assets/{name}", "sha256": sha256(data), "bytes": len(data)}
                   for name, data in sorted(assets.items())],
        "placement": placement,
    }

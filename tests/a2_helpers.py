"""Helpers shared by the topics, schedules, databases, secrets and monitoring tests."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import helpers
from helpers import MJS

from cloudc.compile import Build

HEADER = """\
project: { name: Demo, region: us-east-1 }
mode: serverless
"""


def build(tmp_path: Path, body: str, env: str = "production", code: bool = True) -> Build:
    """Compile `body` (YAML after the project header) for `env`."""
    files = {"fn/index.mjs": MJS} if code else {}
    return helpers.build(tmp_path, textwrap.dedent(body), env, head=HEADER, files=files)


def resources(b: Build) -> dict[str, Any]:
    """Return every resource of every nested stack, by logical ID."""
    out: dict[str, Any] = {}
    for doc in b.nested.values():
        out.update(doc["Resources"])
    return out


def codes(b: Build) -> list[str]:
    """Return the diagnostic codes, sorted by location."""
    return [d.code for d in b.diagnostics.sorted()]


def texts(b: Build) -> str:
    """Return the diagnostics as text."""
    return "\n".join(d.text() for d in b.diagnostics.sorted())


def dump(b: Build) -> str:
    """Return every output file as one string."""
    return "\n".join(data.decode(errors="replace") for data in b.files().values())


def no_wildcards(b: Build) -> None:
    """Assert no policy anywhere has a `*` action or resource.

    The one exception is a KMS key policy, where `Resource: "*"` is how AWS spells "this key".
    """
    for doc in [b.root, *b.nested.values()]:
        for body in doc["Resources"].values():
            props = body.get("Properties", {})
            if body["Type"] == "AWS::KMS::Key":
                props = {k: v for k, v in props.items() if k != "KeyPolicy"}
            text = json.dumps(props)
            assert '"Resource": "*"' not in text, body
            assert '"Action": "*"' not in text, body

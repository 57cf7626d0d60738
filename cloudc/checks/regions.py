"""Regions the config names exist: `project.region` and the region part of every ARN.

The list of regions comes from botocore's own endpoint data, committed as
cloudc/data/regions.json by scripts/gen_regions.py (botocore is not imported here: validate
must start fast). A region AWS does not have fails the deploy before anything starts, or, in
an ARN, fails the resource that points at it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3104", "unknown AWS region",
         "`project.region` and the region in every ARN must be a region botocore knows"),
)
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:([a-z0-9-]*):")


@lru_cache(maxsize=1)
def regions() -> dict[str, dict[str, str]]:
    """Return the committed region table: name -> partition and description."""
    text = resources.files("cloudc").joinpath("data/regions.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)["regions"]
    return data


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report regions AWS does not have."""
    known = regions()
    region = getattr(getattr(cx.config, "project", None), "region", None)
    if isinstance(region, str) and region not in known:
        yield Finding("E3104", f"`{region}` is not an AWS region", ("project", "region"),
                      did_you_mean(region, known) or "e.g. us-east-1 or eu-west-1")
    if not _any_unknown(cx.data, known):  # the common case: no walk that builds paths
        return
    for path, text in _strings(cx.data, ()):
        m = _ARN.match(text)
        if m and m.group(1) and m.group(1) not in known and "${" not in m.group(1):
            yield Finding("E3104", f"the ARN names region `{m.group(1)}`, which AWS does not "
                          "have", path, did_you_mean(m.group(1), known) or "check the ARN")


def _any_unknown(data: Any, known: dict[str, dict[str, str]]) -> bool:
    """Say whether any string in `data` is an ARN whose region is not in `known`."""
    todo = [data]
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            if value.startswith("arn:"):
                m = _ARN.match(value)
                if m and m.group(1) and m.group(1) not in known and "${" not in m.group(1):
                    return True
        elif isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
    return False


def _strings(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, path + (i,))

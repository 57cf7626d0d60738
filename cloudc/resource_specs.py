"""Typed access to per-type AWS resource facts derived from cfn-lint's provider schemas.

The table lives in ``cloudc/data/resource_specs.json`` and is regenerated with
``python scripts/gen_resource_specs.py``. Attribute names are cfn-lint's GetAtt keys;
a few are regex patterns (e.g. ``Outputs\\..*`` or ``Items.*.Name``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal

TagsFormat = Literal["list", "map"]


@dataclass(frozen=True)
class ResourceSpec:
    """Facts about one CloudFormation resource type."""

    type_name: str
    create_only: frozenset[str]
    conditional_create_only: frozenset[str]
    attributes: frozenset[str]
    taggable: bool
    tags_format: TagsFormat | None
    primary_identifier: tuple[str, ...]
    constraints: dict[str, dict[str, Any]]
    properties: dict[str, str]  # property -> JSON types as letters (s i n b a o; "" any)
    required: frozenset[str]


@lru_cache(maxsize=1)
def _lines() -> dict[str, bytes]:
    """Return each key of the committed table with its entry's line, not yet parsed.

    The generator writes one entry a line (scripts/gen_resource_specs.py `render`): parsing
    all 1.7 MB takes ~20 ms a process, splitting it ~2 ms, and a build reads a few dozen types.
    """
    data = resources.files("cloudc").joinpath("data/resource_specs.json").read_bytes()
    out: dict[str, bytes] = {}
    for line in data.split(b"\n"):
        if line.startswith(b'"'):
            end = line.index(b'"', 1)  # AWS type names hold no escaped quote
            out[line[1:end].decode()] = line[end + 2:].rstrip().removesuffix(b",")
    return out


def _entry(key: str) -> Any:
    """Return the parsed entry of `key` in the table, or None."""
    line = _lines().get(key)
    return None if line is None else json.loads(line)


def source() -> dict[str, str]:
    """Return the provenance record (cfn-lint version and region) of the table."""
    return dict(_entry("_source") or {})


@cache
def spec(type_name: str) -> ResourceSpec | None:
    """Return the spec for type_name, or None if the type is unknown."""
    if type_name.startswith("_"):
        return None
    entry = _entry(type_name)
    if entry is None:
        return None
    return ResourceSpec(
        type_name=type_name,
        create_only=frozenset(entry["create_only"]),
        conditional_create_only=frozenset(entry["conditional_create_only"]),
        attributes=frozenset(entry["attributes"]),
        taggable=bool(entry["taggable"]),
        tags_format=entry["tags_format"],
        primary_identifier=tuple(entry["primary_identifier"]),
        constraints=entry.get("constraints", {}),
        properties=entry.get("properties", {}),
        required=frozenset(entry.get("required", [])),
    )


def is_taggable(type_name: str) -> bool:
    """Return whether type_name supports tags (False if unknown)."""
    s = spec(type_name)
    return s.taggable if s else False


def tags_format(type_name: str) -> TagsFormat | None:
    """Return "list" or "map" for the shape of the Tags property, else None."""
    s = spec(type_name)
    return s.tags_format if s else None


def create_only(type_name: str) -> frozenset[str]:
    """Return property paths whose change always replaces the resource."""
    s = spec(type_name)
    return s.create_only if s else frozenset()


def conditional_create_only(type_name: str) -> frozenset[str]:
    """Return property paths whose change may replace the resource."""
    s = spec(type_name)
    return s.conditional_create_only if s else frozenset()


def property_types(type_name: str) -> dict[str, str]:
    """Return {settable top-level property: its JSON types as letters} ("s" string,
    "i" integer, "n" number, "b" boolean, "a" array, "o" object; "" any)."""
    s = spec(type_name)
    return s.properties if s else {}


def required_properties(type_name: str) -> frozenset[str]:
    """Return the top-level properties the provider schema requires."""
    s = spec(type_name)
    return s.required if s else frozenset()


def known_types() -> list[str]:
    """Return every resource type in the table."""
    return [k for k in _lines() if not k.startswith("_")]


def getatt_attributes(type_name: str) -> frozenset[str]:
    """Return the attribute names cfn-lint accepts in Fn::GetAtt for type_name."""
    s = spec(type_name)
    return s.attributes if s else frozenset()


def constraints(type_name: str) -> dict[str, dict[str, Any]]:
    """Return {property pointer: {enum|minimum|maximum|pattern|minLength|maxLength: value}}.

    Pointers are "Name" for top-level properties, "Parent/Name" for nested ones and
    "Parent/*" for list items, two levels deep.
    """
    s = spec(type_name)
    base = s.constraints if s else {}
    tighter = SERVICE_LIMITS.get(type_name)
    if not tighter:
        return base
    return {**base, **{k: {**base.get(k, {}), **v} for k, v in tighter.items()}}


# Documented service limits tighter than the provider schema, which allows up to 32768 MB for
# Lambda managed-instance capacity; a standard function takes 128-10240 MB of memory and
# 512-10240 MB of /tmp, as the config schema says.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
SERVICE_LIMITS: dict[str, dict[str, dict[str, Any]]] = {
    "AWS::Lambda::Function": {"MemorySize": {"maximum": 10240},
                              "EphemeralStorage/Size": {"maximum": 10240}},
}

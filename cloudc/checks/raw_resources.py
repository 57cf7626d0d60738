"""`resources:` (raw CloudFormation) against the provider schemas (E3231-E3236).

A raw resource is the user's CloudFormation, but it still gets cloudc's positions: an unknown
type, a property the type does not have (with the closest name), a value of the wrong JSON type
(a list where a string goes) and a missing required property are reported at the line that has
them, before CloudFormation would fail the deploy with "Encountered unsupported property" or
"Properties validation failed". The facts come from cfn-lint's bundled provider schemas
(`cloudc/resource_specs.py`). Lowering reports E3235 (a raw logical ID that a generated resource
already has) and E3236 (a `Ref`/`Fn::GetAtt` to no resource, or to an attribute it lacks).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cloudc import resource_specs
from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean

NEEDS = "config"
CODES = (
    Code("E3231", "a `resources:` entry has an unknown resource type"),
    Code("E3232", "a `resources:` entry sets a property its type does not have"),
    Code("E3233", "a `resources:` property has the wrong type of value"),
    Code("E3234", "a `resources:` entry misses a required property"),
    Code("E3235", "a `resources:` logical ID is already a generated resource's"),
    Code("E3236", "a `Ref` or `Fn::GetAtt` in `resources:` names no resource or attribute"),
)
KINDS = {"s": "a string", "i": "an integer", "n": "a number", "b": "a boolean", "a": "a list",
         "o": "a map"}
CUSTOM = re.compile(r"^(Custom::[A-Za-z0-9_@-]+|AWS::CloudFormation::CustomResource)$")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Check each raw resource's type and properties against its provider schema."""
    for name, raw in cx.section("resources").items():
        base = ("resources", name)
        if CUSTOM.match(raw.Type):
            continue
        if resource_specs.spec(raw.Type) is None:
            yield Finding("E3231", f"unknown resource type `{raw.Type}`", base + ("Type",),
                          hint=did_you_mean(raw.Type, resource_specs.known_types())
                          or "see the AWS resource and property types reference")
            continue
        types = resource_specs.property_types(raw.Type)
        for prop, value in raw.Properties.items():
            where = base + ("Properties", prop)
            if prop not in types:
                yield Finding("E3232", f"{raw.Type} has no property `{prop}`", where, key=True,
                              hint=did_you_mean(prop, types)
                              or f"its properties: {', '.join(sorted(types))}")
                continue
            got = _kind(value)
            want = types[prop]
            if got is not None and want and not _fits(got, value, want):
                shown = " or ".join(KINDS[c] for c in want)
                yield Finding("E3233", f"`{prop}` of {raw.Type} takes {shown}, not {KINDS[got]}",
                              where, hint=f"write {shown} (see the {raw.Type} reference)")
        missing = sorted(resource_specs.required_properties(raw.Type) - set(raw.Properties))
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            yield Finding("E3234", f"{raw.Type} needs {names}",
                          base + ("Properties",) if raw.Properties else base, key=True,
                          hint="add " + ("it" if len(missing) == 1 else "them")
                               + " under `Properties`")


def _kind(value: Any) -> str | None:
    """Return the JSON kind of a literal value (None: an intrinsic or reference, unknown)."""
    if isinstance(value, bool):
        return "b"
    if isinstance(value, int):
        return "i"
    if isinstance(value, float):
        return "n"
    if isinstance(value, str):
        return None if "${" in value else "s"
    if isinstance(value, list):
        return "a"
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in INTRINSICS:
            return None
        return "o"
    return None


INTRINSICS = frozenset({"Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split",
                        "Fn::If", "Fn::Base64", "Fn::GetAZs", "Fn::ImportValue", "Fn::FindInMap",
                        "Fn::Cidr", "Fn::Length", "Fn::ToJsonString"})


def _fits(got: str, value: Any, want: str) -> bool:
    """Say whether a literal of kind `got` is accepted where `want` goes. CloudFormation
    converts scalars: "5" is a fine integer, 5 a fine string, "true" a fine boolean."""
    if got in want:
        return True
    if got == "i" and "n" in want:
        return True
    if got in "inb" and "s" in want:
        return True
    if got == "s":
        text = str(value).strip()
        if "i" in want and re.fullmatch(r"-?\d+", text):
            return True
        if "n" in want and re.fullmatch(r"-?\d+(\.\d+)?", text):
            return True
        if "b" in want and text in ("true", "false"):
            return True
    return False

"""`overrides:` patches: an unknown logical ID (E3237) and unknown properties (E3238).

A patch names a generated resource by logical ID; one that names nothing would silently do
nothing, so the overrides pass reports it (E3237) with the closest ID. A patched property that
the resource's type does not have would fail the deploy ("Encountered unsupported property"),
so it is reported here at the patch's line, with the closest property name.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-stack.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc import resource_specs
from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean

CODES = (
    Code("E3237", "an `overrides:` entry names no generated resource"),
    Code("E3238", "an `overrides:` patch sets a property the resource's type does not have"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each patched top-level property its resource type does not have."""
    if cx.ir is None:
        return
    for lid, patch in (cx.data.get("overrides") or {}).items():
        r = cx.ir.resources.get(lid)
        if r is None or not isinstance(patch, dict) or not isinstance(patch.get("Properties"),
                                                                       dict):
            continue
        types = resource_specs.property_types(r.type)
        if not types:
            continue
        for prop in patch["Properties"]:
            if prop not in types:
                yield Finding("E3238", f"{r.type} has no property `{prop}`",
                              ("overrides", lid, "Properties", prop), key=True,
                              hint=did_you_mean(prop, types)
                              or f"its properties: {', '.join(sorted(types))}")

"""Tag every taggable resource with project, environment, app-wide and entry tags."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import IR
from cloudc.resource_specs import tags_format

SKIP = {"AWS::CloudFormation::Stack"}  # nested-stack tags would propagate twice


def tagging(ir: IR, ctx: Context) -> IR:
    """Add tags in the format each type takes (list of Key/Value, or a map); keep explicit ones."""
    base = {"project": ctx.slug, "environment": ctx.env, **dict(ctx.config.tags or {})}
    # An owner's resources share its tags: merge and sort them once per owner.
    owners: dict[str, tuple[dict[str, Any], list[tuple[str, Any]]]] = {}
    for r in ir.resources.values():
        fmt = tags_format(r.type)
        if fmt is None or r.type in SKIP:
            continue
        got = owners.get(r.owner)
        if got is None:
            comp = ir.components.get(r.owner)
            tags = {**base, **(comp.tags if comp is not None else {})}
            got = owners[r.owner] = (tags, sorted(tags.items()))
        tags, ordered = got
        if fmt == "map":
            current = r.properties.get("Tags") or {}
            r.properties["Tags"] = {**tags, **current}
        else:
            current_list: list[dict[str, Any]] = r.properties.get("Tags") or []
            have = {t["Key"] for t in current_list}
            extra = [{"Key": k, "Value": v} for k, v in ordered if k not in have]
            if r.type == "AWS::AutoScaling::AutoScalingGroup":
                for t in extra:
                    t["PropagateAtLaunch"] = True
            r.properties["Tags"] = current_list + extra
    return ir

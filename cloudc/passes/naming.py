"""Check logical IDs: valid, unique, and derived from section and name only."""

from __future__ import annotations

import re

from cloudc.context import Context
from cloudc.ir import IR, pascal

_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,254}$")


def naming(ir: IR, ctx: Context) -> IR:
    """Report names that collide once turned into logical IDs (`a-b` and `a_b`)."""
    seen: dict[str, str] = {}
    for comp in ir.components.values():
        stem = f"{pascal(comp.section)}{pascal(comp.name)}"
        other = seen.get(stem)
        if other is not None:
            ctx.diags.add("E2006", f"`{comp.key}` and `{other}` give the same logical ID `{stem}`",
                          origin=comp.origin, path=comp.path, hint="rename one of them")
        seen[stem] = comp.key
    for lid in ir.resources:
        if not _VALID.match(lid):
            ctx.diags.add("E2006", f"logical ID `{lid}` is not valid in CloudFormation",
                          origin=ir.resources[lid].origin)
    return ir

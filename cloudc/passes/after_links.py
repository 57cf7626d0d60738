"""Let each section finish what depends on final links: a section module may export
`after_links(comp, spec, ctx)`, called once per component of that section, in declaration order.

Services write their container's final environment and secrets (and what the execution role
reads); servers write their user data. Nothing else changes here.
"""

from __future__ import annotations

from cloudc.context import Context
from cloudc.ir import IR
from cloudc.lower import lowering_module, spec_of


def after_links(ir: IR, ctx: Context) -> IR:
    """Call each section's `after_links` hook for each of its components."""
    for comp in list(ir.components.values()):
        mod = lowering_module(comp.section)
        hook = getattr(mod, "after_links", None)
        if hook is not None:
            hook(comp, spec_of(comp, ctx), ctx)
    return ir

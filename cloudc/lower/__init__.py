"""Lower stage: config -> resource IR, one module a section.

`cloudc/lower/<section>.py` defines `SECTION`, `declare(name, spec, ctx) -> Component` (attributes
and link grants, computable before any resource exists) and `lower(comp, spec, ctx)`.
Adding a section means adding a module; nothing here changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from types import ModuleType
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component
from cloudc.schema import section_modules


@lru_cache(maxsize=1)
def lowering_modules() -> dict[str, ModuleType]:
    """Import every lowering module, keyed by section."""
    out = {}
    for info in pkgutil.iter_modules(__path__):
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "SECTION"):
            out[mod.SECTION] = mod
    return out


def lower(ctx: Context) -> None:
    """Declare every component, then lower each into resources, in declaration order."""
    mods = lowering_modules()
    config = ctx.config
    work: list[tuple[ModuleType, Component, Any]] = []
    for smod in section_modules():
        section = smod.SECTION
        mod = mods.get(section)
        value = getattr(config, section, None)
        if mod is None or not value:
            continue
        if getattr(smod, "SINGLE", False):
            items = [("", value)]
        else:
            items = list(value.items())
        for name, spec in items:
            comp = mod.declare(name, spec, ctx)
            if comp is not None:
                comp.tags = dict(getattr(spec, "tags", None) or {})
                ctx.ir.components[comp.key] = comp
                work.append((mod, comp, spec))
    for mod, comp, spec in work:
        mod.lower(comp, spec, ctx)

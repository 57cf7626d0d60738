"""Lower stage: config -> resource IR, one module a section.

`cloudc/lower/<section>.py` defines `SECTION`, `declare(name, spec, ctx) -> Component` (attributes
and link grants, computable before any resource exists) and `lower(comp, spec, ctx)`, and may
define `AFTER = ("storage", ...)`: the sections whose resources its lowering reads or changes
(`"*"`: every other section), and `after_links(comp, spec, ctx)` (see passes/after_links.py).
Sections are declared and lowered in a topological order over AFTER; ties go by the schema
position (`ORDER` in cloudc/schema/sections/), so the order is deterministic.
Adding a section means adding a module; nothing here changes.
"""

from __future__ import annotations

import heapq
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


def spec_of(comp: Component, ctx: Context) -> Any:
    """Return the typed config entry a component was declared from (None if it has none)."""
    value = getattr(ctx.config, comp.section, None)
    if value is None or comp.section in _single_sections():
        return value
    return value.get(comp.name) if isinstance(value, dict) else None


@lru_cache(maxsize=1)
def _single_sections() -> frozenset[str]:
    """Return the sections that are one map, not named entries (their modules' SINGLE)."""
    return frozenset(s for s, m in section_modules_by_name().items()
                     if getattr(m, "SINGLE", False))


@lru_cache(maxsize=1)
def section_modules_by_name() -> dict[str, ModuleType]:
    """Return the schema module of every section, keyed by section."""
    return {m.SECTION: m for m in section_modules()}


@lru_cache(maxsize=1)
def stateful_types() -> dict[str, str]:
    """Return what replacing or deleting each stateful resource type loses (sections' STATEFUL)."""
    out: dict[str, str] = {}
    for section, mod in sorted(lowering_modules().items()):
        for rtype, lost in getattr(mod, "STATEFUL", {}).items():
            if out.get(rtype, lost) != lost:
                raise ValueError(f"{section}: STATEFUL {rtype} disagrees with another section")
            out[rtype] = lost
    return out


@lru_cache(maxsize=1)
def lowering_order() -> tuple[str, ...]:
    """Return the lowered sections in a topological order over `AFTER`, ties by `ORDER`."""
    mods = lowering_modules()
    position = {m.SECTION: i for i, m in enumerate(section_modules())}
    sections = sorted((s for s in mods if s in position), key=position.__getitem__)
    needs: dict[str, set[str]] = {}
    for s in sections:
        after = getattr(mods[s], "AFTER", ())
        if after == "*":
            after = [o for o in sections if getattr(mods[o], "AFTER", ()) != "*"]
        unknown = set(after) - set(sections)
        if unknown:
            raise ValueError(f"{s}: AFTER names unknown sections {sorted(unknown)}")
        needs[s] = set(after) - {s}
    ready = [(position[s], s) for s in sections if not needs[s]]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, s = heapq.heappop(ready)
        out.append(s)
        for other in sections:
            if s in needs[other]:
                needs[other].discard(s)
                if not needs[other]:
                    heapq.heappush(ready, (position[other], other))
    if len(out) != len(sections):
        raise ValueError(f"AFTER has a cycle among {sorted(set(sections) - set(out))}")
    return tuple(out)


def lower(ctx: Context) -> None:
    """Declare every component, then lower each into resources, in `lowering_order()`."""
    mods = lowering_modules()
    schemas = section_modules_by_name()
    config = ctx.config
    work: list[tuple[ModuleType, Component, Any]] = []
    for section in lowering_order():
        smod = schemas[section]
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

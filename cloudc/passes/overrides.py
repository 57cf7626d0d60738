"""Apply `overrides:`: deep-merge patches on generated resources, by logical ID.

Runs after every pass that writes resources (so a patch has the last word on security defaults,
tags and names) and before the dependency graph and placement (so references a patch adds are
followed like any other). Maps merge key by key, anything else replaces, `null` deletes the
key. An unknown logical ID is E3237 at the entry's key, with the closest ID. What each patch
set is kept in `ir.overridden` for `cloudc explain`.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean, dotted
from cloudc.ir import IR, Expr, Resource
from cloudc.lower._raw import Walker
from cloudc.source import Path

SECTION = "overrides"


def overrides(ir: IR, ctx: Context) -> IR:
    """Merge each `overrides.<LogicalId>` patch into its resource."""
    patches = ctx.res.data.get(SECTION)
    if not isinstance(patches, dict) or not patches:
        return ir
    walker = Walker(ctx, {lid: r.type for lid, r in ir.resources.items()})
    for lid, patch in patches.items():
        path: Path = (SECTION, lid)
        r = ir.resources.get(lid)
        if r is None:
            ctx.diags.add("E3237", f"no generated resource has the logical ID `{lid}` in "
                          f"`{ctx.env}`", origin=ctx.res.origins.key(path), path=path,
                          hint=did_you_mean(lid, ir.resources)
                          or "`cloudc explain --env ENV` lists every logical ID; a resource "
                             "made in one environment only takes its patch under "
                             "`environments.<env>.overrides`")
            continue
        if isinstance(patch, dict):
            _apply(r, patch, path, walker, ir)
    return ir


def _apply(r: Resource, patch: dict[str, Any], path: Path, walker: Walker, ir: IR) -> None:
    """Merge one patch into `r`, recording what it set."""
    done = ir.overridden.setdefault(r.logical_id, [])
    for key, value in patch.items():
        p = path + (key,)
        if key == "Properties":
            r.properties = _merge(r.properties, value, p, (key,), walker, done)
        elif key == "Metadata":
            r.metadata = _merge(r.metadata, value, p, (key,), walker, done)
        elif key == "UpdatePolicy":
            r.update_policy = _merge(r.update_policy or {}, value, p, (key,), walker, done) \
                or None
        elif key == "DependsOn":
            ids = [value] if isinstance(value, str) else list(value or [])
            r.depends_on = [d for i, d in enumerate(ids)
                            if walker.target(d, p + ((i,) if isinstance(value, list) else ()))]
            done.append((key, p))
        elif key == "DeletionPolicy":
            r.deletion_policy = value
            done.append((key, p))
        elif key == "UpdateReplacePolicy":
            r.update_replace_policy = value
            done.append((key, p))


def _merge(base: dict[str, Any], patch: Any, path: Path, where: tuple[str | int, ...],
           walker: Walker, done: list[tuple[str, Path]]) -> dict[str, Any]:
    """Return `base` with `patch` merged in (maps key by key; null deletes; else replaces)."""
    if patch is None:
        done.append((dotted(where), path))
        return {}
    if not isinstance(patch, dict):
        return base
    out = dict(base)
    for key, value in patch.items():
        p, w = path + (key,), where + (key,)
        old = out.get(key)
        if value is None:
            out.pop(key, None)
            done.append((dotted(w), p))
        elif isinstance(value, dict) and isinstance(old, dict) and not isinstance(old, Expr) \
                and not _intrinsic(value):
            out[key] = _merge(old, value, p, w, walker, done)
        else:
            out[key] = walker.walk(value, p)
            done.append((dotted(w), p))
    return out


def _intrinsic(value: dict[str, Any]) -> bool:
    """Say whether a patch value is one intrinsic function (it replaces, never merges)."""
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))

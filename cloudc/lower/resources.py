"""Lower `resources:` (raw CloudFormation) into the IR, in a nested stack of their own.

Each entry keeps its logical ID. Strings with `${section.name.attr}` become the same typed
references links and outputs use (Ref/GetAtt, moved across stacks by the emitter); `Ref` and
`Fn::GetAtt` may name another raw resource or a generated one by logical ID, and `Fn::Sub`
keeps CloudFormation's own `${AWS::Region}` and `${Logical.Attr}` forms. The provider-schema
checks (type, property names, types, required properties) are `cloudc/checks/raw_resources.py`.
"""

from __future__ import annotations

import re

from cloudc import resource_specs
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Resource
from cloudc.lower._raw import Walker
from cloudc.schema.sections.resources import RawResource
from cloudc.source import Path

SECTION = "resources"
GROUP = "resources"


def declare(name: str, spec: RawResource, ctx: Context) -> Component:
    """Declare a raw resource: `${resources.NAME}` is its Ref, `.Attr` its GetAtt."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, spec.Type, path, ctx.origin(path))
    comp.attrs = {"id": Ref(name)}
    for attr in resource_specs.getatt_attributes(spec.Type):
        if re.fullmatch(r"[A-Za-z0-9.]+", attr):
            comp.attrs[attr] = GetAtt(name, attr)
    comp.primary = name
    return comp


def lower(comp: Component, spec: RawResource, ctx: Context) -> None:
    """Nothing yet: raw resources are added by `after_links`, once every section (monitoring
    included) has made the resources they may name by logical ID."""


def after_links(comp: Component, spec: RawResource, ctx: Context) -> None:
    """Add the resource under its own logical ID, its references made typed."""
    name = comp.name
    if name in ctx.ir.resources:
        other = ctx.ir.resources[name]
        ctx.diags.add("E3235", f"logical ID `{name}` is already `{other.owner}`'s {other.type}",
                      origin=ctx.res.origins.key(comp.path) or ctx.origin(comp.path),
                      path=comp.path,
                      hint=f"give the raw resource another logical ID, or patch `{name}` with "
                           "`overrides:`")
        return
    walker = Walker(ctx, _known(ctx))
    props = walker.walk(spec.Properties, comp.path + ("Properties",))
    depends = [spec.DependsOn] if isinstance(spec.DependsOn, str) else list(spec.DependsOn or [])
    for i, dep in enumerate(depends):
        walker.target(dep, comp.path + ("DependsOn",) + ((i,) if
                                                          isinstance(spec.DependsOn, list) else ()))
    res = Resource(name, spec.Type, props, comp.key, GROUP, ctx.origin(comp.path),
                   depends_on=[d for d in depends if d in walker.known])
    res.deletion_policy = spec.DeletionPolicy
    res.update_replace_policy = spec.UpdateReplacePolicy
    if spec.Metadata:
        res.metadata = walker.walk(spec.Metadata, comp.path + ("Metadata",))
    ctx.ir.add(res)


def _known(ctx: Context) -> dict[str, str]:
    """Return every logical ID a raw resource may name, with its type."""
    out = {lid: r.type for lid, r in ctx.ir.resources.items()}
    for name, raw in (getattr(ctx.config, SECTION, None) or {}).items():
        out.setdefault(name, raw.Type)
    return out



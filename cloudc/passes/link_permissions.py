"""Links -> least-privilege IAM statements, environment variables, container secrets and
security-group ingress."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import IR, Component, GetAtt, pascal
from cloudc.lower import spec_of
from cloudc.lower._policies import add_policies

ACCESS = {"read": ("read",), "write": ("write",), "read-write": ("read", "write")}


def link_permissions(ir: IR, ctx: Context) -> IR:
    """Grant each consumer exactly what its links need, and tell it where to find them."""
    rules: dict[str, list[tuple[Component, str, int]]] = {}  # consumer -> ingress to open
    for comp in ir.components.values():
        for target_key, access, path in comp.links:
            target = ir.components.get(target_key)
            if target is None:
                section = target_key.split(".", 1)[0]
                names = [c.name for c in ir.components.values() if c.section == section]
                ctx.diags.add("E3001", f"`{target_key}` is not declared", origin=ctx.origin(path),
                              path=path, hint=did_you_mean(target_key.split(".", 1)[-1], names))
                continue
            _apply(comp, target, access, path, ctx, rules)
        add_policies(comp, spec_of(comp, ctx), ctx)  # the entry's own `policies:`
        _finish(comp, ir)
    for comp in list(ir.components.values()):
        _ingress(comp, ir, ctx, rules.get(comp.key, []))
    return ir


def _ingress(comp: Component, ir: IR, ctx: Context,
             rules: list[tuple[Component, str, int]]) -> None:
    """Open each linked target's security group to this consumer's security group alone.

    The rule belongs to the target (its logical ID is the target's plus the consumer's name)
    but lives in the consumer's nested stack: the consumer already reads the target's values
    (host, port), so the rule there adds no reverse edge and no stack cycle.
    """
    if comp.security_group is None:
        return
    seen: set[str] = set()
    for target, sg, port in rules:
        if target.key in seen or sg not in ir.resources \
                or comp.security_group not in ir.resources:
            continue
        seen.add(target.key)
        suffix = f"IngressFrom{pascal(comp.section)}{pascal(comp.name)}"
        ctx.add(target, suffix, "AWS::EC2::SecurityGroupIngress", {
            "GroupId": GetAtt(sg, "GroupId"),
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "SourceSecurityGroupId": GetAtt(comp.security_group, "GroupId"),
            "Description": f"{comp.key} to {target.key}",
        }, path=target.path, group=ir.resources[comp.security_group].group)


def _apply(comp: Component, target: Component, access: str, path: Any, ctx: Context,
           rules: dict[str, list[tuple[Component, str, int]]]) -> None:
    linkable = target.grants or target.link_env or target.ingress or target.link_secrets
    if not linkable:
        ctx.diags.add("E3002", f"`{target.key}` ({target.kind}) cannot be linked",
                      origin=ctx.origin(path), path=path)
        return
    if target is comp:
        ctx.diags.add("E3002", f"`{comp.key}` links to itself", origin=ctx.origin(path), path=path)
        return
    if comp.statements is not None:
        for level in ACCESS[access]:
            for st in target.grants.get(level, []):
                if st not in comp.statements:
                    comp.statements.append(st)
    if comp.environment is not None:
        for suffix, value in target.link_env.items():
            comp.environment.setdefault(f"{target.env_prefix}_{suffix}", value)
    if target.link_secrets:
        sink = comp.secrets if comp.secrets is not None else comp.environment
        if sink is not None:
            for suffix, value in target.link_secrets.items():
                sink.setdefault(f"{target.env_prefix}_{suffix}", value)
    if target.ingress is not None and comp.security_group is not None:
        sg, port = target.ingress
        rules.setdefault(comp.key, []).append((target, sg, port))
    if comp.secrets is not None:  # containers inject these values themselves
        for suffix, value in target.container_secrets.items():
            comp.secrets.setdefault(f"{target.env_prefix}_{suffix}", value)


def _finish(comp: Component, ir: IR) -> None:
    """Merge statements on the same resources and drop empty policies and environments."""
    if comp.statements is not None:
        merged: list[dict[str, Any]] = []
        by_resource: dict[str, dict[str, Any]] = {}
        for st in comp.statements:
            key = repr((st.get("Resource"), st.get("Condition"), st.get("Effect")))
            if key in by_resource and set(st) <= {"Effect", "Action", "Resource"}:
                prior = by_resource[key]
                prior["Action"] = sorted(set(prior["Action"]) | set(st["Action"]))
            else:
                st = dict(st)
                by_resource[key] = st
                merged.append(st)
        comp.statements[:] = merged
        role = ir.resources.get(comp.role)
        if role is not None and not comp.statements:
            role.properties.pop("Policies", None)
    if comp.environment is not None and not comp.environment:
        fn = ir.resources.get(comp.invoke.function) if comp.invoke is not None else None
        if fn is not None:
            fn.properties.pop("Environment", None)

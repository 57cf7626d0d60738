"""`policies:` on functions, services and servers: extra IAM statements on the entry's role."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component
from cloudc.source import Path


def add_policies(comp: Component, spec: Any, ctx: Context) -> None:
    """Append the entry's own IAM statements to the statements its role holds.

    `${...}` references in resources and condition values become names (weak references):
    a policy needs the ARN, not the resource's existence.
    """
    if comp.statements is None:
        return
    for i, policy in enumerate(getattr(spec, "policies", None) or []):
        path: Path = comp.path + ("policies", i)
        st: dict[str, Any] = {
            "Effect": policy.effect,
            "Action": sorted(set(policy.actions)),
            "Resource": [ctx.value(r, path + ("resources", j), weak=True)
                         for j, r in enumerate(policy.resources)],
        }
        if policy.conditions:
            st["Condition"] = {
                op: {key: _values(v, path + ("conditions", op, key), ctx)
                     for key, v in body.items()}
                for op, body in policy.conditions.items()}
        comp.statements.append(st)


def _values(value: Any, path: Path, ctx: Context) -> Any:
    """Turn a condition value (or list of them) into IR values."""
    if isinstance(value, list):
        return [ctx.value(v, path + (i,), weak=True) for i, v in enumerate(value)]
    return ctx.value(value, path, weak=True)

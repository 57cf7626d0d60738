"""An empty secret read before anyone could set it (W3220).

A `secrets:` entry with no source (`stripe_key: {}`) is created empty by the deploy; its value
is set afterwards with `cloudc secrets set`. Two readers cannot wait for that: a dynamic
reference (`${secret:stripe_key}`), which CloudFormation resolves during the deploy that
creates the secret, and a service that links it, whose tasks get the value injected at start
(ECS cannot start a task whose secret has no value). Functions and servers read the secret at
run time through the ARN their link gives, and are fine.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/specifying-sensitive-data-secrets.html
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Expr, Ref, Sub, iter_targets

CODES = (Code("W3220", "an empty secret (no source) read at deploy time or at task start"),)
RESOLVE = "{{resolve:secretsmanager:"


def check(cx: CheckContext) -> Iterable[Finding]:
    """Warn where an empty secret is resolved by the template or injected into a container."""
    if cx.ir is None:
        return
    empty: dict[str, str] = {}  # logical ID or physical name -> entry name
    for name, spec in cx.section("secrets").items():
        comp = cx.ir.components.get(f"secrets.{name}")
        if getattr(spec, "settable", False) and comp is not None and comp.primary:
            empty[comp.primary] = empty[str(comp.physical)] = name
    if not empty:
        return

    def hint(name: str) -> str:
        return (f"deploy once without it, set the value with `cloudc secrets set --env "
                f"{cx.env} {name} -`, then add it back; or read the secret at run time "
                "through a function's `link:`")

    for r in cx.ir.resources.values():
        names = {empty[k] for sub in _resolving(r.properties) for k in _named(sub) if k in empty}
        for name in sorted(names):
            yield Finding("W3220", f"`secrets.{name}` has no value until `cloudc secrets "
                          f"set`, but {r.owner} resolves it during the deploy (a dynamic "
                          "reference): the deploy that creates the secret fails here",
                          resource=r.logical_id, hint=hint(name))
    for comp in cx.ir.components.values():
        if comp.section != "services":
            continue
        for key, _, path in comp.links:
            name = key.partition(".")[2]
            if key.startswith("secrets.") and name in empty.values():
                yield Finding("W3220", f"`{key}` has no value until `cloudc secrets set`, and "
                              f"{comp.key} injects it into its containers: no task starts "
                              "until it is set, so the deploy that creates it cannot finish",
                              path, hint=hint(name))


def _named(sub: Sub) -> Iterator[str]:
    """Yield what a dynamic reference names: logical IDs it refers to, literal names it holds."""
    for t in iter_targets(sub):
        if isinstance(t, Ref):
            yield t.target
    for _, v in sub.vars:
        if isinstance(v, Sub) and not v.vars:
            yield v.template
        elif isinstance(v, str):
            yield v


def _resolving(value: Any) -> Iterator[Sub]:
    """Yield every Sub in `value` whose template resolves a Secrets Manager value."""
    if isinstance(value, Sub):
        if RESOLVE in value.template:
            yield value
        for _, v in value.vars:
            yield from _resolving(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _resolving(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _resolving(v)
    elif isinstance(value, Expr):
        for field in getattr(value, "__slots__", ()):
            yield from _resolving(getattr(value, field))

"""Two resources with the same physical name, or the same DNS record, in the generated output.

Physical names are `{slug}-{env}-{name}` plus a suffix for what an entry adds (a queue `jobs`
with a dead-letter queue makes `...-jobs-dlq`), so a second entry can land on the same name: a
queue `jobs-dlq`, a bucket `site-web` next to a site `web`. AWS rejects the second at deploy time
(the name already exists). A name property counts when the provider schema makes it create-only
and it names the resource itself (the type's primary identifier, `Name`, or `<Type>Name`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from cloudc import resource_specs
from cloudc.checks import CheckContext, Finding
from cloudc.checks.duplicate_hosts import duplicates as host_duplicates
from cloudc.diagnostics import Code
from cloudc.ir import Resource, Sub

CODES = (
    Code("E3101", "two resources get the same physical name",
         "every create-only name property (BucketName, QueueName, FunctionName, TableName, "
         "TopicName, ClusterName, ...) of the generated resources is unique per type"),
    Code("E3103", "two DNS records for the same name and type",
         "Route53 record sets of the generated output are unique per zone, name and type"),
)

# Types whose name is unique only within a parent resource (an alias per function).
SCOPED = ("AWS::Lambda::Alias",)


@cache
def name_properties(type_name: str) -> tuple[str, ...]:
    """Return the top-level properties that hold a resource's own physical name.

    >>> name_properties("AWS::SQS::Queue")
    ('QueueName',)
    """
    spec = resource_specs.spec(type_name)
    if spec is None or type_name in ("AWS::Route53::RecordSet", *SCOPED):
        return ()
    last = type_name.rsplit("::", 1)[-1]
    primary = spec.primary_identifier
    out = []
    for prop in sorted(spec.create_only):
        if "/" in prop or not prop.endswith("Name"):
            continue
        if primary == (prop,) or (prop in (f"{last}Name", "Name")
                                  and not (len(primary) > 1 and prop in primary)):
            out.append(prop)
    return tuple(out)


def _literal(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, Sub) and not value.vars:
        return value.template
    return None


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report the second resource that takes a physical name or DNS record already taken."""
    assert cx.ir is not None
    yield from _names(cx)
    yield from _records(cx)


def _where(cx: CheckContext, r: Resource) -> tuple[tuple[Any, ...], tuple[int, int, int]]:
    """Return the config path of `r`'s owner and where that entry is declared."""
    comp = cx.ir.components.get(r.owner) if cx.ir is not None else None
    path = comp.path if comp is not None else ()
    o = cx.res.origins.key(path) if path else r.origin
    if o is None:
        return path, (2, 0, 0)
    return path, (0 if o.file == cx.res.file else 1, o.line, o.col)


def _second(cx: CheckContext, a: Resource, b: Resource) -> tuple[Resource, Resource, Any]:
    """Order two clashing resources by where their entries are declared: (first, second)."""
    (pa, wa), (pb, wb) = _where(cx, a), _where(cx, b)
    return (a, b, pb) if wa <= wb else (b, a, pa)


def _what(r: Resource) -> str:
    return r.type.rsplit("::", 1)[-1]


def _names(cx: CheckContext) -> Iterator[Finding]:
    assert cx.ir is not None
    taken: dict[tuple[str, str, str], Resource] = {}
    for r in cx.ir.resources.values():
        for prop in name_properties(r.type):
            name = _literal(r.properties.get(prop))
            if name is None:
                continue
            have = taken.setdefault((r.type, prop, name.lower()), r)
            if have is r or have.owner == r.owner:
                continue
            first, second, path = _second(cx, have, r)
            yield Finding(
                "E3101", f"its {_what(second)} ({second.logical_id}) gets the same {prop} as "
                f"the {_what(first)} of `{first.owner}` ({first.logical_id}): AWS refuses the "
                "second", path, "rename one of them", resource=second.logical_id, key=True)


def _records(cx: CheckContext) -> Iterator[Finding]:
    assert cx.ir is not None
    clashing_hosts = {h for h, *_ in host_duplicates(cx)}  # reported once, as E3102
    taken: dict[tuple[str, str, str, str], Resource] = {}
    for r in cx.ir.resources.values():
        if r.type != "AWS::Route53::RecordSet":
            continue
        p = r.properties
        name = _literal(p.get("Name"))
        if name is None:
            continue
        host = name.rstrip(".").lower()
        if host in clashing_hosts:
            continue
        zone = repr(p.get("HostedZoneId") or p.get("HostedZoneName"))
        key = (zone, host, str(p.get("Type")), str(p.get("SetIdentifier", "")))
        have = taken.setdefault(key, r)
        if have is r:
            continue
        first, second, path = _second(cx, have, r)
        yield Finding("E3103", f"{second.logical_id} is a second {p.get('Type')} record for "
                      f"`{host}`; the first ({first.logical_id}) comes from `{first.owner}`",
                      path, "give the two entries different hostnames",
                      resource=second.logical_id, key=True)

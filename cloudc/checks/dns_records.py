"""No two Route53 record sets for the same name and type, in all stacks of a build.

Route53 holds one record set per (name, type) in a zone, and a CNAME admits no other record at
its name: a second `AWS::Route53::RecordSet` fails the deploy ("it already exists") or, across
stacks, fights the first. cloudc makes records for sites, APIs, services, servers, auth
domains, SES (DKIM, SPF, DMARC, MAIL FROM, inbound MX) and `dns.records`; records told apart
by a routing policy's SetIdentifier are one set. This rule checks the finished IR,
so a clash between any two of them (an email domain that is another's MAIL FROM domain, a
redirect source that is another site's alias) is an error at the line of the second.

Two A/AAAA records of two different served hostnames (`sites`, `apis`, `services`,
`servers`, `auth` domains) are left to the config rule on duplicate hostnames, which reports
them at the user's second hostname; this rule reports everything else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Resource

CODES = (
    Code("E3170", "two DNS records for the same name and type"),
)
HOSTNAME_SECTIONS = ("sites", "apis", "services", "servers", "auth")
ADDRESS = ("A", "AAAA")


def record_key(r: Resource) -> tuple[str, str, str] | None:
    """Return (zone, name, type) of a record set whose name is known at build time."""
    props = r.properties
    name = props.get("Name")
    if not isinstance(name, str):
        return None  # e.g. a DKIM record named by SES at deploy time: unique by construction
    return (repr(props.get("HostedZoneId", props.get("HostedZoneName"))),
            name.rstrip(".").lower(), str(props.get("Type")))


def _routed_apart(a: Resource, b: Resource) -> bool:
    """Say whether two records of one name and type are told apart by a routing policy
    (both have a SetIdentifier, and not the same one)."""
    x, y = a.properties.get("SetIdentifier"), b.properties.get("SetIdentifier")
    return x is not None and y is not None and x != y


def _hostname_pair(a: Resource, b: Resource) -> bool:
    """Say whether two records are the A/AAAA records of two declared hostnames."""
    def section(r: Resource) -> str:
        return r.owner.split(".", 1)[0]
    return (a.owner != b.owner and a.properties.get("Type") in ADDRESS
            and section(a) in HOSTNAME_SECTIONS and section(b) in HOSTNAME_SECTIONS)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each record set whose (zone, name, type) another one already has."""
    if cx.ir is None:
        return
    seen: dict[tuple[str, str, str], list[Resource]] = {}
    names: dict[tuple[str, str], list[Resource]] = {}
    for r in cx.ir.resources.values():
        if r.type != "AWS::Route53::RecordSet":
            continue
        key = record_key(r)
        if key is None:
            continue
        zone, name, kind = key
        first = next((o for o in seen.get(key, []) if not _routed_apart(o, r)), None)
        if first is not None:
            if not _hostname_pair(first, r) and not (first.owner == r.owner == "dns"):
                # (two of `dns.records` with one name and type: checks/dns_record_values.py)
                yield _finding(r, first, name, f"{kind} record")
            continue
        if key in seen:  # another routed record of the same set (weighted, failover, ...)
            seen[key].append(r)
            continue
        seen[key] = [r]
        others = names.setdefault((zone, name), [])
        clash = next((o for o in others if "CNAME" in (kind, o.properties.get("Type"))), None)
        if clash is not None:
            yield _finding(r, clash, name, "CNAME and another record")
        others.append(r)


def _finding(r: Resource, first: Resource, name: str, what: str) -> Finding:
    where = _where(first)
    return Finding(
        "E3170", f"`{name}` would get a second {what}: `{first.owner}` already makes "
        f"{first.properties.get('Type')} {name}{where}", resource=r.logical_id,
        hint="give one of them another name (e.g. a different `mail_from`, domain or alias); "
             "a name holds one record of each type")


def _where(r: Resource) -> str:
    o: Any = r.origin
    return f" (line {o.line})" if o is not None and getattr(o, "line", None) else ""

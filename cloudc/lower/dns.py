"""Lower `dns` to a Route53 hosted zone (created, or an existing one looked up).

Other sections use `zone_for(ctx, domain)` to find the zone a domain lives in, and
`alias_records(...)` to point a domain at CloudFront or API Gateway.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal
from cloudc.schema.sections.dns import Dns
from cloudc.source import Path

SECTION = "dns"
SECTION_PATH: Path = (SECTION,)
NAME_SERVERS_OUTPUT = "dns_name_servers"  # root output DnsNameServers
# The hosted zone id every CloudFront distribution's alias target uses (fixed by AWS).
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def declare(name: str, spec: Dns, ctx: Context) -> Component:
    """Declare the zone: its id and name servers, and the apex it covers."""
    path: Path = (SECTION,)
    comp = Component(SECTION, name, "hosted-zone", path, ctx.origin(path))
    zone = spec.zone.strip().rstrip(".").lower()
    comp.extra["zone"] = zone
    comp.attrs = {"name": Sub(zone)}
    if spec.lookup:
        if spec.zone_id is None:
            ctx.diags.add("E3005", "`lookup: true` needs the existing zone's `zone_id`",
                          origin=ctx.origin(path + ("lookup",)), path=path + ("lookup",),
                          hint="find it with `aws route53 list-hosted-zones-by-name "
                               f"--dns-name {zone}`")
            comp.attrs["zone_id"] = Sub("")
        else:
            comp.attrs["zone_id"] = Sub(spec.zone_id)
            comp.attrs["id"] = comp.attrs["zone_id"]
        return comp
    if spec.zone_id is not None:
        ctx.warn("W1003", "`zone_id` is only used with `lookup: true`; a new zone is created",
                 path + ("zone_id",))
    lid = ctx.logical(comp, "Zone")
    comp.attrs["zone_id"] = Ref(lid)
    comp.attrs["id"] = comp.attrs["zone_id"]
    # Crosses stacks (e.g. into a root output) as one comma-separated string.
    comp.attrs["name_servers"] = GetAtt(lid, "NameServers")
    return comp


def lower(comp: Component, spec: Dns, ctx: Context) -> None:
    """Emit the hosted zone unless an existing one is used; output its name servers."""
    if spec.lookup:
        return
    ctx.add(comp, "Zone", "AWS::Route53::HostedZone", {
        "Name": comp.extra["zone"],
        "HostedZoneConfig": {"Comment": f"{ctx.slug} {ctx.env} (cloudc)"},
    }, stateful=True)
    # The registrar must delegate to these before anything in the zone resolves (and before
    # ACM can validate a certificate through it): the root stack shows them.
    ctx.ir.outputs.setdefault(NAME_SERVERS_OUTPUT, (
        comp.attrs["name_servers"],
        f"Name servers of the hosted zone {comp.extra['zone']}: set them at its registrar",
        ctx.origin(SECTION_PATH + ("zone",))))


def note_delegation(ctx: Context, domain: str) -> None:
    """Say once, at `dns.zone`, that a certificate validated in a new zone waits for delegation.

    CloudFormation writes the validation records into the zone it creates in the same deploy,
    but ACM only sees them once the registrar points the domain at the zone's name servers;
    until then the certificate (and the stack) waits, and fails after 72 hours.
    """
    comp = ctx.component(SECTION)
    if comp is None or "zone_id" not in comp.attrs or not isinstance(comp.attrs["zone_id"], Ref):
        return
    if comp.extra.get("delegation_noted"):
        return
    comp.extra["delegation_noted"] = True
    zone = comp.extra["zone"]
    path = SECTION_PATH + ("zone",)
    ctx.diags.add(
        "I1001", f"the hosted zone `{zone}` is created by this deploy and validates the "
        f"certificate for `{domain}`: the deploy waits until the registrar of `{zone}` points "
        "at the zone's name servers (root output `DnsNameServers`), and fails after 72 hours",
        origin=ctx.origin(path), path=path,
        hint="deploy once, copy the name servers from the stack's outputs (or `aws route53 "
             "get-hosted-zone`) to the registrar while it waits; or create the zone first and "
             "use `lookup: true` with its `zone_id`")


def covers(zone: str, domain: str) -> bool:
    """Say whether `domain` is `zone` itself or a name under it.

    >>> covers("acme.com", "www.acme.com"), covers("acme.com", "acme.co")
    (True, False)
    """
    domain = domain.rstrip(".").lower()
    return domain == zone or domain.endswith("." + zone)


def zone_for(ctx: Context, domain: str) -> Any | None:
    """Return the id expression of the declared zone that covers `domain`, or None."""
    comp = ctx.component(SECTION)
    if comp is None or not covers(comp.extra["zone"], domain):
        return None
    zone_id = comp.attrs.get("zone_id")
    if isinstance(zone_id, Sub) and not zone_id.template:
        return None
    return zone_id


def note_outside(ctx: Context, domain: str, path: Path, what: str) -> None:
    """Tell the user that `domain` gets no DNS records because no declared zone covers it."""
    comp = ctx.component(SECTION)
    where = f"outside the zone `{comp.extra['zone']}`" if comp is not None \
        else "in no declared `dns` zone"
    ctx.diags.add("I1001", f"`{domain}` is {where}: no DNS records are made for it; "
                  f"{what}", origin=ctx.origin(path), path=path)


def alias_records(owner: Component, ctx: Context, domain: str, target: Any, target_zone: Any,
                  path: Path, *, ipv6: bool = True, group: str | None = None) -> list[str]:
    """Add A (and AAAA) alias records for `domain` pointing at `target`; return their IDs.

    Makes nothing (and notes it) when no declared zone covers `domain`.
    """
    zone = zone_for(ctx, domain)
    if zone is None:
        note_outside(ctx, domain, path, "point it at the distribution or API yourself")
        return []
    made = []
    stem = "Record" + pascal(domain)
    for kind in ("A", "AAAA") if ipv6 else ("A",):
        res = ctx.add(owner, stem + kind, "AWS::Route53::RecordSet", {
            "HostedZoneId": zone,
            "Name": domain,
            "Type": kind,
            "AliasTarget": {"DNSName": target, "HostedZoneId": target_zone,
                            "EvaluateTargetHealth": False},
        }, path=path, group=group)
        made.append(res.logical_id)
    return made

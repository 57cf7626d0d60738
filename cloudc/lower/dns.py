"""Lower `dns` to a Route53 hosted zone (created, or an existing one looked up).

Other sections use `zone_for(ctx, domain)` to find the zone a domain lives in, and
`alias_records(...)` to point a domain at CloudFront or API Gateway.
"""

from __future__ import annotations

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, state_of
from cloudc.lower._dns_records import extra_zone_id, lower_records, lower_zones
from cloudc.lower._zones import Zone
from cloudc.schema.sections.dns import Dns
from cloudc.source import Path

SECTION = "dns"
SECTION_PATH: Path = (SECTION,)
NAME_SERVERS_OUTPUT = "dns_name_servers"  # root output DnsNameServers


def declare(name: str, spec: Dns, ctx: Context) -> Component:
    """Declare the zone: its id and name servers, and the apex it covers."""
    path: Path = (SECTION,)
    comp = Component(SECTION, name, "hosted-zone", path, ctx.origin(path))
    zone = spec.zone.strip().rstrip(".").lower()
    comp.state = Zone(zone, extra=_extra_zones(spec))
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


def _extra_zones(spec: Dns) -> dict[str, Ref | Sub | None]:
    """Return each `dns.zones` domain's zone id expression (None: looked up by name only)."""
    out: dict[str, Ref | Sub | None] = {}
    for domain, zone in spec.zones.items():
        d = domain.strip().rstrip(".").lower()
        if not zone.lookup:
            out[d] = Ref("Dns" + extra_zone_id(d))  # as declared_zones names it
        else:
            out[d] = Sub(zone.zone_id) if zone.zone_id else None
    return out


def lower(comp: Component, spec: Dns, ctx: Context) -> None:
    """Emit the hosted zone unless an existing one is used; output its name servers."""
    lower_zones(comp, spec, ctx)
    if spec.lookup:
        return
    ctx.add(comp, "Zone", "AWS::Route53::HostedZone", {
        "Name": state_of(comp, Zone).name,
        "HostedZoneConfig": {"Comment": f"{ctx.slug} {ctx.env} (cloudc)"},
    }, stateful=True)
    # The registrar must delegate to these before anything in the zone resolves (and before
    # ACM can validate a certificate through it): the root stack shows them.
    ctx.ir.outputs.setdefault(NAME_SERVERS_OUTPUT, (
        comp.attrs["name_servers"],
        f"Name servers of the hosted zone {state_of(comp, Zone).name}: set them at its registrar",
        ctx.origin(SECTION_PATH + ("zone",))))


def after_links(comp: Component, spec: Dns, ctx: Context) -> None:
    """Add `dns.records`, once every section has made what an alias may point at."""
    lower_records(comp, spec, ctx)

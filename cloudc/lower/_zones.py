"""DNS helpers any section uses: the declared zone that covers a domain, alias records, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Ref, Sub, pascal, state_of
from cloudc.source import Path

ZONES = "dns"  # the section whose zone these helpers read
ZONES_PATH: Path = (ZONES,)


@dataclass
class Zone:
    """The `dns` component's state: the zone's name, more zones, and the notes given."""

    name: str
    noted: set[str] = field(default_factory=set)  # zones whose delegation note is out
    # `dns.zones` entries by domain: the zone's id expression (None: looked up by name only).
    extra: dict[str, Any] = field(default_factory=dict)


# The hosted zone id every CloudFront distribution's alias target uses (fixed by AWS).
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"


def note_delegation(ctx: Context, domain: str) -> None:
    """Say once per zone that a certificate validated in a zone this deploy creates waits.

    CloudFormation writes the validation records into the zone it creates in the same deploy,
    but ACM only sees them once the registrar points the domain at the zone's name servers;
    until then the certificate (and the stack) waits, and fails after 72 hours.
    """
    comp = ctx.component(ZONES)
    if comp is None:
        return
    state = state_of(comp, Zone)
    extra = [d for d, z in state.extra.items() if covers(d, domain) and isinstance(z, Ref)]
    if extra and not (covers(state.name, domain) and len(state.name) > len(max(extra, key=len))):
        zone = max(extra, key=len)
        path: Path = ZONES_PATH + ("zones", zone)
        output = pascal(f"dns_{zone.replace('.', '_').replace('-', '_')}_name_servers")
    elif covers(state.name, domain) and isinstance(comp.attrs.get("zone_id"), Ref):
        zone, path, output = state.name, ZONES_PATH + ("zone",), "DnsNameServers"
    else:
        return
    if zone in state.noted:
        return
    state.noted.add(zone)
    ctx.diags.add(
        "I1001", f"the hosted zone `{zone}` is created by this deploy and validates the "
        f"certificate for `{domain}`: the deploy waits until the registrar of `{zone}` points "
        f"at the zone's name servers (root output `{output}`), and fails after 72 hours",
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
    comp = ctx.component(ZONES)
    if comp is None or not covers(state_of(comp, Zone).name, domain):
        return None
    zone_id = comp.attrs.get("zone_id")
    if isinstance(zone_id, Sub) and not zone_id.template:
        return None
    return zone_id


def validation_zone_for(ctx: Context, domain: str) -> Any | None:
    """Return the id of the closest declared zone (`dns.zone` or `dns.zones`) covering `domain`.

    For DNS validation of certificates: ACM's `DomainValidationOptions` need a zone id, so a
    `dns.zones` entry looked up by name alone does not count. Records the sections make stay in
    `dns.zone` (`zone_for`); names in `dns.zones` get records from `dns.records`.
    """
    comp = ctx.component(ZONES)
    if comp is None:
        return None
    state = state_of(comp, Zone)
    candidates = [(d, z) for d, z in state.extra.items() if covers(d, domain)]
    if covers(state.name, domain):
        candidates.append((state.name, zone_for(ctx, domain)))
    if not candidates:
        return None
    return max(candidates, key=lambda c: len(c[0]))[1]


def note_outside(ctx: Context, domain: str, path: Path, what: str) -> None:
    """Tell the user that `domain` gets no DNS records because no declared zone covers it."""
    comp = ctx.component(ZONES)
    where = f"outside the zone `{state_of(comp, Zone).name}`" if comp is not None \
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

"""`dns.zones` and `dns.records`: more hosted zones, and any record set in a declared zone.

Records are made after every section is lowered (the dns section's `after_links` hook), so an
alias can point at a site's distribution, an API's custom domain or a load balancer. The shape
of each record (values per type, routing, set identifiers) is checked by
`cloudc/checks/dns_record_values.py`; what it reports, this module skips.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Ref, Sub, pascal
from cloudc.lower._zones import CLOUDFRONT_ZONE_ID, covers
from cloudc.schema.sections.dns import Dns, Record, Routing
from cloudc.source import Path

SECTION = "dns"
TXT_CHUNK = 255  # a TXT character-string holds at most 255 characters (RFC 1035)


@dataclass(frozen=True)
class ZoneRef:
    """A declared zone: its domain and how a record set names it."""

    domain: str
    props: dict[str, Any]


def extra_zone_id(domain: str) -> str:
    """Return the logical-ID suffix of a zone made for `dns.zones.<domain>`."""
    return "Zone" + pascal(domain)


def declared_zones(comp: Component, spec: Dns) -> list[ZoneRef]:
    """Return every declared zone, the longest domain first (a record goes to the closest)."""
    out = []
    main_id = comp.attrs.get("zone_id")
    main = spec.zone.strip().rstrip(".").lower()
    if isinstance(main_id, Sub) and not main_id.template:
        out.append(ZoneRef(main, {"HostedZoneName": main + "."}))
    else:
        out.append(ZoneRef(main, {"HostedZoneId": main_id}))
    for domain, zone in spec.zones.items():
        d = domain.strip().rstrip(".").lower()
        if not zone.lookup:
            props: dict[str, Any] = {"HostedZoneId": Ref("Dns" + extra_zone_id(d))}
        elif zone.zone_id:
            props = {"HostedZoneId": Sub(zone.zone_id)}
        else:
            props = {"HostedZoneName": d + "."}
        out.append(ZoneRef(d, props))
    return sorted(out, key=lambda z: -len(z.domain))


def lower_zones(comp: Component, spec: Dns, ctx: Context) -> None:
    """Create each `dns.zones` entry that is not looked up; output its name servers."""
    for domain, zone in spec.zones.items():
        d = domain.strip().rstrip(".").lower()
        path: Path = (SECTION, "zones", domain)
        if zone.lookup:
            continue
        res = ctx.add(comp, extra_zone_id(d), "AWS::Route53::HostedZone", {
            "Name": d, "HostedZoneConfig": {"Comment": f"{ctx.slug} {ctx.env} (cloudc)"},
        }, path=path, stateful=True)
        ctx.ir.outputs.setdefault(f"dns_{d.replace('.', '_').replace('-', '_')}_name_servers", (
            GetAtt(res.logical_id, "NameServers"),
            f"Name servers of the hosted zone {d}: set them at its registrar", ctx.origin(path)))


def record_suffix(rec: Record) -> str:
    """Return a record's logical-ID suffix: name, type and set identifier."""
    name = rec.name.rstrip(".").lower().replace("*", "wildcard")
    return "Record" + pascal(name) + rec.type + pascal(rec.set_identifier or "")


def lower_records(comp: Component, spec: Dns, ctx: Context) -> None:
    """Add one `AWS::Route53::RecordSet` per record (and the health checks routing needs)."""
    zones = declared_zones(comp, spec)
    for i, rec in enumerate(spec.records):
        path: Path = (SECTION, "records", i)
        name = rec.name.rstrip(".").lower()
        zone = next((z for z in zones if covers(z.domain, name)), None)
        suffix = record_suffix(rec)
        if zone is None or ctx.logical(comp, suffix) in ctx.ir.resources:
            continue  # reported by checks/dns_record_values.py
        props: dict[str, Any] = {**zone.props, "Name": name, "Type": rec.type}
        group = None
        if rec.alias:
            target = _alias(rec.alias, name, ctx, path + ("alias",))
            if target is None:
                continue
            failover = rec.routing is not None and rec.routing.failover is not None
            props["AliasTarget"] = {"DNSName": target[0], "HostedZoneId": target[1],
                                    "EvaluateTargetHealth": failover}
            # Beside its target, as the alias records sections make are: the target's stack
            # already reads the zone, and the zone's stack must not read the target's.
            group = ctx.ir.resources[target[0].target].group
        else:
            props["TTL"] = str(rec.ttl)
            props["ResourceRecords"] = [ctx.value(v, path + ("values", j)) if rec.type != "TXT"
                                        else txt_value(v)
                                        for j, v in enumerate(rec.values)]
        if rec.routing is not None:
            props.update(_routing(comp, rec, rec.routing, suffix, ctx, path + ("routing",)))
        ctx.add(comp, suffix, "AWS::Route53::RecordSet", props, path=path, group=group)


def txt_value(value: str) -> str:
    """Quote a TXT value for Route53, split into 255-character strings; quoted ones stay.

    >>> txt_value("v=spf1 -all"), txt_value('"abc"')
    ('"v=spf1 -all"', '"abc"')
    """
    if value.startswith('"'):
        return value
    text = value.replace("\\", "\\\\").replace('"', '\\"')
    return " ".join(f'"{text[k:k + TXT_CHUNK]}"' for k in range(0, len(text) or 1, TXT_CHUNK))


def _routing(comp: Component, rec: Record, routing: Routing, suffix: str, ctx: Context,
             path: Path) -> dict[str, Any]:
    """Return the record set's routing properties (and add its health check)."""
    out: dict[str, Any] = {"SetIdentifier": rec.set_identifier}
    if routing.weight is not None:
        out["Weight"] = routing.weight
    if routing.failover is not None:
        out["Failover"] = routing.failover.upper()
    if routing.region is not None:
        out["Region"] = routing.region
    geo = routing.geolocation
    if geo is not None:
        out["GeoLocation"] = {k: v for k, v in (("ContinentCode", geo.continent),
                                                ("CountryCode", geo.country),
                                                ("SubdivisionCode", geo.subdivision)) if v}
    if routing.health_check_id:
        out["HealthCheckId"] = routing.health_check_id
    elif routing.health_check is not None:
        hc = routing.health_check
        check = ctx.add(comp, suffix + "HealthCheck", "AWS::Route53::HealthCheck", {
            "HealthCheckConfig": health_check_config(hc.url, hc.interval, hc.failure_threshold,
                                                     own_address(rec)),
        }, path=path + ("health_check",))
        out["HealthCheckId"] = Ref(check.logical_id)
    return out


def own_address(rec: Record) -> str | None:
    """Return the record's one IP address when its health check URL names the record itself.

    A health check that resolves the routed name checks whichever record Route 53 answers
    with, not this one ("health check results will be unpredictable"), so cloudc checks the
    record's own address and sends the name as Host header (and TLS SNI):
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html

    >>> own_address(Record(name="app.acme.com", type="A", values=["192.0.2.1"], set_identifier="a",
    ...     routing={"failover": "primary", "health_check": {"url": "https://app.acme.com/up"}}))
    '192.0.2.1'
    """
    hc = rec.routing.health_check if rec.routing is not None else None
    if hc is None or rec.type not in ("A", "AAAA") or rec.alias or len(rec.values) != 1:
        return None
    host = (urlsplit(hc.url).hostname or "").rstrip(".").lower()
    return rec.values[0] if host == rec.name.rstrip(".").lower() else None


def health_check_config(url: str, interval: int, threshold: int,
                        address: str | None = None) -> dict[str, Any]:
    """Return a HealthCheckConfig for an http(s):// or tcp:// URL (at `address`, if given).

    >>> health_check_config("https://api.acme.com/health", 30, 3)["Type"]
    'HTTPS'
    >>> health_check_config("https://api.acme.com/health", 30, 3, "192.0.2.1")["IPAddress"]
    '192.0.2.1'
    """
    parts = urlsplit(url)
    kind = parts.scheme.upper()
    host = parts.hostname or ""
    port = parts.port or (443 if kind == "HTTPS" else 80)
    cfg: dict[str, Any] = {"Type": kind, "Port": port, "RequestInterval": interval,
                           "FailureThreshold": threshold}
    try:
        ipaddress.ip_address(host)
        cfg["IPAddress"] = host
    except ValueError:
        if address is not None:
            cfg["IPAddress"] = address
        cfg["FullyQualifiedDomainName"] = host
        if address is not None and kind == "HTTPS":
            cfg["EnableSNI"] = True
    if kind != "TCP":
        cfg["ResourcePath"] = parts.path or "/"
    return cfg


ALIASABLE = ("sites", "apis", "services", "servers")


def _alias(key: str, name: str, ctx: Context, path: Path) -> tuple[GetAtt, Any] | None:
    """Return (DNS name, hosted zone id) of what `key` serves `name` from, or report E3243.

    CloudFront and API Gateway answer only for the names they were given (a distribution's
    Aliases, an API's custom domain), so an alias to a site or API must be one of those; a
    load balancer answers any name.
    """
    target = ctx.component(key)
    if target is None:
        names = [c.key for c in ctx.ir.components.values() if c.section in ALIASABLE]
        ctx.diags.add("E3243", f"`{key}` is not a declared site, API, service or server",
                      origin=ctx.origin(path), path=path,
                      hint=did_you_mean(key, names) or "an alias names `sites.NAME`, "
                      "`apis.NAME`, or a service or server behind a load balancer")
        return None
    served: list[str] = []
    if target.distribution:
        dist = ctx.ir.resources[target.distribution]
        served = [a for a in dist.properties.get("DistributionConfig", {}).get("Aliases", [])
                  if isinstance(a, str)]
        if name in served:
            return GetAtt(target.distribution, "DomainName"), CLOUDFRONT_ZONE_ID
    elif target.load_balancer is not None:
        lb = target.load_balancer.load_balancer
        return GetAtt(lb, "DNSName"), GetAtt(lb, "CanonicalHostedZoneID")
    else:
        for r in ctx.ir.resources.values():
            if r.owner == target.key and r.type in ("AWS::ApiGatewayV2::DomainName",
                                                    "AWS::ApiGateway::DomainName"):
                served.append(str(r.properties.get("DomainName")))
                if r.properties.get("DomainName") == name:
                    return (GetAtt(r.logical_id, "RegionalDomainName"),
                            GetAtt(r.logical_id, "RegionalHostedZoneId"))
    if served:
        ctx.diags.add("E3243", f"`{key}` answers only for {', '.join(served)}, not `{name}`",
                      origin=ctx.origin(path), path=path,
                      hint=f"name the record after one of them, or add `{name}` to `{key}`'s "
                           "domains")
        return None
    ctx.diags.add("E3243", f"`{key}` has no address an alias can point at",
                  origin=ctx.origin(path), path=path,
                  hint="a site or API needs a `domain` (the alias points at it); a service or "
                       "server needs a load balancer; or write a record with `values`")
    return None

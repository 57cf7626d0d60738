"""A routed record's health check must not resolve the routed name itself (W3295).

Route53 resolves a health check's `FullyQualifiedDomainName` (when it has no `IPAddress`) and
checks whichever address it gets: for a record of a failover, weighted, latency or geolocation
set, that is the answer the set gives, not this record's endpoint, and AWS warns that "health
check results will be unpredictable". cloudc checks the record's own address instead when the
record is one IPv4/IPv6 value (lower/_dns_records.py, `own_address`); an alias, a CNAME or a
record of several values has no single address, so the check names another host.
https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("W3295", "a routed record's health check resolves the routed name itself"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn for each health check whose URL host is its own routed record's name."""
    dns = getattr(cx.config, "dns", None)
    if dns is None:
        return
    for i, rec in enumerate(dns.records):
        hc = rec.routing.health_check if rec.routing is not None else None
        if hc is None:
            continue
        host = (urlsplit(hc.url).hostname or "").rstrip(".").lower()
        if host != rec.name.rstrip(".").lower():
            continue
        if rec.type in ("A", "AAAA") and rec.alias is None and len(rec.values) == 1:
            continue  # cloudc checks the record's own address, with the name as Host
        yield Finding(
            "W3295", f"the health check of `{rec.name}` ({rec.set_identifier}) resolves "
            f"`{host}`, the name this record routes: Route53 then checks whichever record it "
            "answers with, not this one, and failover flaps", ("dns", "records", i, "routing",
                                                                "health_check", "url"),
            hint="point the URL at this endpoint's own host name (e.g. "
                 f"`https://{rec.set_identifier}.{host}/...`) or at its IP address")

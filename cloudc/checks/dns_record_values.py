"""`dns.records`: each record fits its zone, its type and its routing (E3240-E3244).

Route53 rejects the change batch (and CloudFormation rolls the stack back) when a record is
outside its zone, a value does not parse for its type (an MX without priority, an A that is not
an IPv4 address), a CNAME sits at the zone apex or beside another value, a routed record has no
SetIdentifier (or a simple one has one), or records of one name and type mix routing policies.
A failover primary without a health check never fails over. Each is reported at its line.
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy.html
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3240", "a `dns.records` name is in no declared zone"),
    Code("E3241", "a `dns.records` routing policy or set identifier is wrong"),
    Code("E3242", "a `dns.records` value does not fit its record type"),
    Code("E3243", "a `dns.records` alias names nothing an alias can point at"),
    Code("E3244", "a failover primary record has no health check"),
)
HOST = r"(\*\.)?([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?\.)*[A-Za-z0-9-]+\.?"
SHAPES = {
    "MX": (rf"\d{{1,5}} {HOST}", "`PRIORITY HOST`, e.g. `10 mail.acme.com`"),
    "SRV": (rf"\d{{1,5}} \d{{1,5}} \d{{1,5}} {HOST}", "`PRIORITY WEIGHT PORT HOST`"),
    "CAA": (r"\d{1,3} (issue|issuewild|iodef|issuemail|issuevmc) \"[^\"]*\"",
            "`FLAGS TAG \"VALUE\"`, e.g. `0 issue \"amazon.com\"`"),
    "CNAME": (HOST, "one host name"),
    "NS": (HOST, "a name server's host name"),
}
TXT_STRING = r'"((?:[^"\\]|\\.)*)"'  # one quoted character-string of a TXT value
KINDS = ("weight", "failover", "region", "geolocation")


def _zones(dns: Any) -> list[str]:
    return [dns.zone.strip().rstrip(".").lower(),
            *(d.strip().rstrip(".").lower() for d in dns.zones)]


def check(cx: CheckContext) -> Iterator[Finding]:
    """Check every record's zone, values and routing."""
    dns = getattr(cx.config, "dns", None)
    if dns is None or not dns.records:
        return
    zones = _zones(dns)
    groups: dict[tuple[str, str], list[tuple[int, Any]]] = {}
    for i, rec in enumerate(dns.records):
        base = ("dns", "records", i)
        name = rec.name.rstrip(".").lower()
        zone = max((z for z in zones if name == z or name.endswith("." + z)), key=len,
                   default=None)
        if zone is None:
            yield Finding("E3240", f"`{name}` is in no declared zone ({', '.join(zones)})",
                          base + ("name",), hint="add its zone under `dns.zones` (created, or "
                          "`lookup: true` for an existing one), or fix the name")
        yield from _values(rec, base, name == zone)
        yield from _routing(rec, base)
        groups.setdefault((name, rec.type), []).append((i, rec))
    for (name, kind), recs in groups.items():
        yield from _group(name, kind, recs)


def _values(rec: Any, base: tuple[Any, ...], apex: bool) -> Iterator[Finding]:
    if rec.alias is not None:
        if rec.type not in ("A", "AAAA"):
            yield Finding("E3242", f"an alias is an A or AAAA record, not {rec.type}",
                          base + ("type",), hint="write `type: A` (and another record with "
                          "`type: AAAA` for IPv6)")
        if rec.values:
            yield Finding("E3242", "an alias record takes no `values`", base + ("values",),
                          hint="remove `values` (the alias target gives the address)")
        return
    if not rec.values:
        yield Finding("E3242", f"a {rec.type} record needs `values`", base, key=True,
                      hint="add `values: [...]`, or `alias: sites.NAME` for an A/AAAA alias")
        return
    if rec.type == "CNAME":
        if apex:
            yield Finding("E3242", "a CNAME cannot be at the zone apex", base + ("name",),
                          hint="use an alias A record (`alias:`) at the apex")
        if len(rec.values) > 1:
            yield Finding("E3242", "a CNAME has exactly one value", base + ("values", 1),
                          hint="keep one value")
    for j, value in enumerate(rec.values):
        if "${" in value:
            continue  # a deploy-time reference
        problem = _bad(rec.type, value)
        if problem:
            yield Finding("E3242", f"`{value}` is not a valid {rec.type} value", base +
                          ("values", j), hint=problem)


def _bad(kind: str, value: str) -> str | None:
    """Return how to write `value` for a record of `kind`, or None when it fits."""
    if kind in ("A", "AAAA"):
        try:
            ip = ipaddress.ip_address(value)
        except ValueError:
            ip = None
        want = 4 if kind == "A" else 6
        if ip is None or ip.version != want:
            return f"write an IPv{want} address" + (" (or use an alias)" if kind == "A" else "")
        return None
    if kind == "TXT":
        strings = re.findall(TXT_STRING, value) if value.startswith('"') else []
        if any(len(s) > 255 for s in strings):
            return "a TXT string holds at most 255 characters: split it into quoted strings"
        return None
    pattern, how = SHAPES[kind]
    return None if re.fullmatch(pattern, value) else f"write {how}"


def _routing(rec: Any, base: tuple[Any, ...]) -> Iterator[Finding]:
    routing = rec.routing
    if routing is None:
        if rec.set_identifier is not None:
            yield Finding("E3241", "`set_identifier` is only for records with `routing`",
                          base + ("set_identifier",), hint="remove it, or add a `routing` policy")
        return
    kinds = [k for k in KINDS if getattr(routing, k) is not None]
    if len(kinds) != 1:
        yield Finding("E3241", "`routing` takes exactly one of weight, failover, region or "
                      f"geolocation{' (it has ' + ', '.join(kinds) + ')' if kinds else ''}",
                      base + ("routing",), hint="keep one routing policy per record")
    if rec.set_identifier is None:
        yield Finding("E3241", "a record with `routing` needs a `set_identifier` (Route53 tells "
                      "the records of one name apart by it)", base + ("routing",), key=True,
                      hint="add `set_identifier: <a short unique label>`")
    if routing.geolocation is not None:
        geo = routing.geolocation
        if (geo.continent is None) == (geo.country is None):
            yield Finding("E3241", "geolocation takes a `continent` or a `country`",
                          base + ("routing", "geolocation"), hint="e.g. `{ country: DE }`")
        elif geo.subdivision is not None and geo.country != "US":
            yield Finding("E3241", "a `subdivision` is a US state: it needs `country: US`",
                          base + ("routing", "geolocation", "subdivision"))
    if routing.failover == "primary" and routing.health_check is None \
            and routing.health_check_id is None and rec.alias is None:
        yield Finding("E3244", "a failover primary without a health check is always healthy: "
                      "it never fails over", base + ("routing", "failover"),
                      hint="add `health_check: { url: https://HOST/health }` (or "
                           "`health_check_id`)")


def _group(name: str, kind: str, recs: list[tuple[int, Any]]) -> Iterator[Finding]:
    """Records of one name and type: all simple (then only one), or all one routing kind
    with distinct set identifiers."""
    def policy(rec: Any) -> str | None:
        if rec.routing is None:
            return None
        return next((k for k in KINDS if getattr(rec.routing, k) is not None), None)

    first_i, first = recs[0]
    ids: dict[str, int] = {}
    for i, rec in recs:
        base = ("dns", "records", i)
        if i != first_i and (policy(rec) is None or policy(first) is None):
            yield Finding("E3241", f"`{name}` has two {kind} records (the first at "
                          f"`dns.records[{first_i}]`): one name and type is one record set",
                          base + ("name",), hint="put every value in one record's `values`, "
                          "or give both a `routing` policy and a `set_identifier`")
            continue
        if policy(rec) != policy(first):
            yield Finding("E3241", f"the {kind} records of `{name}` mix routing policies "
                          f"({policy(first)} and {policy(rec)})", base + ("routing",),
                          hint="one name and type takes one routing policy")
        sid = rec.set_identifier
        if sid is not None and sid in ids:
            yield Finding("E3241", f"`{sid}` is already the set identifier of "
                          f"`dns.records[{ids[sid]}]` ({kind} {name})",
                          base + ("set_identifier",), hint="give each record its own")
        elif sid is not None:
            ids[sid] = i

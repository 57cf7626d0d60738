"""Whole-app properties of the API Gateway and CloudFront output (a safety net on the IR).

- E3162: a browser preflight would meet an authorizer: an HTTP API with CORS and an authorizer
  whose catch-all route (`ANY /path`, `$default`) has no unauthenticated `OPTIONS` route for
  its paths, or a REST API `OPTIONS` method that requires authorization.
- E3163: an integration or an origin that points at the API's or distribution's own hostname
  (a request loop).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import IR, Resource, Sub

CODES = (
    Code("E3162", "CORS preflight behind an authorizer"),
    Code("E3163", "route target on its own hostname"),
)
HINT_PREFLIGHT = ("declare `OPTIONS /PATH` in `public_routes`, or drop `auth` from the "
                  "catch-all route")


def check(cx: CheckContext) -> Iterable[Finding]:
    """Check preflights and self-referencing targets in the generated API and CDN resources."""
    if cx.ir is None:
        return
    yield from _preflights(cx.ir)
    yield from _loops(cx.ir)


def _by_owner(ir: IR, type_: str) -> dict[str, list[Resource]]:
    out: dict[str, list[Resource]] = {}
    for r in ir.resources.values():
        if r.type == type_:
            out.setdefault(r.owner, []).append(r)
    return out


def _preflights(ir: IR) -> Iterable[Finding]:
    routes = _by_owner(ir, "AWS::ApiGatewayV2::Route")
    for api in ir.resources.values():
        if api.type != "AWS::ApiGatewayV2::Api" or "CorsConfiguration" not in api.properties:
            continue
        mine = routes.get(api.owner, [])
        open_options = {r.properties["RouteKey"].split(" ", 1)[1] for r in mine
                        if r.properties["RouteKey"].startswith("OPTIONS ")
                        and r.properties.get("AuthorizationType", "NONE") == "NONE"}
        for r in mine:
            key = r.properties["RouteKey"]
            if r.properties.get("AuthorizationType", "NONE") == "NONE":
                continue
            need = ["/{proxy+}", "/"] if key == "$default" else \
                [key.split(" ", 1)[1]] if key.startswith("ANY ") else []
            missing = [p for p in need if p not in open_options]
            if missing:
                yield Finding("E3162", f"route `{key}` requires authorization and receives the "
                              f"browser's CORS preflight for {', '.join(missing)}, which carries "
                              "no token", resource=r.logical_id, hint=HINT_PREFLIGHT)
    for m in ir.resources.values():
        if m.type == "AWS::ApiGateway::Method" and m.properties.get("HttpMethod") == "OPTIONS" \
                and m.properties.get("AuthorizationType", "NONE") != "NONE":
            yield Finding("E3162", "an OPTIONS method requires authorization: browsers send "
                          "preflights without a token", resource=m.logical_id,
                          hint=HINT_PREFLIGHT)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Sub):
        return value.template
    return ""


def _loops(ir: IR) -> Iterable[Finding]:
    domains: dict[str, set[str]] = {}
    for r in ir.resources.values():
        if r.type == "AWS::ApiGatewayV2::DomainName":
            domains.setdefault(r.owner, set()).add(_text(r.properties.get("DomainName")).lower())
    for r in ir.resources.values():
        if r.type == "AWS::ApiGatewayV2::Integration":
            uri = _text(r.properties.get("IntegrationUri")).lower()
            host = uri.split("://", 1)[1].split("/")[0] if "://" in uri else ""
            if host and host in domains.get(r.owner, set()):
                yield Finding("E3163", f"this API's integration calls `{host}`, the API's own "
                              "domain: every request would loop", resource=r.logical_id,
                              hint="route to the service itself (`services.NAME`), which API "
                                   "Gateway reaches through a VPC link")
        elif r.type == "AWS::CloudFront::Distribution":
            config = r.properties.get("DistributionConfig", {})
            aliases = {a.lower() for a in config.get("Aliases", []) if isinstance(a, str)}
            for origin in config.get("Origins", []):
                host = _text(origin.get("DomainName")).lower()
                if host and host in aliases:
                    yield Finding("E3163", f"origin `{origin.get('Id')}` is `{host}`, a name of "
                                  "this distribution: every request would loop",
                                  resource=r.logical_id,
                                  hint="give the app behind the route its own domain")

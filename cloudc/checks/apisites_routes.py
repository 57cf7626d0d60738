"""Routes from sites and APIs to apps: each must have a working network path.

- E3160: a site route to a service on an internal load balancer. CloudFront reaches only
  public origins here (a VPC origin would need the load balancer's security group to admit
  CloudFront's managed security group, which a template cannot name).
- E3161: a site route to a service or servers served on one of the site's own names: CloudFront
  would send the request back to itself.
- W3160: a WebSocket API that no function, service or server links: nothing can post to its
  connections (`execute-api:ManageConnections` is granted only through `link`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.schema.base import link_target

NEEDS = "config"
CODES = (
    Code("E3160", "site route to an internal load balancer"),
    Code("E3161", "site route to an app on the site's own hostname"),
    Code("W3160", "WebSocket API that no compute can reply through"),
)


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report site routes without a working path and WebSocket APIs nothing replies through."""
    yield from _site_routes(cx)
    yield from _websockets(cx)


def _names(site: Any) -> set[str]:
    names = [site.domain or "", *site.aliases, *site.redirects]
    return {n.lower().rstrip(".") for n in names if n}


def _site_routes(cx: CheckContext) -> Iterable[Finding]:
    for name, site in cx.section("sites").items():
        names = _names(site)
        for pattern, ref in site.routes.items():
            section, _, target_name = ref.partition(".")
            if section not in ("services", "servers"):
                continue
            target = cx.section(section).get(target_name)
            if target is None:  # an unknown reference: reported by validate
                continue
            at = ("sites", name, "routes", pattern)
            if section == "services" and target.load_balancer and not target.public:
                yield Finding(
                    "E3160", f"CloudFront cannot reach `{ref}`: its load balancer is internal",
                    at, hint=f"make it public (`services.{target_name}.public: true`) with a "
                    "`domain`, or route the path to an HTTP API (`apis`) that routes to it: "
                    "API Gateway reaches internal load balancers through a VPC link")
            domain = (getattr(target, "domain", None) or "").lower().rstrip(".")
            if domain and domain in names:
                yield Finding(
                    "E3161", f"`{ref}` is served on `{domain}`, a name of this site: CloudFront "
                    "would send the request back to itself", at,
                    hint=f"give `{ref}` its own domain (e.g. `origin.{domain}`)")


def _websockets(cx: CheckContext) -> Iterable[Finding]:
    linked: set[str] = set()
    for section in ("functions", "services", "servers"):
        for entry in cx.section(section).values():
            for link in getattr(entry, "link", None) or []:
                linked.add(".".join(link_target(link)[0].split(".")[:2]))
    for name, api in cx.section("apis").items():
        if api.type == "websocket" and f"apis.{name}" not in linked:
            yield Finding(
                "W3160", f"no function links `apis.{name}`, so none may post to its "
                "connections", ("apis", name),
                hint=f"add `link: [apis.{name}]` to the function that replies to clients",
                key=True)

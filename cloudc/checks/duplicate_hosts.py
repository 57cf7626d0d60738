"""Two declared things served on the same hostname.

A hostname is one site, API, service or server: a second CloudFront alias, API Gateway custom
domain or DNS record for it fails the deploy (CNAMEAlreadyExists, an existing record set) or
silently sends the traffic to one of them. Looks at `sites.*.domain`, `aliases` and `redirects`
sources, `apis.*.domain`, `services.*.domain`, `servers.*.domain` and `auth.*.domain`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, dotted
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3102", "two declared things on the same hostname",
         "sites (domain, aliases, redirect sources), APIs, services, servers and auth custom "
         "domains must each have their own hostname"),
)


def hostnames(data: dict[str, Any]) -> Iterator[tuple[str, Path, bool]]:
    """Yield (hostname, config path, whether the path's key is the name) of every served name."""
    for section in ("sites", "apis", "services", "servers", "auth"):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, spec in entries.items():
            if not isinstance(spec, dict):
                continue
            domain = spec.get("domain")
            if isinstance(domain, dict):  # auth: {name: ..., certificate: ...}
                if isinstance(domain.get("name"), str):
                    yield domain["name"], (section, name, "domain", "name"), False
            elif isinstance(domain, str):
                yield domain, (section, name, "domain"), False
            if section != "sites":
                continue
            for i, alias in enumerate(spec.get("aliases") or []):
                if isinstance(alias, str):
                    yield alias, (section, name, "aliases", i), False
            redirects = spec.get("redirects")
            if isinstance(redirects, dict):
                for source in redirects:
                    yield str(source), (section, name, "redirects", source), True


def _norm(host: str) -> str:
    return host.strip().rstrip(".").lower()


def duplicates(cx: CheckContext) -> list[tuple[str, Path, bool, Path]]:
    """Return (hostname, path, is_key, first path) for each later use of a hostname."""
    found = [(h, p, k) for h, p, k in hostnames(cx.data) if "${" not in h]

    def position(item: tuple[str, Path, bool]) -> tuple[int, int, int]:
        o = cx.res.origins.key(item[1]) if item[2] else cx.origin(item[1])
        if o is None:
            return (2, 0, 0)
        return (0 if o.file == cx.res.file else 1, o.line, o.col)

    out = []
    first: dict[str, Path] = {}
    for host, path, is_key in sorted(found, key=position):
        seen = first.setdefault(_norm(host), path)
        if seen != path:
            out.append((_norm(host), path, is_key, seen))
    return out


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each hostname declared a second time, at the second declaration."""
    for host, path, is_key, seen in duplicates(cx):
        yield Finding("E3102", f"`{host}` is already served by `{dotted(seen)}`", path,
                      "give each site, API, service and server its own hostname, or send a path "
                      "of one to the other with `routes`", key=is_key)

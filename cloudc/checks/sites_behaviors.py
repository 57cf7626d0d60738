"""A site's cache behaviors and CloudFront Functions as CloudFront would take them.

CloudFront refuses two cache behaviors with one path pattern, runs one function per event type
on a behavior, and limits a CloudFront Function's code to 10 KB; a path no origin can serve is
an error before deploy.
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-web-values-specify.html#DownloadDistValuesPathPattern
https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3267", "a site path no origin serves, or served twice",
         "a path pattern in both `routes` and `behaviors`, an origin that is not `site`, a "
         "`section.name` or an https:// URL, a `storage:` bucket CloudFront cannot read"),
    Code("E3270", "CloudFront Function CloudFront would reject",
         "a behavior names a function the site does not declare, two functions for one event "
         "on the default behavior, code over 10 KB or without `handler`, `spa` with "
         "`directory_index`"),
)
DEFAULT_PATTERNS = ("/*", "*")


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report behaviors CloudFront would refuse or that nothing serves."""
    for name, site in cx.section("sites").items():
        path: Path = ("sites", name)
        if site.spa and site.directory_index:
            yield Finding("E3270", "`spa` and `directory_index` both rewrite extension-less "
                          "paths; a site takes one", path + ("directory_index",),
                          hint="keep `spa: true` for a single-page app, `directory_index: true` "
                          "for a generated static site")
        routes = {_norm(p): p for p in site.routes}
        for pattern, b in site.behaviors.items():
            at = path + ("behaviors", pattern)
            if _norm(pattern) in routes:
                yield Finding("E3267", f"`{pattern}` is in both `routes` and `behaviors`; "
                              "CloudFront takes one behavior a path pattern", at, key=True,
                              hint=f"set the origin in `behaviors.{pattern}.origin` and drop "
                              "the route")
            for event in sorted(set(b.functions) & set(b.edge)):
                yield Finding("E3270", f"`{pattern}` runs a CloudFront Function and Lambda@Edge "
                              f"on {event}; CloudFront takes one function per event type",
                              at + ("edge", event), hint="do both in one of them, or move one "
                              "to another event")
            for event, fn in b.functions.items():
                if fn not in site.functions:
                    yield Finding("E3270", f"`{fn}` is not a CloudFront Function of site "
                                  f"`{name}`", at + ("functions", event),
                                  hint=did_you_mean(fn, list(site.functions))
                                  or f"declare it under `sites.{name}.functions.{fn}`")


def _norm(pattern: str) -> str:
    """Return a pattern as CloudFront compares it (the leading `/` is optional)."""
    return "/" + pattern.lstrip("/") if pattern not in DEFAULT_PATTERNS else "/*"

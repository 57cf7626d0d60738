"""Combinations of an entry's own settings that AWS rejects or that do nothing.

Moved from the lowerings of `search`, `caches` and `streams`, where they were checks rather
than decisions: an OpenSearch domain's data nodes must divide evenly over its zones and t2
nodes cannot encrypt at rest; a Redis AUTH token needs TLS; a Firehose `prefix` with
expressions needs `!{firehose:error-output-type}` in `error_prefix`; delivery settings and a
`catalog` need `deliver_to`.
https://docs.aws.amazon.com/opensearch-service/latest/developerguide/managedomains-multiaz.html
https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth.html
https://docs.aws.amazon.com/firehose/latest/dev/s3-prefixes.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding

NEEDS = "config"
CODES = ()
USES = ("E3005", "W1003")  # codes of cloudc/diagnostics.py this rule reports
DELIVERY_OPTIONS = {"buffer_seconds", "buffer_mb", "compression", "prefix", "error_prefix"}


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report settings of one entry that contradict each other."""
    yield from _search(cx)
    yield from _caches(cx)
    yield from _streams(cx)


def _search(cx: CheckContext) -> Iterator[Finding]:
    for name, spec in cx.section("search").items():
        path = ("search", name)
        count = int(spec.count)
        zones = spec.zones or 2
        if count > 1 and count % zones:
            yield Finding("E3005", f"{count} data nodes cannot be spread evenly over {zones} "
                          "zones", path + ("count",), f"use a multiple of {zones}")
        if count == 1 and spec.zones:
            yield Finding("W1003", "`zones` has no effect with a single data node",
                          path + ("zones",))
        if spec.instance.startswith("t2."):
            yield Finding("E3005", "t2 instances cannot encrypt data at rest",
                          path + ("instance",), "use t3.small.search or larger")


def _caches(cx: CheckContext) -> Iterator[Finding]:
    for name, spec in cx.section("caches").items():
        if spec.auth and not spec.encryption_in_transit and spec.engine != "memcached":
            yield Finding("E3005", "an AUTH token needs encryption in transit",
                          ("caches", name, "auth"))


def _streams(cx: CheckContext) -> Iterator[Finding]:
    for name, spec in cx.section("streams").items():
        path = ("streams", name)
        if spec.deliver_to is None:
            if spec.catalog:
                yield Finding("E3005", "`catalog` needs `deliver_to`: it describes the "
                              "delivered objects", path + ("catalog",),
                              "add `deliver_to: storage.NAME`")
            elif spec.model_fields_set & DELIVERY_OPTIONS:
                yield Finding("W1003", "buffer, compression and prefix settings have no effect "
                              "without `deliver_to`", path)
        elif "!{" in spec.prefix and "!{firehose:error-output-type}" not in spec.error_prefix:
            yield Finding("E3005", "an `error_prefix` must contain "
                          "`!{firehose:error-output-type}` when `prefix` uses expressions",
                          path + ("error_prefix",))

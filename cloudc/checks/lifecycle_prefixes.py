"""A bucket lifecycle rule whose prefix no writer of the bucket uses.

What it looks at: the prefixes the config itself declares for a bucket: Firehose delivery
(`streams.*.prefix` and `error_prefix` with `deliver_to`), inbound mail (`email.*.inbound.prefix`)
and function bucket events (`functions.*.events[].bucket.prefix`). It warns only when every
writer of the bucket is one of those: a bucket that compute is linked to with write access can
get any key, and then no rule is reported. A `!{...}` or `${...}` expression ends the literal
part of a prefix. A rule with no prefix applies to the whole bucket and is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("W3123", "a lifecycle rule's prefix matches nothing written to the bucket",
         "the prefix overlaps none of the prefixes the config writes to the bucket (Firehose "
         "delivery, inbound mail, function bucket events), and no linked compute writes to it"),
)
COMPUTE = ("functions", "services", "servers")


def _bucket(ref: Any) -> str | None:
    return ref.removeprefix("storage.") if isinstance(ref, str) else None


def _literal(prefix: str) -> str:
    return re.split(r"[!$]\{", prefix, maxsplit=1)[0]


def _declared(cx: CheckContext) -> dict[str, list[str]]:
    """Return the prefixes the config declares per bucket."""
    out: dict[str, list[str]] = {}
    for spec in cx.section("streams").values():
        bucket = _bucket(getattr(spec, "deliver_to", None))
        if bucket is not None:
            out.setdefault(bucket, []).extend([spec.prefix, spec.error_prefix])
    for spec in cx.section("email").values():
        inbound = getattr(spec, "inbound", None)
        bucket = _bucket(getattr(inbound, "bucket", None))
        if inbound is not None and bucket is not None:
            out.setdefault(bucket, []).append(inbound.prefix)
    for fn in cx.section("functions").values():
        for event in getattr(fn, "events", None) or []:
            ev = getattr(event, "bucket", None)
            if ev is not None:
                out.setdefault(ev.name.removeprefix("storage."), []).append(ev.prefix or "")
    return out


def _written_by_compute(cx: CheckContext) -> set[str]:
    """Return the buckets compute may write anywhere in (a link with write access)."""
    out = set()
    for section in COMPUTE:
        for spec in cx.section(section).values():
            for link in getattr(spec, "link", None) or []:
                target = link if isinstance(link, str) else getattr(link, "to", None)
                access = "read-write" if isinstance(link, str) else getattr(link, "access", "")
                if isinstance(target, str) and target.startswith("storage.") \
                        and access != "read":
                    out.add(target.removeprefix("storage."))
    return out


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn about lifecycle prefixes no declared writer of the bucket uses."""
    declared = _declared(cx)
    free = _written_by_compute(cx)
    for name, bucket in cx.section("storage").items():
        prefixes = [_literal(p) for p in declared.get(name, [])]
        if not prefixes or name in free:
            continue
        for i, rule in enumerate(bucket.lifecycle):
            lp = rule.prefix
            if not lp or any(lp.startswith(p) or p.startswith(lp) for p in prefixes):
                continue
            shown = ", ".join(f"`{p}`" for p in dict.fromkeys(prefixes))
            yield Finding("W3123", f"no writer of `storage.{name}` uses the prefix `{lp}`: the "
                          f"rule never applies (objects go under {shown})",
                          ("storage", name, "lifecycle", i, "prefix"),
                          "use one of those prefixes, or no prefix for the whole bucket")

"""A bucket lifecycle rule whose prefix no writer of the bucket uses.

What it looks at: every place cloudc itself makes something write to a bucket, read from the
IR rather than from a list of sections: an S3 URI on the bucket (`s3://BUCKET/PREFIX`, as in an
Athena workgroup's output location or a Glue table), a property object that names the bucket
next to `...Prefix` keys (Firehose `Prefix` and `ErrorOutputPrefix`, SES `ObjectKeyPrefix`,
`LogFilePrefix`), and key/value attributes pairing `*.bucket` with `*.prefix` (load balancer
access logs). Function bucket events (`functions.*.events[].bucket.prefix`) count too. It warns
only when every writer of the bucket is one of those: a bucket that compute is linked to with
write access can get any key, and then no rule is reported. A `!{...}` or `${...}` expression
ends the literal part of a prefix. A rule with no prefix applies to the whole bucket and is
never reported. IAM policies and the bucket's own properties are not writers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import IR, GetAtt, Ref, Sub

CODES = (
    Code("W3123", "a lifecycle rule's prefix matches nothing written to the bucket",
         "the prefix overlaps none of the prefixes cloudc writes to the bucket (Firehose "
         "delivery, Athena results, inbound mail, access logs, function bucket events), and no "
         "linked compute writes to it"),
)
COMPUTE = ("functions", "services", "servers")
# Resource types whose bucket references grant or configure, and never write objects.
NOT_WRITERS = ("AWS::IAM::", "AWS::S3::Bucket")


def _literal(prefix: str) -> str:
    return re.split(r"[!$]\{", prefix, maxsplit=1)[0]


class _Buckets:
    """Recognise the values that name a declared bucket (by reference, name, ARN or S3 URI)."""

    def __init__(self, ir: IR) -> None:
        self.by_id: dict[str, str] = {}
        self.by_text: dict[str, str] = {}
        self.uris: list[tuple[str, str]] = []
        for comp in ir.components.values():
            if comp.section != "storage" or not comp.bucket or not comp.physical:
                continue
            self.by_id[comp.bucket] = comp.name
            self.by_text[comp.physical] = comp.name
            self.by_text[f"arn:${{AWS::Partition}}:s3:::{comp.physical}"] = comp.name
            self.uris.append((f"s3://{comp.physical}/", comp.name))

    def named(self, value: Any) -> str | None:
        """Return the bucket `value` names (a Ref/GetAtt, its name or its ARN), or None."""
        if isinstance(value, (Ref, GetAtt)):
            return self.by_id.get(value.target)
        text = _text(value)
        return self.by_text.get(text) if text is not None else None

    def uri(self, value: Any) -> tuple[str, str] | None:
        """Return (bucket, prefix) for an `s3://BUCKET/PREFIX` value on a declared bucket."""
        text = _text(value)
        if text is not None and text.startswith("s3://"):
            for start, name in self.uris:
                if text.startswith(start):
                    return name, text[len(start):]
        return None


def _text(value: Any) -> str | None:
    """Return the template text of a string or a Sub, or None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, Sub):
        return value.template
    return None


def _written(ir: IR) -> dict[str, list[str]]:
    """Return the prefixes cloudc's own resources write to, per bucket name, from the IR."""
    buckets = _Buckets(ir)
    out: dict[str, list[str]] = {}
    for r in ir.resources.values():
        if r.type.startswith(NOT_WRITERS):
            continue
        stack: list[Any] = [r.properties]
        while stack:
            v = stack.pop()
            if isinstance(v, dict):
                _dict_prefixes(v, buckets, out)
                stack.extend(reversed(list(v.values())))
            elif isinstance(v, list):
                _pair_prefixes(v, buckets, out)
                stack.extend(reversed(v))
            else:
                hit = buckets.uri(v)
                if hit is not None:
                    out.setdefault(hit[0], []).append(hit[1])
    return out


def _dict_prefixes(d: dict[str, Any], buckets: _Buckets, out: dict[str, list[str]]) -> None:
    """Record `...Prefix` keys of an object that names a bucket (an S3 destination)."""
    names = [n for n in (buckets.named(v) for v in d.values()) if n is not None]
    if not names:
        return
    for k, v in d.items():
        if k.endswith("Prefix") and isinstance(v, str):
            out.setdefault(names[0], []).append(v)


def _pair_prefixes(items: list[Any], buckets: _Buckets, out: dict[str, list[str]]) -> None:
    """Record `X.prefix` of a Key/Value list whose `X.bucket` names a bucket (access logs)."""
    pairs = {i["Key"]: i["Value"] for i in items
             if isinstance(i, dict) and isinstance(i.get("Key"), str) and "Value" in i}
    for key, value in pairs.items():
        name = buckets.named(value) if key.endswith(".bucket") else None
        prefix = pairs.get(key.removesuffix(".bucket") + ".prefix")
        if name is not None:
            out.setdefault(name, []).append(prefix if isinstance(prefix, str) else "")


def _declared(cx: CheckContext) -> dict[str, list[str]]:
    """Return the prefixes written to each bucket (from the IR) or watched by functions."""
    out: dict[str, list[str]] = _written(cx.ir) if cx.ir is not None else {}
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
    storage = cx.section("storage")
    if not any(rule.prefix for bucket in storage.values() for rule in bucket.lifecycle):
        return  # nothing to check: skip the walk over every resource
    declared = _declared(cx)
    free = _written_by_compute(cx)
    for name, bucket in storage.items():
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

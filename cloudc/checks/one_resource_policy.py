"""One resource policy per topic, queue and bucket (W3297).

SNS, SQS and S3 keep one policy document per topic, queue or bucket: a second
`AWS::SNS::TopicPolicy`, `AWS::SQS::QueuePolicy` or `AWS::S3::BucketPolicy` on the same one
replaces the first when it is written (whichever CloudFormation writes last wins, and deleting
either deletes the policy), so the grants cloudc made (S3 or SNS delivering, TLS-only access)
or the ones written in `resources:` silently vanish. Reported at the raw resource.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topicpolicy.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queuepolicy.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Ref, Sub

CODES = (Code("W3297", "two resource policies for one topic, queue or bucket"),)
TARGETS = {"AWS::SNS::TopicPolicy": "Topics", "AWS::SQS::QueuePolicy": "Queues",
           "AWS::S3::BucketPolicy": "Bucket"}


def _identity(value: Any) -> str | None:
    """Return what a Topics/Queues/Bucket entry names, comparable across resources."""
    if isinstance(value, Ref):
        return f"ref:{value.target}" if value.derived is None else _identity(value.derived)
    if isinstance(value, Sub):
        return f"sub:{value.template}" if not value.vars else None
    return f"str:{value}" if isinstance(value, str) else None


def _names(value: Any) -> list[str]:
    """Return every identity an entry may be known by (a Ref with a derived name: both)."""
    out = [_identity(value)]
    if isinstance(value, Ref) and value.derived is not None:
        out.append(f"ref:{value.target}")
    return [n for n in out if n is not None]


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn at each policy (a raw one, else the later one) on a target another policy has."""
    if cx.ir is None:
        return
    seen: dict[tuple[str, str], str] = {}
    for lid, res in cx.ir.resources.items():
        prop = TARGETS.get(res.type)
        if prop is None:
            continue
        entries = res.properties.get(prop)
        for entry in entries if isinstance(entries, list) else [entries]:
            names = _names(entry)
            other = next((seen[(res.type, n)] for n in names if (res.type, n) in seen), None)
            for n in names:
                seen.setdefault((res.type, n), lid)
            if other is None or other == lid:
                continue
            raw, first = (lid, other) if res.owner.startswith("resources.") or not \
                cx.ir.resources[other].owner.startswith("resources.") else (other, lid)
            owner = cx.ir.resources[raw].owner
            path = ("resources", raw, "Properties", prop) if owner.startswith("resources.") \
                else ()
            yield Finding(
                "W3297", f"{raw} and {first} are both the {res.type.split('::')[1]} policy of "
                "one target: the service keeps one policy, so whichever is written last "
                "replaces the other's statements", path,
                resource=None if path else raw,
                hint=f"put the statements into {first} (an `overrides:` entry on its "
                     "`PolicyDocument`), and remove the second policy")

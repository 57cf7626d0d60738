"""Queues and topics AWS services cannot deliver to (E3253, E3254).

S3 and SNS encrypt what they deliver with the destination queue's KMS key; the AWS-managed
key `alias/aws/sqs` (`encryption: kms`) has a fixed policy that names no service, so the
bucket's notification configuration (S3 validates it) or the subscription's deliveries fail.
S3 event notifications do not deliver to FIFO queues or FIFO topics.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html
https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3253", "an AWS service delivers to a queue under the AWS-managed key",
         "S3 notifications and SNS subscriptions cannot use a queue encrypted with "
         "alias/aws/sqs (`encryption: kms`)"),
    Code("E3254", "a bucket notification to a FIFO queue or topic",
         "S3 event notifications deliver to standard queues and topics only"),
)


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report notification and subscription targets AWS cannot deliver to."""
    queues, topics = cx.section("queues"), cx.section("topics")
    for name, bucket in cx.section("storage").items():
        for i, n in enumerate(getattr(bucket, "notifications", None) or []):
            path = ("storage", name, "notifications", i, "to")
            section, _, target = n.to.partition(".")
            spec: Any = (queues if section == "queues" else
                         topics if section == "topics" else {}).get(target)
            if spec is None:
                continue
            if getattr(spec, "fifo", False):
                yield Finding("E3254", f"S3 does not send event notifications to FIFO "
                              f"{section[:-1]}s; `{n.to}` is one", path,
                              hint=f"name a standard {section[:-1]}, or send the events to "
                                   "EventBridge (`eventbridge: true`)")
            elif section == "queues" and getattr(spec, "encryption", "sqs") == "kms":
                yield _managed_key("S3", n.to, path)
    for name, topic in topics.items():
        for i, sub in enumerate(topic.subscribers):
            ref = sub if isinstance(sub, str) else sub.to
            if not ref or not ref.startswith("queues."):
                continue
            spec = queues.get(ref.split(".", 1)[1])
            if spec is not None and getattr(spec, "encryption", "sqs") == "kms":
                where: tuple[Any, ...] = ("topics", name, "subscribers", i)
                if not isinstance(sub, str):
                    where += ("to",)
                yield _managed_key("SNS", ref, where)


def _managed_key(service: str, ref: str, path: tuple[Any, ...]) -> Finding:
    return Finding("E3253", f"{service} cannot deliver to `{ref}`: it is encrypted with the "
                   "AWS-managed key alias/aws/sqs, whose key policy names no AWS service", path,
                   hint=f"set {ref}.encryption to `cmk` (a key whose policy lets {service} use "
                        "it) or `sqs`")

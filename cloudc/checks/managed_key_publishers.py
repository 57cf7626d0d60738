"""Who a topic policy lets publish must be able to use the topic's key (W3296).

A publish to an encrypted topic makes SNS call KMS for the publisher; the key must admit it.

A topic under the AWS-managed key `alias/aws/sns` accepts messages only from principals of its
own account calling through SNS: that key's policy cannot be changed, so an AWS service
(`Principal: { Service: ... }`) or another account that a topic policy lets publish is refused
by KMS at every publish (the deploy succeeds; the messages never arrive). cloudc gives a topic
its own key for the services it wires itself (S3, SES, CloudWatch); a topic policy written by
hand in `resources:` is checked here, against `alias/aws/sns` or the policy of a key in the
build (a key given by ARN is not known, and not checked).
https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import Ref

CODES = (
    Code("W3296", "a topic policy lets a publisher the topic's KMS key refuses publish"),
)
MANAGED = "alias/aws/sns"
ACCOUNT_ARN = re.compile(r"^(arn:[^:]+:iam::)?\d{12}(:|$)")


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _publishes(st: dict[str, Any]) -> bool:
    actions = [a.lower() for a in _listed(st.get("Action", [])) if isinstance(a, str)]
    return st.get("Effect") == "Allow" and any(a in ("sns:publish", "sns:*", "*")
                                               for a in actions)


def _outsiders(principal: Any) -> list[str]:
    """Return the service and literal-account principals that cannot use `alias/aws/sns`."""
    if principal == "*":
        return ["*"]
    if not isinstance(principal, dict):
        return []
    out = [s for s in _listed(principal.get("Service", [])) if isinstance(s, str)]
    out += [a for a in _listed(principal.get("AWS", []))
            if isinstance(a, str) and (a == "*" or ACCOUNT_ARN.match(a))]
    return out


def _key_admits(key: Any, resources: dict[str, Any]) -> set[str] | None:
    """Return the outsiders a topic's key lets encrypt (None: a key cloudc cannot read)."""
    if key == MANAGED:
        return set()
    if not isinstance(key, Ref) or key.target not in resources:
        return None
    policy = resources[key.target].properties.get("KeyPolicy", {})
    admitted: set[str] = set()
    for st in _listed(policy.get("Statement", [])):
        actions = [a.lower() for a in _listed(st.get("Action", [])) if isinstance(a, str)]
        if st.get("Effect") == "Allow" and any(a.startswith(("kms:generatedatakey", "kms:*"))
                                               or a == "*" for a in actions):
            admitted.update(_outsiders(st.get("Principal")))
    return admitted


def check(cx: CheckContext) -> Iterator[Finding]:
    """Warn for each publish grant to an outsider that the topic's key does not admit."""
    if cx.ir is None:
        return
    resources = cx.ir.resources
    for lid, res in resources.items():
        if res.type != "AWS::SNS::TopicPolicy":
            continue
        topics = [t.target for t in _listed(res.properties.get("Topics", []))
                  if isinstance(t, Ref) and t.target in resources]
        statements = _listed(res.properties.get("PolicyDocument", {}).get("Statement", []))
        for t in topics:
            key = resources[t].properties.get("KmsMasterKeyId")
            admitted = _key_admits(key, resources) if key is not None else None
            if admitted is None:
                continue
            for i, st in enumerate(statements):
                if not isinstance(st, dict) or not _publishes(st):
                    continue
                who = [w for w in _outsiders(st.get("Principal")) if w not in admitted]
                if not who:
                    continue
                yield _finding(lid, res.owner, i, who, resources[t].owner, key)


def _finding(lid: str, owner: str, i: int, who: list[str], topic: str, key: Any) -> Finding:
    raw = owner.startswith("resources.")
    path = ("resources", lid, "Properties", "PolicyDocument", "Statement", i,
            "Principal") if raw else ()
    under = f"the AWS-managed key `{MANAGED}`, which serves only this account's principals" \
        if key == MANAGED else f"key {key.target}, whose policy does not name " \
        + ("them" if len(who) > 1 else "it")
    return Finding(
        "W3296", f"{lid} lets {', '.join(who)} publish to `{topic}`, encrypted with {under}: "
        "every such publish fails with KMS access denied", path,
        resource=None if raw else lid,
        hint="give the topic `encryption: cmk` and let the publisher use its key (an "
             "`overrides:` entry on the key's `KeyPolicy`), or publish from this account")

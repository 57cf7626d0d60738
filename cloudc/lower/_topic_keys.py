"""Let AWS services publish to an encrypted topic (the topic gets a key of its own)."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Pseudo, Ref, Resource, Sub, pascal


def account_administers() -> dict[str, Any]:
    """Return the key-policy statement that lets the account administer a topic's key.

    `Resource: "*"` in a key policy means "this key" (its ARN is not known yet), the form AWS
    documents; the principal does the scoping.
    """
    return {"Sid": "AccountAdministers", "Effect": "Allow",
            "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
            "Action": ["kms:CancelKeyDeletion", "kms:Create*", "kms:Delete*",
                       "kms:Describe*", "kms:Disable*", "kms:Enable*", "kms:Get*",
                       "kms:List*", "kms:Put*", "kms:Revoke*", "kms:ScheduleKeyDeletion",
                       "kms:TagResource", "kms:UntagResource", "kms:Update*"],
            "Resource": "*"}


def own_key(comp: Component, ctx: Context) -> Resource:
    """Return the topic's customer-managed key (`Topics<Name>Key`), creating it once: the
    account administers it and every principal of the account uses it through SNS."""
    assert comp.topic is not None
    topic = ctx.ir.resources[comp.topic.topic]
    key = ctx.ir.resources.get(ctx.logical(comp, "Key"))
    if key is None:
        key = ctx.add(comp, "Key", "AWS::KMS::Key", {
            "Description": f"{ctx.slug} {ctx.env}: topic {comp.name}",
            "EnableKeyRotation": True,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                account_administers(),
                {"Sid": "AccountPublishesThroughSns", "Effect": "Allow",
                 "Principal": {"AWS": "*"},
                 "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
                 "Condition": {"StringEquals": {
                     "kms:CallerAccount": Pseudo("AWS::AccountId"),
                     "kms:ViaService": Sub("sns.${AWS::Region}.amazonaws.com")}}},
            ]},
        })
        topic.properties["KmsMasterKeyId"] = Ref(key.logical_id)
    return key


def allow_service(comp: Component, service: str, ctx: Context) -> None:
    """Let an AWS service (`ses.amazonaws.com`, ...) publish to the topic despite encryption.

    A topic under the AWS-managed key `alias/aws/sns` refuses messages from AWS services: that
    key's policy cannot be changed to name them. Such a topic gets a customer-managed key of
    its own whose policy lets every principal of the account use it through SNS (what the
    AWS-managed key allows) and names the service:
    https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    """
    service_uses(own_key(comp, ctx), "ServicePublishes", service)


def service_uses(key: Resource, sid_prefix: str, service: str) -> None:
    """Add (once) a key-policy statement letting an AWS service of this account encrypt with
    `key`: Sid `<sid_prefix><Service>`, e.g. ServicePublishesS3."""
    statements = key.properties["KeyPolicy"]["Statement"]
    sid = sid_prefix + pascal(service.split(".", 1)[0])
    if any(st.get("Sid") == sid for st in statements):
        return
    statements.append({
        "Sid": sid, "Effect": "Allow", "Principal": {"Service": service},
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}})

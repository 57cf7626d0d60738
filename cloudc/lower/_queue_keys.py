"""A queue's customer-managed key (`encryption: cmk`) and the AWS services that deliver to it.

SQS-managed encryption (the default) works with every producer. A KMS key needs a key policy
that names each AWS service delivering to the queue (S3 notifications, SNS subscriptions,
EventBridge), since those services encrypt with it; the AWS-managed key `alias/aws/sqs` cannot
name them, its policy being fixed:
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
"""

from __future__ import annotations

from cloudc.context import Context
from cloudc.ir import Component, Pseudo, Ref, Resource, Sub
from cloudc.lower._topic_keys import account_administers, service_uses


def own_key(comp: Component, ctx: Context) -> Resource:
    """Return the queue's key (`Queues<Name>Key`), creating it once and encrypting the queue
    and its dead-letter queue with it; every principal of the account uses it through SQS."""
    assert comp.queue is not None
    key = ctx.ir.resources.get(ctx.logical(comp, "Key"))
    if key is not None:
        return key
    key = ctx.add(comp, "Key", "AWS::KMS::Key", {
        "Description": f"{ctx.slug} {ctx.env}: queue {comp.name}",
        "EnableKeyRotation": True,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            account_administers(),
            {"Sid": "AccountUsesThroughSqs", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
             "Condition": {"StringEquals": {
                 "kms:CallerAccount": Pseudo("AWS::AccountId"),
                 "kms:ViaService": Sub("sqs.${AWS::Region}.amazonaws.com")}}},
        ]},
    })
    for lid in (comp.queue.queue, comp.queue.dlq):
        if lid is not None and lid in ctx.ir.resources:
            ctx.ir.resources[lid].properties["KmsMasterKeyId"] = Ref(key.logical_id)
    return key


def allow_service(comp: Component, service: str, ctx: Context) -> None:
    """Let an AWS service (`s3.amazonaws.com`, `sns.amazonaws.com`, ...) encrypt messages it
    sends to the queue, when the queue has a key of its own (else nothing is needed)."""
    key = ctx.ir.resources.get(ctx.logical(comp, "Key"))
    if key is not None:
        service_uses(key, "ServiceSends", service)

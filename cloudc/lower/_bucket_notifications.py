"""Bucket notifications to queues and topics, with what S3 needs to deliver.

S3 checks every destination when the bucket's notification configuration is written: the
queue's or topic's resource policy must let `s3.amazonaws.com` send (scoped by
`aws:SourceArn` and `aws:SourceAccount`) and, for a destination under a KMS key, the key
policy must let S3 use the key. The policy must exist first, so the bucket depends on it:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/grant-destinations-permissions-to-s3.html
https://repost.aws/knowledge-center/unable-validate-destination-s3
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, Pseudo, Ref, Resource
from cloudc.lower._queue_keys import allow_service as queue_allows
from cloudc.lower._topic_keys import allow_service as topic_allows
from cloudc.source import Path

S3 = "s3.amazonaws.com"
S3_EVENTS = {"created": "s3:ObjectCreated:*", "removed": "s3:ObjectRemoved:*",
             "restored": "s3:ObjectRestore:*"}


def notify(comp: Component, bucket: Resource, to: str, events: list[str], prefix: str | None,
           suffix: str | None, path: Path, ctx: Context) -> None:
    """Add one queue or topic notification to the bucket, and the policies it needs."""
    target = ctx.component(to)
    where = path + ("to",)
    if target is None or (target.queue is None and target.topic is None):
        names = [c.key for c in ctx.ir.components.values() if c.queue or c.topic]
        ctx.diags.add("E3001" if target is None else "E3002",
                      f"`{to}` is not declared" if target is None
                      else f"`{to}` cannot receive bucket notifications",
                      origin=ctx.origin(where), path=where,
                      hint=did_you_mean(to, names) or "name a `queues.NAME` or `topics.NAME`")
        return
    source = comp.attrs["arn"].derived  # by name: the policy must not wait for the bucket
    config = bucket.properties.setdefault("NotificationConfiguration", {})
    if target.queue is not None:
        policy = _queue_policy(target, ctx)
        _allow_bucket(policy, target.attrs["arn"], "sqs:SendMessage", source)
        queue_allows(target, S3, ctx)
        entries = config.setdefault("QueueConfigurations", [])
        key, dest = "Queue", target.attrs["arn"]
    else:
        policy = _topic_policy(target, ctx)
        _allow_bucket(policy, target.attrs["arn"], "sns:Publish", source)
        topic_allows(target, S3, ctx)  # alias/aws/sns cannot name S3: the topic gets a key
        entries = config.setdefault("TopicConfigurations", [])
        key, dest = "Topic", target.attrs["arn"]
    rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
    for kind in events:
        entry: dict[str, Any] = {"Event": S3_EVENTS[kind], key: dest}
        if rules:
            entry["Filter"] = {"S3Key": {"Rules": rules}}
        entries.append(entry)
    if policy.logical_id not in bucket.depends_on:
        bucket.depends_on.append(policy.logical_id)


def _queue_policy(target: Component, ctx: Context) -> Resource:
    """Return the queue's one policy (SQS keeps one per queue): the topics' if they made it."""
    for suffix in ("TopicsPolicy", "Policy"):
        found = ctx.ir.resources.get(ctx.logical(target, suffix))
        if found is not None:
            return found
    return ctx.add(target, "Policy", "AWS::SQS::QueuePolicy", {
        "Queues": [target.attrs["url"]],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}, group="queues")


def _topic_policy(target: Component, ctx: Context) -> Resource:
    """Return the topic's one policy (a topic has one), creating it."""
    assert target.topic is not None
    found = ctx.ir.resources.get(ctx.logical(target, "Policy"))
    if found is not None:
        return found
    return ctx.add(target, "Policy", "AWS::SNS::TopicPolicy", {
        "Topics": [Ref(target.topic.topic)],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": []}}, group="topics")


def _allow_bucket(policy: Resource, resource: Any, action: str, bucket_arn: Any) -> None:
    """Add the bucket to the policy's one S3 statement (creating it)."""
    statements = policy.properties["PolicyDocument"]["Statement"]
    st = next((s for s in statements if s.get("Sid") == "AllowBuckets"), None)
    if st is None:
        statements.append({
            "Sid": "AllowBuckets", "Effect": "Allow", "Principal": {"Service": S3},
            "Action": action, "Resource": resource,
            "Condition": {"ArnLike": {"aws:SourceArn": [bucket_arn]},
                          "StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}})
        return
    sources = st["Condition"]["ArnLike"]["aws:SourceArn"]
    if bucket_arn not in sources:
        sources.append(bucket_arn)

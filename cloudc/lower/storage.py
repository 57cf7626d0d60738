"""Lower `storage` entries to S3 buckets with TLS-only policies."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower._bucket_notifications import notify
from cloudc.lower._buckets import tls_only
from cloudc.lower._names import bucket_name
from cloudc.schema.sections.storage import Bucket

SECTION = "storage"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::S3::Bucket": "every object in the bucket"}


def declare(name: str, spec: Bucket, ctx: Context) -> Component:
    """Declare a bucket's attributes and what a link to it grants."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "bucket", path, ctx.origin(path))
    bucket = ctx.logical(comp, "Bucket")
    physical = bucket_name(ctx, name)
    arn = Sub(f"arn:${{AWS::Partition}}:s3:::{physical}")
    comp.physical = physical
    comp.bucket = bucket
    comp.attrs = {
        "id": Ref(bucket, derived=Sub(physical)),
        "name": Ref(bucket, derived=Sub(physical)),
        "arn": GetAtt(bucket, "Arn", derived=arn),
        "domain": GetAtt(bucket, "RegionalDomainName"),
    }
    objects = Sub(f"arn:${{AWS::Partition}}:s3:::{physical}/*")
    comp.grants = {
        "read": [
            statement(["s3:ListBucket"], [arn]),
            statement(["s3:GetObject"], [objects]),
        ],
        "write": [statement(["s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                            [objects])],
    }
    comp.link_env = {"NAME": Sub(physical), "ARN": arn}
    return comp


def lower(comp: Component, spec: Bucket, ctx: Context) -> None:
    """Emit the bucket and its TLS-only bucket policy."""
    path = comp.path
    props: dict[str, Any] = {"BucketName": Sub(comp.physical)}
    if spec.encryption == "kms":
        props["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
        ]}
    if spec.versioning:
        props["VersioningConfiguration"] = {"Status": "Enabled"}
    rules = []
    for i, rule in enumerate(spec.lifecycle):
        r: dict[str, Any] = {"Id": f"rule-{i}", "Status": "Enabled"}
        if rule.prefix:
            r["Prefix"] = rule.prefix
        if rule.expire_days:
            r["ExpirationInDays"] = rule.expire_days
        if rule.transition_days:
            r["Transitions"] = [{"StorageClass": rule.storage_class,
                                 "TransitionInDays": rule.transition_days}]
        noncurrent = rule.noncurrent_expire_days
        if noncurrent is None and spec.versioning and rule.expire_days:
            # Expiring a versioned object only adds a delete marker: the data stays as a
            # noncurrent version until this removes it.
            noncurrent = rule.expire_days
        if noncurrent:
            r["NoncurrentVersionExpiration"] = {"NoncurrentDays": noncurrent}
        if len(r) == 2 or (len(r) == 3 and "Prefix" in r):
            ctx.diags.add("E2005", "a lifecycle rule needs expire_days, transition_days or "
                          "noncurrent_expire_days", origin=ctx.origin(path + ("lifecycle", i)),
                          path=path + ("lifecycle", i))
        rules.append(r)
    rules.append({"Id": "abort-incomplete-uploads", "Status": "Enabled",
                  "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
    if spec.versioning:
        # A delete marker left with no versions behind it is removed (S3 rejects this flag in
        # a rule that also expires objects by days, so it is a rule of its own).
        rules.append({"Id": "expired-delete-markers", "Status": "Enabled",
                      "ExpiredObjectDeleteMarker": True})
    props["LifecycleConfiguration"] = {"Rules": rules}
    if spec.cors:
        props["CorsConfiguration"] = {"CorsRules": [
            {"AllowedOrigins": c.origins, "AllowedMethods": c.methods, "AllowedHeaders": c.headers,
             "MaxAge": c.max_age} for c in spec.cors
        ]}
    if spec.public:
        ctx.warn("W1001", "public access block turned off for this bucket", path + ("public",))
        props["PublicAccessBlockConfiguration"] = {
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
        }
    if spec.eventbridge:
        props["NotificationConfiguration"] = {
            "EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    retain = spec.retain if spec.retain is not None else None
    bucket = ctx.add(comp, "Bucket", "AWS::S3::Bucket", props, stateful=True)
    if retain is not None:
        bucket.retain(retain)
        bucket.metadata["cloudc:retain"] = retain
    ctx.add(comp, "BucketPolicy", "AWS::S3::BucketPolicy", {
        "Bucket": Ref(bucket.logical_id),
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [tls_only(comp.attrs["arn"])]},
    })


def after_links(comp: Component, spec: Bucket, ctx: Context) -> None:
    """Send object events to queues and topics (after every section has lowered: the
    destinations' policies and keys exist by now)."""
    bucket = ctx.ir.resources.get(comp.bucket)
    if bucket is None:
        return
    for i, n in enumerate(spec.notifications):
        notify(comp, bucket, n.to, list(n.events), n.prefix, n.suffix,
               comp.path + ("notifications", i), ctx)

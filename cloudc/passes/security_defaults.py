"""Secure by default (spec 1.5): one table of defaults, applied where lowering set nothing.

A lowering that turns a default off sets the property explicitly and warns at the line.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import IR, copy_tree

DEFAULTS: dict[str, dict[str, Any]] = {
    "AWS::S3::Bucket": {
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True, "BlockPublicPolicy": True,
            "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
        },
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
        ]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
    },
    "AWS::SQS::Queue": {"SqsManagedSseEnabled": True},
    "AWS::SNS::Topic": {"KmsMasterKeyId": "alias/aws/sns"},
    "AWS::DynamoDB::Table": {"SSESpecification": {"SSEEnabled": True}},
    "AWS::RDS::DBInstance": {"StorageEncrypted": True, "PubliclyAccessible": False},
    "AWS::RDS::DBCluster": {"StorageEncrypted": True},
    "AWS::EFS::FileSystem": {"Encrypted": True},
    "AWS::Kinesis::Stream": {"StreamEncryption": {"EncryptionType": "KMS",
                                                  "KeyId": "alias/aws/kinesis"}},
    "AWS::Logs::LogGroup": {"RetentionInDays": 30},
    "AWS::ApiGateway::Stage": {"TracingEnabled": True},
}

# A default that AWS rejects when one of these properties is set (the value is inherited):
# Aurora instances take encryption from their cluster, read replicas from their source.
INHERITED: dict[tuple[str, str], tuple[str, ...]] = {
    ("AWS::RDS::DBInstance", "StorageEncrypted"): ("DBClusterIdentifier",
                                                   "SourceDBInstanceIdentifier"),
    # A queue under a KMS key is not also under SQS-managed keys (AWS refuses both).
    ("AWS::SQS::Queue", "SqsManagedSseEnabled"): ("KmsMasterKeyId",),
}

# Stateful resources keep their data in production: retained on delete and on replacement
# (DeletionPolicy RetainExceptOnCreate, so a rolled-back first create leaves no named leftover
# that fails every retry with "already exists"), or snapshotted where CloudFormation can.
SNAPSHOT = {"AWS::RDS::DBInstance", "AWS::RDS::DBCluster", "AWS::ElastiCache::ReplicationGroup",
            "AWS::ElastiCache::CacheCluster"}


def security_defaults(ir: IR, ctx: Context) -> IR:
    """Fill in the secure default of every property the lowering left unset."""
    for r in ir.resources.values():
        for key, value in DEFAULTS.get(r.type, {}).items():
            if key not in r.properties and not any(
                    p in r.properties for p in INHERITED.get((r.type, key), ())):
                r.properties[key] = copy_tree(value)
        if r.stateful and r.deletion_policy is None:
            if ctx.production and r.type in SNAPSHOT:
                r.deletion_policy = r.update_replace_policy = "Snapshot"
            elif ctx.production:
                r.retain()
    return ir

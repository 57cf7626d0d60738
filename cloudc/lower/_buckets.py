"""S3 policy helpers any section uses: the TLS-only statement and object ARNs."""

from __future__ import annotations

from typing import Any

from cloudc.ir import GetAtt, Sub


def tls_only(bucket_arn: Any) -> dict[str, Any]:
    """Return the statement that denies every request not made over TLS.

    It names the bucket and every object in it (`arn:...:bucket/*`): a deny on the bucket ARN
    alone leaves object reads and writes over plain HTTP allowed (Security Hub S3.5).
    `bucket_arn` is the bucket's ARN as a Sub, or a GetAtt of its `Arn` (with or without a
    `derived` Sub).
    """
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, objects_of(bucket_arn)],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def objects_of(bucket_arn: Any, prefix: str = "") -> Sub:
    """Return the ARN of the objects under `prefix` in a bucket given by its ARN."""
    if isinstance(bucket_arn, GetAtt) and bucket_arn.derived is not None:
        bucket_arn = bucket_arn.derived
    if isinstance(bucket_arn, Sub):
        return Sub(f"{bucket_arn.template}/{prefix}*", bucket_arn.vars)
    if isinstance(bucket_arn, GetAtt):
        return Sub(f"${{bucket}}/{prefix}*", (("bucket", bucket_arn),))
    raise TypeError(f"not a bucket ARN expression: {bucket_arn!r}")

"""Upload each site's folder to its bucket after a deploy, and invalidate its CDN cache.

Like `aws s3 sync` without `--delete`: a file is uploaded when its key is new or its MD5
differs from the object's ETag; objects no longer in the folder are kept, so pages cached by
browsers can still load the assets they name. HTML is served with `no-cache`, everything else
with a one-hour cache.
"""

from __future__ import annotations

import hashlib
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudc.emit.cloudformation import stack_id

Say = Callable[[str], None]


@dataclass
class Site:
    """A site's bucket, the folder it serves, and where its distribution is declared."""

    bucket: str
    folder: Path
    group: str
    distribution: str | None


def sites_of(nested: dict[str, dict[str, Any]], config_dir: Path,
             pseudo: dict[str, str] | None = None) -> list[Site]:
    """Find the site buckets (stamped `cloudc:site-source`) in the compiled nested templates.

    Bucket names carry `${AWS::AccountId}` and `${AWS::Region}` (an `Fn::Sub`): `pseudo`
    gives their values, e.g. `{"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"}`.
    """
    out = []
    for group, doc in nested.items():
        resources = doc["Resources"]
        for body in resources.values():
            source = body.get("Metadata", {}).get("cloudc:site-source")
            name = _resolve(body.get("Properties", {}).get("BucketName"), pseudo or {})
            if body["Type"] != "AWS::S3::Bucket" or not source or name is None:
                continue
            owner = body["Metadata"].get("cloudc:owner")
            dist = next((lid for lid, b in resources.items()
                         if b["Type"] == "AWS::CloudFront::Distribution"
                         and b.get("Metadata", {}).get("cloudc:owner") == owner), None)
            out.append(Site(name, config_dir / source, group, dist))
    return out


def _resolve(name: Any, pseudo: dict[str, str]) -> str | None:
    """Return a bucket name, filling in the pseudo parameters of an `Fn::Sub` template."""
    if isinstance(name, dict) and isinstance(name.get("Fn::Sub"), str):
        name = name["Fn::Sub"]
        for key, value in pseudo.items():
            name = name.replace("${" + key + "}", value)
    return name if isinstance(name, str) and "${" not in name else None


def sync_site(s3: Any, site: Site) -> int:
    """Upload the files of `site.folder` that differ from the bucket; return how many."""
    remote: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=site.bucket):
        for obj in page.get("Contents", []):
            remote[obj["Key"]] = obj["ETag"].strip('"')
    sent = 0
    for path in sorted(p for p in site.folder.rglob("*") if p.is_file()):
        key = path.relative_to(site.folder).as_posix()
        data = path.read_bytes()
        if remote.get(key) == hashlib.md5(data, usedforsecurity=False).hexdigest():
            continue
        ctype = mimetypes.guess_type(key)[0] or "application/octet-stream"
        cache = "no-cache" if ctype == "text/html" else "public, max-age=3600"
        s3.put_object(Bucket=site.bucket, Key=key, Body=data, ContentType=ctype,
                      CacheControl=cache)
        sent += 1
    return sent


def sync_sites(aws: Any, root_stack: str, nested: dict[str, dict[str, Any]], config_dir: Path,
               say: Say) -> None:
    """Sync every site of the build; invalidate the distributions of the sites that changed."""
    s3 = aws.client("s3")
    pseudo = {"AWS::AccountId": aws.client("sts").get_caller_identity()["Account"],
              "AWS::Region": str(s3.meta.region_name)}
    for site in sites_of(nested, config_dir, pseudo):
        if not site.folder.is_dir():
            say(f"site folder {site.folder} not found: nothing uploaded to s3://{site.bucket}")
            continue
        sent = sync_site(s3, site)
        say(f"site: uploaded {sent} changed file(s) from {site.folder} to s3://{site.bucket}")
        if sent and site.distribution:
            _invalidate(aws, root_stack, site, say)


def _invalidate(aws: Any, root_stack: str, site: Site, say: Say) -> None:
    cfn = aws.client("cloudformation")
    try:
        child = cfn.describe_stack_resource(StackName=root_stack,
                                            LogicalResourceId=stack_id(site.group))
        child_id = child["StackResourceDetail"]["PhysicalResourceId"]
        dist = cfn.describe_stack_resource(StackName=child_id,
                                           LogicalResourceId=site.distribution)
        dist_id = dist["StackResourceDetail"]["PhysicalResourceId"]
        aws.client("cloudfront").create_invalidation(
            DistributionId=dist_id,
            InvalidationBatch={"Paths": {"Quantity": 1, "Items": ["/*"]},
                               "CallerReference": f"cloudc-{time.time_ns()}"})
        say(f"site: invalidated the CloudFront cache of {dist_id}")
    except Exception as exc:  # noqa: BLE001 - the upload succeeded; the cache expires anyway
        say(f"site: could not invalidate the CloudFront cache ({type(exc).__name__}); "
            "cached files expire within an hour")

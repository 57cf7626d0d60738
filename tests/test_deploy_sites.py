"""Site content upload after deploy, against moto's S3 on 127.0.0.1.

The bucket is made directly in moto's S3 (moto's CloudFormation creates buckets too, but it
accepts CloudFront without creating anything, so a full site stack proves no more here). The
CloudFront invalidation path is covered by the message it prints when the distribution cannot
be found, which is what moto gives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest_aws import moto, moto_server, offline_aws  # noqa: F401

from cloudc.aws.session import Aws
from cloudc.aws.sites import sites_of, sync_site, sync_sites
from cloudc.compile import compile_config

CASE = Path(__file__).parent / "golden" / "sites_domain"
# moto's account and the test region: bucket names carry both (SPEC 1.1).
PSEUDO = {"AWS::AccountId": "123456789012", "AWS::Region": "us-east-1"}


def _site(tmp_path: Path):
    app = tmp_path / "app"
    shutil.copytree(CASE, app, ignore=shutil.ignore_patterns("expected"))
    build = compile_config(app / "cloud.yaml", "staging")
    assert not build.diagnostics.has_errors
    sites = sites_of(build.nested, app, PSEUDO)
    assert len(sites) == 1 and sites[0].distribution is not None
    assert sites[0].bucket.endswith("-123456789012-us-east-1")
    return app, build, sites[0]


def test_sync_uploads_only_what_changed(tmp_path: Path, moto: str) -> None:
    app, build, site = _site(tmp_path)
    site.folder.mkdir(parents=True, exist_ok=True)
    (site.folder / "index.html").write_text("<h1>v1</h1>")
    (site.folder / "assets").mkdir(exist_ok=True)
    (site.folder / "assets" / "app.css").write_text("body{}")
    aws = Aws("us-east-1", endpoint_url=moto)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=site.bucket)
    first = sync_site(s3, site)
    assert first == len([p for p in site.folder.rglob("*") if p.is_file()])
    head = s3.head_object(Bucket=site.bucket, Key="index.html")
    assert head["ContentType"] == "text/html" and head["CacheControl"] == "no-cache"
    assert s3.head_object(Bucket=site.bucket, Key="assets/app.css")["ContentType"] == "text/css"
    assert sync_site(s3, site) == 0
    (site.folder / "index.html").write_text("<h1>v2</h1>")
    assert sync_site(s3, site) == 1


def test_sync_sites_reports_when_the_cdn_cannot_be_invalidated(tmp_path: Path, moto: str) -> None:
    app, build, site = _site(tmp_path)
    site.folder.mkdir(parents=True, exist_ok=True)
    (site.folder / "index.html").write_text("<h1>hi</h1>")
    aws = Aws("us-east-1", endpoint_url=moto)
    aws.client("s3").create_bucket(Bucket=site.bucket)
    said: list[str] = []
    sync_sites(aws, "no-such-stack", build.nested, app, said.append)
    assert any("uploaded" in m and site.bucket in m for m in said)
    assert any("could not invalidate" in m for m in said)

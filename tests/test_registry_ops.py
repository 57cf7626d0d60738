"""The registry stack (`<root>-registry`, the ECR repositories) in the daily commands: destroy,
deploy without images, status, rollback and `validate --against-last-build`.

The deploys run against moto's server with the recording `docker` stand-in of
tests/test_images.py (its module docstring says what it is, and why a deploy of a service ends
at `execute_change_set` in moto: the registry stack and the pushed images are real, the app's
root stack stays REVIEW_IN_PROGRESS).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest_aws import Cli, cloudc, dedent, edit, moto, moto_server, offline_aws  # noqa: F401
from test_images import REGISTRY, _client, _deploy, _stacks, _tags, shop  # noqa: F401

REPO = "pics-development-api"
BUCKET = "cloudc-artifacts-123456789012-us-east-1"

# The same app with its service gone: what moto can deploy (no network stack outputs).
NO_SERVICES = """\
project: { name: Pics, region: us-east-1 }
mode: serverless
queues:
  jobs: {}
"""


@pytest.fixture
def ecr_deletes_as_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's CloudFormation delete AWS::ECR::Repository as AWS does: EmptyOnDelete
    deletes the images with it (the resource schema: "If true, deleting the repository force
    deletes the contents of the repository"), and DeletionPolicy RetainExceptOnCreate keeps it
    when its stack is deleted. moto 5.2 ignores both (it honours only `Retain`) and refuses to
    delete a repository holding images. The moto server runs in this process, so its
    Repository model is patched for the test only."""
    from moto.ecr import models

    made = models.Repository.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    bodies: dict[str, Any] = {}

    def create(cls: Any, name: str, cfn: Any, *args: Any, **kw: Any) -> Any:
        repo = made(cls, name, cfn, *args, **kw)
        bodies[repo.name] = cfn
        return repo

    def delete(self: Any, account_id: str, region_name: str) -> None:
        body = bodies.get(self.name) or {}
        if body.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
            return
        force = (body.get("Properties") or {}).get("EmptyOnDelete") is True
        models.ecr_backends[account_id][region_name].delete_repository(self.name, force=force)

    monkeypatch.setattr(models.Repository, "create_from_cloudformation_json",
                        classmethod(create))
    monkeypatch.setattr(models.Repository, "delete", delete)


def _drop_main_stack(moto: str, name: str) -> None:
    """Delete the app's root stack that moto could not execute (moto then answers its
    ListStackResources with HTTP 500): what is left is the registry stack deploy made."""
    _client(moto, "cloudformation").delete_stack(StackName=name)
    assert name not in _stacks(moto)


@pytest.mark.aws
def test_destroy_deletes_the_registry_after_the_app_with_its_images(
        cloudc: Cli, shop: Path, moto: str, ecr_deletes_as_aws: None) -> None:
    _deploy(cloudc)
    _drop_main_stack(moto, "pics-development")
    assert _tags(moto, REPO)  # the pushed image
    status = cloudc("status", "--env", "development")
    assert status.exit_code == 0, status.output
    assert f"registry   {REGISTRY}  CREATE_COMPLETE  (1 ECR repository)" in status.stdout
    as_json = json.loads(cloudc("status", "--env", "development", "--format", "json").stdout)
    assert as_json["registry"] == {"stack": REGISTRY, "status": "CREATE_COMPLETE",
                                   "repositories": 1}
    done = cloudc("destroy", "--env", "development", "--yes")
    assert done.exit_code == 0, done.output
    assert (f"stack {REGISTRY} (CREATE_COMPLETE) will be deleted, with the 1 ECR repositories "
            "it holds") in done.stderr
    # outside production the repository has EmptyOnDelete: it goes, images and all
    assert "Nothing is retained" in done.stdout
    assert f"destroyed {REGISTRY}" in done.stderr
    assert REGISTRY not in _stacks(moto)
    assert _client(moto, "ecr").describe_repositories()["repositories"] == []
    after = cloudc("status", "--env", "development")
    assert "registry " not in after.stdout
    again = cloudc("destroy", "--env", "development", "--yes")
    assert again.exit_code == 0 and "nothing to destroy" in again.stderr


@pytest.mark.aws
def test_destroy_in_production_lists_the_repositories_it_keeps(
        cloudc: Cli, shop: Path, moto: str, ecr_deletes_as_aws: None) -> None:
    result = cloudc("deploy", "--env", "production", "--yes")
    assert result.exit_code == 3 and "cannot execute the change set" in result.output
    registry = "pics-production-registry"
    assert _stacks(moto)[registry] == "CREATE_COMPLETE"
    _drop_main_stack(moto, "pics-production")
    done = cloudc("destroy", "--env", "production", "--yes", "--confirm", "production")
    assert done.exit_code == 0, done.output
    assert "Retained by their DeletionPolicy (1)" in done.stdout
    assert ("AWS::ECR::Repository         pics-production-api  (ServicesApiRepository in stack "
            f"{registry}: RetainExceptOnCreate)") in done.stdout
    assert registry not in _stacks(moto)
    kept = _client(moto, "ecr").describe_repositories()["repositories"]
    assert [r["repositoryName"] for r in kept] == ["pics-production-api"]


@pytest.mark.aws
def test_deploy_deletes_the_registry_once_no_service_builds_an_image(
        cloudc: Cli, shop: Path, moto: str, ecr_deletes_as_aws: None) -> None:
    _deploy(cloudc)
    assert REGISTRY in _stacks(moto)
    _drop_main_stack(moto, "pics-development")
    (shop / "cloud.yaml").write_text(NO_SERVICES, encoding="utf-8")
    plan = cloudc("diff", "--env", "development")
    assert "- ServicesApiRepository" in plan.output, plan.output
    result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 0, result.output
    assert "- ServicesApiRepository" in result.stdout  # in the plan the user agreed to
    assert (f"images: no service builds an image any more: deleting stack {REGISTRY}"
            in result.stderr)
    assert REGISTRY not in _stacks(moto)
    assert _client(moto, "ecr").describe_repositories()["repositories"] == []
    quiet = cloudc("deploy", "--env", "development", "--yes")
    assert quiet.exit_code == 0 and "deleting stack" not in quiet.stderr


def _manifest(tag: str) -> str:
    return json.dumps({"schemaVersion": 2, "tag": tag,
                       "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})


def _name_image(moto: str, stack: str, image: str) -> list[str]:
    """Make every recorded deployment of `stack` name `image` (as deploy records one built by
    cloudc: the task definition's Fn::Sub, as JSON); return the record IDs. Every record, since
    two deploys within one second have IDs that sort by hash, not by time."""
    s3 = _client(moto, "s3")
    ids = []
    for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=f"deployments/{stack}/")["Contents"]:
        record = json.loads(s3.get_object(Bucket=BUCKET, Key=obj["Key"])["Body"].read())
        record["images"] = [json.dumps({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}."
                                                   "${AWS::URLSuffix}/" + image})]
        s3.put_object(Bucket=BUCKET, Key=obj["Key"], Body=json.dumps(record).encode())
        ids.append(record["id"])
    return ids


@pytest.mark.aws
def test_rollback_refuses_a_deployment_whose_image_ecr_no_longer_holds(
        cloudc: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> None:
    """A recorded deployment names its images by tag; ECR keeps the 30 newest per repository.
    moto cannot run a service's stack, so the first record is given an image of this account's
    ECR the way deploy records one (the task definition's Fn::Sub, as JSON)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cloud.yaml").write_text(NO_SERVICES, encoding="utf-8")
    stack = "pics-development"
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    edit(tmp_path / "cloud.yaml", "jobs: {}", "jobs: { visibility_timeout: 90 }")
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    ids = _name_image(moto, stack, "pics-development-api:src-old")

    no_repo = cloudc("rollback", "--env", "development", "--yes")
    assert no_repo.exit_code == 3, no_repo.output
    assert any(f"deployment {i} cannot be redeployed: ECR no longer holds "
               "pics-development-api:src-old (the repository is gone)" in no_repo.stderr
               for i in ids), no_repo.stderr
    ecr = _client(moto, "ecr")
    ecr.create_repository(repositoryName="pics-development-api")
    ecr.put_image(repositoryName="pics-development-api", imageTag="src-new",
                  imageManifest=_manifest("src-new"))
    expired = cloudc("rollback", "--env", "development", "--yes")
    assert expired.exit_code == 3
    assert "ECR no longer holds pics-development-api:src-old." in expired.stderr
    assert "30 newest images" in expired.stderr and "`cloudc deploy`" in expired.stderr
    sqs = _client(moto, "sqs")
    url = sqs.get_queue_url(QueueName="pics-development-jobs")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "90"  # nothing was rolled back

    ecr.put_image(repositoryName="pics-development-api", imageTag="src-old",
                  imageManifest=_manifest("src-old"))
    back = cloudc("rollback", "--env", "development", "--yes")
    assert back.exit_code == 0, back.output
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    assert attrs["Attributes"]["VisibilityTimeout"] == "30"


def test_built_images_are_read_from_what_deploy_records() -> None:
    import doctest

    from cloudc.aws import registry
    from cloudc.aws.registry import built_images

    failed, tried = doctest.testmod(registry)
    assert tried and not failed
    sub = json.dumps({"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/"
                                 "a-b/c:src-1"})
    assert built_images([sub, sub, "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"]) == [
        ("a-b/c", "src-1")]  # once; images the user pushed are the user's to keep


APP = """\
project: { name: Pics, region: us-east-1 }
network: { vpc: { zones: 2, nat: none } }
services:
  api:
    image: ./api/Dockerfile
    load_balancer: false
"""


def test_validate_against_last_build_compares_the_registry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_aws: None) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "cloud.yaml").write_text(APP, encoding="utf-8")
    cli = Cli(None)
    assert cli("build", "--env", "development").exit_code == 0
    assert (tmp_path / "build" / "development" / "registry.json").is_file()
    same = cli("validate", "--env", "development", "--against-last-build")
    assert same.exit_code == 0, same.output
    assert "0 to add, 0 to change, 0 to remove" in same.output
    edit(tmp_path / "cloud.yaml", "./api/Dockerfile", "public.ecr.aws/nginx/nginx:1.27")
    gone = cli("validate", "--env", "development", "--against-last-build")
    assert gone.exit_code == 1, gone.output
    assert ("warning[W5002]: ServicesApiRepository (AWS::ECR::Repository) in stack registry: "
            "this change deletes it and destroys every image in the repository") in gone.stderr


@pytest.mark.aws
def test_a_rollback_of_several_roots_checks_every_roots_images_before_any_root_changes(
        cloudc: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> None:
    import importlib

    from conftest_aws import APP as TWO_ROOTS

    monkeypatch.setattr(importlib.import_module("cloudc.passes.partition"), "MAX_TREE", 6)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cloud.yaml").write_text(TWO_ROOTS, encoding="utf-8")
    base = "demo-shop-development"
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    edit(tmp_path / "cloud.yaml", "uploads: { versioning: true }", "uploads: {}")
    edit(tmp_path / "cloud.yaml", "visibility_timeout: 60", "visibility_timeout: 90")
    assert cloudc("deploy", "--env", "development", "--yes").exit_code == 0
    ids = _name_image(moto, f"{base}-R2", "demo-shop-development-api:src-gone")  # root 2's
    refused = cloudc("rollback", "--env", "development", "--yes")
    assert refused.exit_code == 3, refused.output
    assert any(f"({i} of {base}-R2) cannot be redeployed: ECR no longer holds "
               "demo-shop-development-api:src-gone (the repository is gone)" in refused.stderr
               for i in ids), refused.stderr
    assert "rolling" not in refused.stderr  # not even root 1, which has changes to undo
    s3 = _client(moto, "s3")
    rollbacks = [o["Key"] for o in s3.list_objects_v2(
        Bucket=BUCKET, Prefix=f"deployments/{base}/")["Contents"]]
    assert len(rollbacks) == 2  # the two deploys, no rollback record

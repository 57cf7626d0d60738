"""The daily commands on an app emitted as several root stacks (past 2,500 resources; the
limit is lowered here): status shows every root, outputs merges theirs, rollback returns every
root to one recorded deployment, destroy deletes in reverse dependency order."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from conftest_aws import APP, Cli, cloudc, edit, moto, moto_server, offline_aws  # noqa: F401

from cloudc.compile import compile_config
from cloudc.roots import RootStack

BASE = "demo-shop-development"
R2 = f"{BASE}-R2"


@pytest.fixture
def two_roots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The sample app (storage, queues) split into two roots: storage in 1, queues in 2."""
    monkeypatch.setattr(importlib.import_module("cloudc.passes.partition"), "MAX_TREE", 6)
    (tmp_path / "cloud.yaml").write_text(APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cloud.yaml"


def _client(moto: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=moto, region_name="us-east-1")


def _live(moto: str) -> list[str]:
    return sorted(s["StackName"] for s in _client(moto, "cloudformation").list_stacks()[
        "StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"
        and s["StackName"] != "cloudc-bootstrap" and "-Stack" not in s["StackName"])


@pytest.mark.aws
def test_status_rollback_and_destroy_of_two_roots(cloudc: Cli, two_roots: Path, moto: str) -> None:
    from cloudc.aws import locate
    from cloudc.aws.session import Aws

    build = compile_config(two_roots, "development")
    assert build.more_roots and not build.diagnostics.has_errors
    first = cloudc("deploy", "--env", "development", "--yes")
    assert first.exit_code == 0, first.output
    assert "of 2 root stacks" in first.stderr

    # logs/exec find a resource whichever root holds it
    found = locate.resources(Aws("us-east-1", None, moto), BASE, build)
    assert "StorageUploadsBucket" in found and "QueuesJobsQueue" in found
    assert found["QueuesJobsQueue"].stack != found["StorageUploadsBucket"].stack

    edit(two_roots, "visibility_timeout: 60", "visibility_timeout: 90")
    second = cloudc("deploy", "--env", "development", "--yes")
    assert second.exit_code == 0, second.output
    sqs = _client(moto, "sqs")
    url = sqs.get_queue_url(QueueName=f"{BASE}-jobs")["QueueUrl"]

    def timeout() -> str:
        return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
                   ["Attributes"]["VisibilityTimeout"])

    assert timeout() == "90"
    status = cloudc("status", "--env", "development")
    assert status.exit_code == 0, status.output
    assert f"stack      {BASE}\n" in status.stdout and f"stack      {R2}\n" in status.stdout
    assert "StackStorage" in status.stdout and "StackQueues" in status.stdout
    ids = [ln.split()[0] for ln in status.stdout.splitlines() if ln.startswith("  2")]
    assert len(ids) == 2 and all("2 root stacks" in ln for ln in status.stdout.splitlines()
                                 if ln.startswith("  2")), status.stdout
    as_json = cloudc("status", "--env", "development", "--format", "json")
    doc = json.loads(as_json.stdout)
    assert [r["stack"] for r in doc["roots"]] == [BASE, R2]
    assert [d["id"] for d in doc["deployments"]] == ids

    back = cloudc("rollback", "--env", "development", "--yes")
    assert back.exit_code == 0, back.output
    assert f"rolling back 2 root stacks to deployment {ids[1]}" in back.stderr
    assert "already runs" in back.stderr  # root 1 did not change
    assert "VisibilityTimeout: 90 -> 60" in back.stdout
    assert timeout() == "60"
    after = cloudc("status", "--env", "development")
    assert f"rollback to {ids[1]}" in after.stdout, after.stdout
    again = cloudc("rollback", "--env", "development", "--to", ids[1], "--yes")
    assert again.exit_code == 0, again.output

    kept = cloudc("destroy", "--env", "development")  # no terminal: not confirmed
    assert kept.exit_code == 1 and _live(moto) == [BASE, R2]
    assert f"stack {BASE} (" in kept.stderr and f"stack {R2} (" in kept.stderr
    gone = cloudc("destroy", "--env", "development", "--yes")
    assert gone.exit_code == 0, gone.output
    assert f"destroyed {BASE}, {R2}" in gone.stderr
    assert _live(moto) == []
    nothing = cloudc("destroy", "--env", "development", "--yes")
    assert nothing.exit_code == 0 and "nothing to destroy" in nothing.stderr


@pytest.mark.aws
def test_outputs_merge_every_root_and_a_root_the_build_no_longer_has(
        cloudc: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto: str) -> None:
    """moto gives outputs only to stacks made by CreateStack: both roots are made that way.
    The config builds one root; the deployed `-R2` (an app that shrank) is still found."""
    (tmp_path / "cloud.yaml").write_text(APP, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    cfn = _client(moto, "cloudformation")
    cfn.create_stack(StackName=BASE, TemplateBody='{"Resources": {"Q": {"Type": '
                     '"AWS::SQS::Queue"}}, "Outputs": {"ApiUrl": {"Value": "https://a"}}}')
    cfn.create_stack(StackName=R2, TemplateBody='{"Resources": {"Q": {"Type": '
                     '"AWS::SQS::Queue"}}, "Outputs": {"JobsUrl": {"Value": "https://j"}}}')
    text = cloudc("outputs", "--env", "development")
    assert text.exit_code == 0, text.output
    assert text.stdout == "ApiUrl = https://a\nJobsUrl = https://j\n"
    status = cloudc("status", "--env", "development")
    assert f"stack      {R2}" in status.stdout, status.stdout
    gone = cloudc("destroy", "--env", "development", "--yes")
    assert gone.exit_code == 0, gone.output
    # the build does not name -R2: it reads root 1's values, so it goes first
    assert gone.stderr.index(f"deleting root stack {R2}\n") < gone.stderr.index(
        f"deleting root stack {BASE}\n")
    assert _live(moto) == []
    cfn.create_stack(StackName=R2, TemplateBody='{"Resources": {"Q": {"Type": '
                     '"AWS::SQS::Queue"}}}')
    missing = cloudc("outputs", "--env", "development")
    assert missing.exit_code == 3 and f"stack {BASE} is not deployed" in missing.stderr


def test_destroy_deletes_a_root_before_the_roots_it_needs() -> None:
    from cloudc.aws.apps import reverse_waves

    def root(n: int, *needs: str) -> RootStack:
        return RootStack(n, f"app-R{n}", "", {}, {}, needs)

    one, two, three = root(1), root(2, "app-R1"), root(3, "app-R2", "app-gone")
    order = [[r.name for r in wave] for wave in reverse_waves([one, two, three])]
    assert order == [["app-R3"], ["app-R2"], ["app-R1"]]
    assert [[r.name for r in w] for w in reverse_waves([one, root(2), three])] == [
        ["app-R3"], ["app-R1", "app-R2"]]


def test_a_failed_delete_keeps_the_roots_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root 2 fails to delete: root 1, whose values it reads, is not deleted."""
    from cloudc.aws import destroy
    from cloudc.aws.apps import reverse_waves
    from cloudc.cli import Options
    from cloudc.commands.ops import _delete_in_waves

    tried: list[str] = []

    def delete(aws: Any, deployed: Any, say: Any) -> tuple[str, str]:
        tried.append(deployed)
        return ("DELETE_FAILED", "bucket not empty") if deployed == "two" else (
            "DELETE_COMPLETE", "")

    monkeypatch.setattr(destroy, "delete", delete)
    roots = [RootStack(1, "app", "", {}, {}, ()), RootStack(2, "app-R2", "", {}, {}, ("app",))]
    opts = Options.__new__(Options)
    monkeypatch.setattr("cloudc.commands.ops.say", lambda *a, **k: None)
    failed = _delete_in_waves(opts, None, reverse_waves(roots), {"app": "one", "app-R2": "two"})
    assert failed == ("app-R2", "DELETE_FAILED", "bucket not empty")
    assert tried == ["two"]

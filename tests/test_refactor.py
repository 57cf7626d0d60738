"""Stack refactors carry resources that change nested stack (cloudc/aws/refactor.py).

moto has no stack refactor API (CreateStackRefactor, DescribeStackRefactor, ExecuteStackRefactor
are not implemented there), so the requests are checked with botocore's Stubber, which
validates every request against the CloudFormation service model shipped with botocore.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudc.aws import refactor
from cloudc.aws.diff import Side, diff
from cloudc.compile import compile_config
from cloudc.lock import write_lock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_lock import NAMES, write_services  # noqa: E402

ARN = "arn:aws:cloudformation:us-east-1:123456789012:stack/app-production-{}/0000"


def _tmpl(resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"AWSTemplateFormatVersion": "2010-09-09", **extra, "Resources": resources}


BUCKET = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Delete",
          "Properties": {"BucketName": "app-production-files"}}
POLICY = {"Type": "AWS::S3::BucketPolicy",
          "Properties": {"Bucket": {"Ref": "StorageFilesBucket"}, "PolicyDocument": {}}}
OTHER = {"Type": "AWS::SQS::Queue", "Properties": {}}


def _sides(moved: dict[str, Any], *, target_exists: bool = True) -> tuple[Side, Side]:
    old = Side("app-production", _tmpl({}), {
        "StackStorage": _tmpl({"StorageFilesBucket": BUCKET, "StorageFilesPolicy": POLICY,
                               "StorageKeep": OTHER}),
        "StackStorage2": _tmpl({"StorageOther": OTHER}),
    }, {"StackStorage": "storage", "StackStorage2": "storage-2"})
    if not target_exists:
        del old.nested["StackStorage2"]
    new = Side("app-production", _tmpl({}), {
        "StackStorage": _tmpl({"StorageKeep": OTHER}),
        "StackStorage2": _tmpl({"StorageOther": OTHER, **moved}),
    }, {"StackStorage": "storage", "StackStorage2": "storage-2"})
    return old, new


def test_a_move_is_planned_with_the_deployed_bodies_and_stubbed_calls_match_the_model() -> None:
    old, new = _sides({"StorageFilesBucket": {**BUCKET, "Properties": {"BucketName": "x"}},
                       "StorageFilesPolicy": POLICY})
    plan = refactor.plan_refactor(old, new)
    assert not plan.blocked and plan.carried == {"StorageFilesBucket", "StorageFilesPolicy"}
    (batch,) = plan.batches
    # The refactor changes nothing but placement: the bucket keeps its deployed properties.
    assert batch.templates["StackStorage2"]["Resources"]["StorageFilesBucket"] == BUCKET
    assert set(batch.templates["StackStorage"]["Resources"]) == {"StorageKeep"}
    ids = {"StackStorage": ARN.format("storage"), "StackStorage2": ARN.format("storage2")}
    stored: list[bytes] = []

    def upload(data: bytes) -> str:
        stored.append(data)
        return f"https://b.s3.amazonaws.com/{refactor.content_key(data)}"

    request = refactor.build_request(batch, ids, upload)
    assert json.loads(stored[1])["Resources"]["StorageFilesPolicy"] == POLICY
    cfn = boto3.client("cloudformation", region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(cfn)
    stub.add_response("create_stack_refactor", {"StackRefactorId": "r-1"}, request)
    stub.add_response("describe_stack_refactor",
                      {"StackRefactorId": "r-1", "Status": "CREATE_COMPLETE",
                       "ExecutionStatus": "AVAILABLE"}, {"StackRefactorId": "r-1"})
    stub.add_response("execute_stack_refactor", {}, {"StackRefactorId": "r-1"})
    stub.add_response("describe_stack_refactor",
                      {"StackRefactorId": "r-1", "Status": "CREATE_COMPLETE",
                       "ExecutionStatus": "EXECUTE_COMPLETE"}, {"StackRefactorId": "r-1"})

    class FakeAws:
        def client(self, name: str) -> Any:
            assert name == "cloudformation"
            return cfn

    said: list[str] = []
    with stub:
        refactor.run(FakeAws(), plan, ids, upload, said.append)  # type: ignore[arg-type]
    stub.assert_no_pending_responses()
    assert request["ResourceMappings"][0] == {
        "Source": {"StackName": ids["StackStorage"], "LogicalResourceId": "StorageFilesBucket"},
        "Destination": {"StackName": ids["StackStorage2"],
                        "LogicalResourceId": "StorageFilesBucket"}}
    assert request["EnableStackCreation"] is False and any("moving 2" in s for s in said)


def test_a_failed_refactor_is_an_aws_error() -> None:
    from cloudc.aws.session import AwsError

    old, new = _sides({"StorageFilesBucket": BUCKET, "StorageFilesPolicy": POLICY})
    plan = refactor.plan_refactor(old, new)
    ids = {"StackStorage": ARN.format("storage"), "StackStorage2": ARN.format("storage2")}
    cfn = boto3.client("cloudformation", region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(cfn)
    stub.add_response("create_stack_refactor", {"StackRefactorId": "r-2"})
    stub.add_response("describe_stack_refactor", {"StackRefactorId": "r-2",
                                                  "Status": "CREATE_FAILED",
                                                  "StatusReason": "cross-stack dependency"})

    class FakeAws:
        def client(self, name: str) -> Any:
            return cfn

    with stub, pytest.raises(AwsError, match="cross-stack dependency"):
        refactor.run(FakeAws(), plan, ids, lambda d: "https://b/k", lambda m: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("case,why", [
    ("left_behind", "StorageFilesPolicy, left in storage, still refers to it"),
    ("no_stack", "does not exist yet"),
    ("parameter", "has no parameter or resource"),
    ("stack_name", "AWS::StackName"),
])
def test_moves_a_refactor_cannot_carry_are_named(case: str, why: str) -> None:
    moved: dict[str, Any] = {"StorageFilesBucket": BUCKET}
    if case == "parameter":
        moved = {"StorageFilesBucket": BUCKET,
                 "StorageFilesPolicy": {**POLICY, "Properties": {"Bucket": {"Ref": "Missing"}}}}
    old, new = _sides(moved, target_exists=case != "no_stack")
    if case == "parameter":
        old.nested["StackStorage"]["Resources"]["StorageFilesPolicy"] = moved["StorageFilesPolicy"]
    if case == "stack_name":
        old.nested["StackStorage"]["Resources"]["StorageFilesBucket"] = {
            **BUCKET, "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-files"}}}
    if case == "left_behind":
        new.nested["StackStorage"]["Resources"]["StorageFilesPolicy"] = POLICY
    plan = refactor.plan_refactor(old, new)
    assert any(why in reason for reason in plan.blocked.values()), plan.blocked


def test_diff_shows_a_carried_move_as_a_move_without_replacement_or_data_loss() -> None:
    old, new = _sides({"StorageFilesBucket": BUCKET, "StorageFilesPolicy": POLICY})
    plan = diff(old, new)
    (move,) = [r for r in plan.resources if r.logical_id == "StorageFilesBucket"]
    assert move.action == "move" and move.replacement == "yes" and move.data_loss == "yes"
    refactor.mark_carried(plan, refactor.plan_refactor(old, new))
    assert move.action == "move" and not move.replacement and not move.data_loss
    assert "stack refactor" in move.reasons[0] and not plan.data_loss
    # Not carried (no destination stack yet): still a replacement, and diff says why.
    old, new = _sides({"StorageFilesBucket": BUCKET, "StorageFilesPolicy": POLICY},
                      target_exists=False)
    plan = diff(old, new)
    refactor.mark_carried(plan, refactor.plan_refactor(old, new))


def test_more_than_five_stacks_are_split_into_batches() -> None:
    old = Side("a", _tmpl({}), {f"S{i}": _tmpl({f"R{i}": OTHER, f"K{i}": OTHER})
                                for i in range(8)})
    new = Side("a", _tmpl({}), {f"S{i}": _tmpl({f"K{i}": OTHER, f"R{(i + 1) % 8}": OTHER})
                                for i in range(8)})
    plan = refactor.plan_refactor(old, new)
    assert not plan.blocked and len(plan.carried) == 8
    assert all(len(b.templates) <= refactor.MAX_STACKS for b in plan.batches)
    assert len(plan.batches) >= 2


def test_an_owner_that_outgrows_its_stack_moves_by_refactor(tmp_path: Path) -> None:
    """The compiled case: a function grows past its full stack; its deployed resources move."""
    names = NAMES[:130]
    path = write_services(tmp_path, names)
    first = compile_config(path, "production", dry=True)
    placement = first.placement()
    assert placement is not None
    write_lock(path, "production", placement)
    write_services(tmp_path, names, grown=names[3])
    second = compile_config(path, "production", dry=True)
    old = Side.from_build("app", first.root, first.nested)
    new = Side.from_build("app", second.root, second.nested)
    plan = refactor.plan_refactor(old, new)
    moved = {m.logical_id for m in refactor.moves_between(old, new)}
    assert moved and all(lid.startswith("FunctionsWorkerS003") for lid in moved)
    assert plan.carried == moved, plan.blocked
    shown = diff(old, new)
    refactor.mark_carried(shown, plan)
    assert not [r for r in shown.resources if r.action == "move" and r.replacement]


class _Out:
    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.said: list[str] = []
        self.asked: list[str] = []

    def say(self, message: str, fg: str | None = None) -> None:
        self.said.append(message)

    def confirm(self, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def _deployed_and_local() -> tuple[Any, Side]:
    from cloudc.aws.fetch import Deployed

    old, new = _sides({"StorageFilesBucket": BUCKET, "StorageFilesPolicy": POLICY})
    ids = {"StackStorage": ARN.format("storage"), "StackStorage2": ARN.format("storage2")}
    return Deployed("app-production", "UPDATE_COMPLETE", "id", old, ids), new


@pytest.mark.parametrize("answer", [True, False])
def test_deploy_asks_then_refactors_before_the_update(monkeypatch: pytest.MonkeyPatch,
                                                      answer: bool) -> None:
    from cloudc.aws import deploy as d

    deployed, local = _deployed_and_local()
    uploads: dict[str, bytes] = {}
    monkeypatch.setattr(d, "upload", lambda aws, bucket, files: uploads.update(files) or len(files))
    cfn = boto3.client("cloudformation", region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(cfn)
    if answer:
        stub.add_response("create_stack_refactor", {"StackRefactorId": "r-3"})
        stub.add_response("describe_stack_refactor", {"StackRefactorId": "r-3",
                                                      "Status": "CREATE_COMPLETE"})
        stub.add_response("execute_stack_refactor", {})
        stub.add_response("describe_stack_refactor", {"StackRefactorId": "r-3",
                                                      "ExecutionStatus": "EXECUTE_COMPLETE"})

    class FakeAws:
        endpoint_url = None
        region = "eu-west-1"

        def client(self, name: str) -> Any:
            return cfn

    out = _Out(answer)
    with stub:
        moved = refactor.refactor_first(FakeAws(), deployed, local, "bkt", out)  # type: ignore[arg-type]
    stub.assert_no_pending_responses()
    assert out.asked and "stack refactor" in out.asked[0]
    assert any("StorageFilesBucket: storage -> storage-2" in s for s in out.said)
    if answer:
        assert moved == 2 and len(uploads) == 2
    else:
        assert moved is None and not uploads

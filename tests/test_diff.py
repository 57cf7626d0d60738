"""`cloudc diff`, the diff engine, and `validate --against-last-build`.

The `aws` tests run the real CLI against a local moto server (see conftest_aws.py); the rest
run the diff engine on templates directly and need no server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest_aws import Cli, app, cloudc, edit, moto, moto_server, offline_aws  # noqa: F401

from cloudc.aws.diff import Side, diff
from cloudc.aws.render import render_text


def _deploy(cloudc: Cli) -> None:
    result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 0, result.output


# --- against moto ------------------------------------------------------------------------------


@pytest.mark.aws
def test_stack_not_found_diffs_as_everything_added(cloudc: Cli, app: Path) -> None:
    result = cloudc("diff", "--env", "development")
    assert result.exit_code == 1, result.output
    assert "Stack demo-shop-development does not exist yet" in result.stdout
    assert "+ StorageUploadsBucket" in result.stdout
    assert "+ nested stack queues (StackQueues)" in result.stdout
    data = json.loads(cloudc("diff", "--env", "development", "--format", "json").stdout)
    assert data["exists"] is False
    assert {r["action"] for r in data["resources"]} == {"add"}
    assert data["summary"]["add"] == 9  # 2 nested stacks + 2 buckets, 2 policies, 3 queues


@pytest.mark.aws
def test_deploy_then_diff_is_clean(cloudc: Cli, app: Path) -> None:
    _deploy(cloudc)
    result = cloudc("diff", "--env", "development")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout
    again = cloudc("deploy", "--env", "development", "--yes")
    assert again.exit_code == 0, again.output
    assert "no changes" in again.stderr


@pytest.mark.aws
def test_queue_visibility_timeout_change_is_a_modification(cloudc: Cli, app: Path) -> None:
    _deploy(cloudc)
    edit(app, "visibility_timeout: 60", "visibility_timeout: 120")
    result = cloudc("diff", "--env", "development")
    assert result.exit_code == 1, result.output
    assert "~ QueuesJobsQueue" in result.stdout
    assert "VisibilityTimeout: 60 -> 120" in result.stdout
    assert "REPLACE" not in result.stdout and "DATA LOSS" not in result.stdout
    data = json.loads(cloudc("diff", "--env", "development", "--format", "json").stdout)
    (change,) = [r for r in data["resources"] if not r["bookkeeping_only"]]
    assert change["changes"] == [{"path": "VisibilityTimeout", "kind": "change", "old": 60,
                                  "new": 120, "replacement": None}]
    assert change["origin"] == "cloud.yaml:9"
    # deploying the change makes the diff clean again
    _deploy(cloudc)
    assert cloudc("diff", "--env", "development").exit_code == 0


@pytest.mark.aws
def test_removed_bucket_is_flagged_as_data_loss(cloudc: Cli, app: Path) -> None:
    _deploy(cloudc)
    edit(app, "  logs: {}\n", "")
    result = cloudc("diff", "--env", "development")
    assert result.exit_code == 1, result.output
    line = next(x for x in result.stdout.splitlines() if "StorageLogsBucket " in x)
    assert line.lstrip().startswith("- StorageLogsBucket")
    assert "DATA LOSS: every object in the bucket" in line
    assert "DATA LOSS in 1 resource" in result.stdout
    data = json.loads(cloudc("diff", "--env", "development", "--format", "json").stdout)
    removed = {r["logical_id"]: r for r in data["resources"] if r["action"] == "remove"}
    assert removed["StorageLogsBucket"]["data_loss"] == "yes"
    assert removed["StorageLogsBucketPolicy"]["data_loss"] is None


@pytest.mark.aws
def test_moved_source_lines_alone_are_not_changes(cloudc: Cli, app: Path) -> None:
    _deploy(cloudc)
    edit(app, "storage:\n", "\n# buckets\nstorage:\n")
    result = cloudc("diff", "--env", "development")
    assert result.exit_code == 0, result.output
    assert "No changes." in result.stdout
    assert "differ only in cloudc's source-line metadata" in result.stdout
    verbose = cloudc("--verbose", "diff", "--env", "development")
    assert verbose.exit_code == 0
    assert '"cloud.yaml:6" -> "cloud.yaml:8"' in verbose.stdout


@pytest.mark.aws
def test_stack_option_limits_output_to_one_nested_stack(cloudc: Cli, app: Path) -> None:
    _deploy(cloudc)
    edit(app, "visibility_timeout: 60", "visibility_timeout: 120")
    edit(app, "  logs: {}\n", "")
    result = cloudc("diff", "--env", "development", "--stack", "storage")
    assert "StorageLogsBucket" in result.stdout and "QueuesJobsQueue" not in result.stdout
    wrong = cloudc("diff", "--env", "development", "--stack", "storag")
    assert wrong.exit_code == 2 and "did you mean `storage`?" in wrong.stderr


@pytest.mark.aws
def test_unreachable_endpoint_is_one_line_exit_3(app: Path, offline_aws: None) -> None:
    result = Cli("http://127.0.0.1:9")("diff", "--env", "development")
    assert result.exit_code == 3
    assert result.stderr.startswith("cloudc: error: cannot describe stack demo-shop-development: "
                                    "endpoint unreachable")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


@pytest.mark.aws
def test_missing_credentials_is_one_line_exit_3(app: Path, offline_aws: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = Cli("http://127.0.0.1:9")("diff", "--env", "development")
    assert result.exit_code == 3
    assert "no AWS credentials found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# --- the engine, no server ---------------------------------------------------------------------


def _side(nested: dict[str, dict[str, Any]], name: str = "app-dev") -> Side:
    root = {"Resources": {f"Stack{g.title()}": {"Type": "AWS::CloudFormation::Stack",
                                                "Properties": {"TemplateURL": f"stacks/{g}.json"}}
                          for g in nested}}
    return Side.from_build(name, root, nested)


def _t(**resources: dict[str, Any]) -> dict[str, Any]:
    return {"Resources": resources}


def _res(kind: str, **props: Any) -> dict[str, Any]:
    return {"Type": kind, "Properties": props}


def _one(old: Side, new: Side) -> Any:
    (change,) = diff(old, new).resources
    return change


def test_sqs_queue_name_and_fifo_are_create_only() -> None:
    old = _side({"queues": _t(Q=_res("AWS::SQS::Queue", QueueName="a"))})
    new = _side({"queues": _t(Q=_res("AWS::SQS::Queue", QueueName="a.fifo", FifoQueue=True))})
    change = _one(old, new)
    assert change.replacement == "yes"
    assert {c.path: c.replacement for c in change.props} == {"QueueName": "yes",
                                                             "FifoQueue": "yes"}
    assert change.data_loss == "yes" and change.lost == "messages waiting in the queue"


def test_rds_engine_is_conditionally_create_only() -> None:
    old = _side({"db": _t(D=_res("AWS::RDS::DBInstance", Engine="postgres",
                                 DBInstanceClass="db.t4g.micro"))})
    new = _side({"db": _t(D=_res("AWS::RDS::DBInstance", Engine="aurora-postgresql",
                                 DBInstanceClass="db.t4g.micro"))})
    change = _one(old, new)
    assert change.replacement == "maybe"
    assert change.data_loss == "maybe"
    text = render_text(diff(old, new), color=False)
    assert "MAY REPLACE" in text and "POSSIBLE DATA LOSS: the database" in text
    assert "(may force replacement)" in text


def test_rds_instance_class_is_an_update_in_place() -> None:
    old = _side({"db": _t(D=_res("AWS::RDS::DBInstance", DBInstanceClass="db.t4g.micro"))})
    new = _side({"db": _t(D=_res("AWS::RDS::DBInstance", DBInstanceClass="db.r6g.large"))})
    change = _one(old, new)
    assert change.replacement == "" and change.data_loss == ""


def test_nested_create_only_path_dynamodb_key_schema() -> None:
    key = [{"AttributeName": "pk", "KeyType": "HASH"}]
    old = _side({"data": _t(T=_res("AWS::DynamoDB::Table", KeySchema=key, BillingMode="A"))})
    new = _side({"data": _t(T=_res("AWS::DynamoDB::Table",
                                   KeySchema=[{**key[0], "AttributeName": "id"}],
                                   BillingMode="A"))})
    change = _one(old, new)
    assert change.replacement == "maybe"  # KeySchema is conditionally create-only
    assert change.props[0].path == "KeySchema[0].AttributeName"


def test_type_change_is_a_replacement() -> None:
    old = _side({"a": _t(X=_res("AWS::SQS::Queue"))})
    new = _side({"a": _t(X=_res("AWS::SNS::Topic"))})
    change = _one(old, new)
    assert change.replacement == "yes" and change.old_type == "AWS::SQS::Queue"
    assert "type changes" in change.reasons[0]


def test_resource_moving_between_nested_stacks_is_a_replacement() -> None:
    bucket = _res("AWS::S3::Bucket", BucketName="b")
    old = _side({"storage": _t(B=bucket), "web": _t()})
    new = _side({"storage": _t(), "web": _t(B=bucket)})
    change = _one(old, new)
    assert (change.action, change.from_stack, change.stack) == ("move", "storage", "web")
    assert change.replacement == "yes" and change.data_loss == "yes"


@pytest.mark.parametrize("policy", ["Retain", "RetainExceptOnCreate"])
def test_retain_policy_keeps_data(policy: str) -> None:
    old = _side({"s": _t(B={**_res("AWS::S3::Bucket"), "DeletionPolicy": policy})})
    new = _side({"s": _t()})
    change = _one(old, new)
    assert change.action == "remove" and change.data_loss == ""
    assert f"DeletionPolicy: {policy} keeps" in change.kept


def test_uploaded_locations_read_as_local_paths() -> None:
    code = "../assets/" + "ab" * 32 + ".zip"
    local = _side({"fn": _t(F=_res("AWS::Lambda::Function", Code=code))})
    deployed = _side({"fn": _t(F=_res("AWS::Lambda::Function", Code={
        "S3Bucket": "cloudc-artifacts-1-us-east-1", "S3Key": code[3:]}))})
    deployed.root["Resources"]["StackFn"]["Properties"]["TemplateURL"] = (  # type: ignore[index]
        "https://cloudc-artifacts-1-us-east-1.s3.amazonaws.com/templates/x.json")
    assert diff(deployed, local).identical


def test_outputs_parameters_and_tags_are_reported() -> None:
    old = _side({"a": {"Parameters": {"P": {"Type": "String"}}, "Resources": {},
                       "Outputs": {"O": {"Value": "1"}}}})
    new = _side({"a": {"Resources": {}, "Outputs": {"O": {"Value": "2"}}}})
    old.tags, new.tags = {"team": "a"}, {"team": "b"}
    plan = diff(old, new)
    assert [(c.path, c.kind) for c in plan.parameters] == [("a: P", "remove")]
    assert [(c.path, c.old, c.new) for c in plan.outputs] == [("a: O", {"Value": "1"},
                                                               {"Value": "2"})]
    assert [(c.path, c.old, c.new) for c in plan.tags] == [("stack: team", "a", "b")]
    assert plan.changed


# --- validate --against-last-build (offline) --------------------------------------------------


def test_validate_against_last_build_warns_on_data_loss(app: Path, offline_aws: None) -> None:
    cli = Cli(None)
    assert cli("build", "--env", "development").exit_code == 0
    ok = cli("validate", "--env", "development", "--against-last-build")
    assert ok.exit_code == 0, ok.output
    edit(app, "  logs: {}\n", "")
    edit(app, "  mail: {}", "  mail: { fifo: true }")
    result = cli("validate", "--env", "development", "--against-last-build")
    assert result.exit_code == 1, result.output
    assert ("cloud.yaml:7:1: warning[W5002]: StorageLogsBucket (AWS::S3::Bucket) in stack "
            "storage: this change deletes it") in result.stderr
    assert "warning[W5002]: QueuesMailQueue (AWS::SQS::Queue)" in result.stderr
    assert "because of QueueName; FifoQueue" in result.stderr


def test_validate_against_a_yaml_last_build(app: Path, offline_aws: None) -> None:
    cli = Cli(None)
    assert cli("build", "--env", "staging", "--format", "yaml").exit_code == 0
    assert cli("validate", "--env", "staging", "--against-last-build").exit_code == 0
    edit(app, "  uploads: { versioning: true }\n", "")
    result = cli("validate", "--env", "staging", "--against-last-build")
    assert result.exit_code == 1
    assert "warning[W5002]: StorageUploadsBucket (AWS::S3::Bucket)" in result.stderr

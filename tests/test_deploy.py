"""`cloudc deploy`: against moto where moto can, and with botocore's Stubber where it cannot.

moto (5.2, server mode) resolves no `GetAtt Child.Outputs.X`, returns change sets without
Replacement or Details, and gives stack-level events only, and cannot leave a stack in
ROLLBACK_COMPLETE. Those paths are tested with `botocore.stub.Stubber` and responses shaped
like real CloudFormation's (status values, event order newest-first, reasons as AWS words them).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from conftest_aws import Cli, app, cloudc, edit, moto, moto_server, offline_aws  # noqa: F401

from cloudc.aws import deploy as d
from cloudc.aws.diff import Side, diff
from cloudc.aws.render import render_text
from cloudc.aws.session import Aws
from cloudc.cli import Options
from cloudc.compile import compile_config

ACCOUNT = "123456789012"
NAME = "demo-shop-development"
ROOT_ID = (f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{NAME}/"
           "0c2a8f30-aaaa-11ef-9f1e-0e2b1c7d0001")
NESTED_ID = (f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{NAME}-StackQueues-1XK9Q2V7R3ABC/"
             "1d3b9f40-aaaa-11ef-9f1e-0e2b1c7d0002")
T0 = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)


def _cfn() -> Any:
    return boto3.client("cloudformation", region_name="us-east-1")


def _stack(status: str, stack_id: str = ROOT_ID, **extra: Any) -> dict[str, Any]:
    return {"Stacks": [{"StackId": stack_id, "StackName": stack_id.split("/")[1],
                        "CreationTime": T0, "StackStatus": status, **extra}]}


def _event(n: int, stack_id: str, lid: str, kind: str, status: str,
           reason: str | None = None, physical: str | None = None) -> dict[str, Any]:
    ev = {"StackId": stack_id, "EventId": f"{lid}-{status}-{n}",
          "StackName": stack_id.split("/")[1], "LogicalResourceId": lid,
          "PhysicalResourceId": physical or "", "ResourceType": kind,
          "Timestamp": T0 + timedelta(seconds=n), "ResourceStatus": status}
    if reason:
        ev["ResourceStatusReason"] = reason
    return ev


def _not_found(stubber: Stubber, name: str) -> None:
    stubber.add_client_error("describe_stacks", "ValidationError",
                             f"Stack with id {name} does not exist", 400,
                             expected_params={"StackName": name})


@pytest.fixture
def build(app: Path) -> Any:
    result = compile_config(Path("cloud.yaml"), "development")
    assert not result.diagnostics.has_errors
    return result


# --- moto -----------------------------------------------------------------------------------


@pytest.mark.aws
def test_deploy_creates_bootstrap_uploads_and_reuses(cloudc: Cli, app: Path, moto: str) -> None:
    first = cloudc("deploy", "--env", "development", "--yes")
    assert first.exit_code == 0, first.output
    assert "creating the artifacts bucket (stack cloudc-bootstrap" in first.stderr
    assert "uploaded 2 of 2 files" in first.stderr
    assert "deployed demo-shop-development: CREATE_COMPLETE" in first.stderr
    assert "Plan: 9 to add" in first.stdout
    cfn = boto3.client("cloudformation", endpoint_url=moto, region_name="us-east-1")
    root = cfn.get_template(StackName=NAME)["TemplateBody"]
    url = root["Resources"]["StackQueues"]["Properties"]["TemplateURL"]
    assert url.startswith(f"https://cloudc-artifacts-{ACCOUNT}-us-east-1.s3.amazonaws.com/"
                          "templates/") and url.endswith(".json")
    tags = cfn.describe_stacks(StackName=NAME)["Stacks"][0]["Tags"]
    assert {t["Key"]: t["Value"] for t in tags} == {"project": "demo-shop",
                                                    "environment": "development"}
    edit(app, "visibility_timeout: 60", "visibility_timeout: 90")
    second = cloudc("deploy", "--env", "development", "--yes")
    assert second.exit_code == 0, second.output
    assert "uploaded 1 of 2 files" in second.stderr  # storage.json is unchanged: skipped
    assert "VisibilityTimeout: 60 -> 90" in second.stdout


@pytest.mark.aws
def test_deploy_without_yes_and_without_terminal_deploys_nothing(cloudc: Cli, app: Path) -> None:
    result = cloudc("deploy", "--env", "development", input="")
    assert result.exit_code == 1
    assert "no terminal to ask on: treating as no" in result.stderr
    assert "not deployed" in result.stderr
    after = cloudc("diff", "--env", "development")
    assert "does not exist yet" in after.stdout


@pytest.mark.aws
def test_watch_with_nothing_running_says_so(cloudc: Cli, app: Path) -> None:
    result = cloudc("deploy", "--env", "development", "--watch")
    assert result.exit_code == 0
    assert "stack demo-shop-development: does not exist; nothing is running" in result.stderr


@pytest.mark.aws
def test_production_asks_for_termination_protection(cloudc: Cli, app: Path) -> None:
    result = cloudc("deploy", "--env", "production", "--yes")
    assert result.exit_code == 0, result.output
    # moto does not implement UpdateTerminationProtection: the deploy warns and succeeds
    assert "termination protection" in result.stderr


@pytest.mark.aws
def test_lambda_code_uploaded_by_deploy_diffs_clean_until_the_code_changes(
        cloudc: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "index.js").write_text("exports.handler = async () => 1\n")
    (tmp_path / "cloud.yaml").write_text(
        "project: { name: Fn Shop, region: us-east-1 }\nmode: serverless\n"
        "functions:\n  worker: { runtime: nodejs22.x, handler: index.handler, code: ./fn }\n")
    monkeypatch.chdir(tmp_path)
    first = cloudc("deploy", "--env", "development", "--yes")
    assert first.exit_code == 0, first.output
    clean = cloudc("diff", "--env", "development")
    assert clean.exit_code == 0, clean.output  # S3Bucket/S3Key read back as ../assets/<sha>.zip
    (tmp_path / "fn" / "index.js").write_text("exports.handler = async () => 2\n")
    changed = cloudc("diff", "--env", "development")
    assert changed.exit_code == 1
    assert "Code: \"../assets/" in changed.stdout and "~ FunctionsWorkerFunction" in changed.stdout


# --- Stubber: what moto cannot show ------------------------------------------------------------


def test_change_set_replacement_flags_are_merged_into_the_plan(build: Any,
                                                               offline_aws: None) -> None:
    """A renamed bucket replaces it (schema) and its policy (CloudFormation, by reference)."""
    local = Side.from_build(NAME, build.root, build.nested)
    deployed_nested = json.loads(json.dumps(build.nested))
    bucket = deployed_nested["storage"]["Resources"]["StorageUploadsBucket"]
    bucket["Properties"]["BucketName"] = "demo-shop-development-old-uploads"
    plan = diff(Side.from_build(NAME, build.root, deployed_nested), local)
    cfn = _cfn()
    aws = Aws("us-east-1")
    aws._clients["cloudformation"] = cfn
    cs_id = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/cloudc-1/aaaa"
    nested_cs = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/nested-1/bbbb"
    with Stubber(cfn) as stub:
        stub.add_response("create_change_set", {"Id": cs_id, "StackId": ROOT_ID})
        stub.add_response("describe_change_set", {
            "ChangeSetId": cs_id, "StackId": ROOT_ID, "Status": "CREATE_COMPLETE",
            "ExecutionStatus": "AVAILABLE",
            "Changes": [{"Type": "Resource", "ResourceChange": {
                "Action": "Modify", "LogicalResourceId": "StackStorage",
                "ResourceType": "AWS::CloudFormation::Stack", "Replacement": "False",
                "ChangeSetId": nested_cs}}]})
        stub.add_response("describe_change_set", {
            "ChangeSetId": nested_cs, "Status": "CREATE_COMPLETE", "Changes": [
                {"Type": "Resource", "ResourceChange": {
                    "Action": "Modify", "LogicalResourceId": "StorageUploadsBucket",
                    "ResourceType": "AWS::S3::Bucket", "Replacement": "True",
                    "Details": [{"Target": {"Attribute": "Properties", "Name": "BucketName",
                                            "RequiresRecreation": "Always"},
                                 "Evaluation": "Static", "ChangeSource": "DirectModification"}]}},
                {"Type": "Resource", "ResourceChange": {
                    "Action": "Modify", "LogicalResourceId": "StorageUploadsBucketPolicy",
                    "ResourceType": "AWS::S3::BucketPolicy", "Replacement": "Conditional",
                    "Details": [{"Target": {"Attribute": "Properties", "Name": "Bucket",
                                            "RequiresRecreation": "Always"},
                                 "Evaluation": "Dynamic", "ChangeSource": "ResourceReference",
                                 "CausingEntity": "StorageUploadsBucket"}]}}]},
            expected_params={"ChangeSetName": nested_cs})
        pkg = d.package(build.root, build.nested, {}, "bucket")
        cs = d.create_change_set(aws, NAME, pkg, create=False, tags={})
        stub.assert_no_pending_responses()
    d.merge_change_set(plan, cs, local)
    by_id = {r.logical_id: r for r in plan.resources}
    assert by_id["StorageUploadsBucket"].replacement == "yes"
    assert by_id["StorageUploadsBucket"].data_loss == "yes"
    policy = by_id["StorageUploadsBucketPolicy"]
    assert (policy.replacement, policy.data_loss, policy.origin) == ("maybe", "", "cloud.yaml:6")
    assert "Bucket <- StorageUploadsBucket" in policy.reasons[0]
    text = render_text(plan, color=False)
    assert "StorageUploadsBucketPolicy" in text and "MAY REPLACE" in text
    assert "BucketName: \"demo-shop-development-old-uploads\" -> " in text


def test_first_failing_nested_event_maps_to_the_config_line(
        build: Any, offline_aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    """Events as CloudFormation sends them: the root only says "Embedded stack ... failed"."""
    from cloudc.commands.aws import _follow

    root = [
        _event(0, ROOT_ID, NAME, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS",
               "User Initiated", ROOT_ID),
        _event(1, ROOT_ID, "StackQueues", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS",
               "Resource creation Initiated", NESTED_ID),
        _event(8, ROOT_ID, "StackQueues", "AWS::CloudFormation::Stack", "CREATE_FAILED",
               f"Embedded stack {NESTED_ID} was not successfully created: The following "
               "resource(s) failed to create: [QueuesMailQueue, QueuesJobsQueue].", NESTED_ID),
        _event(9, ROOT_ID, NAME, "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
               "The following resource(s) failed to create: [StackQueues].", ROOT_ID),
        _event(10, ROOT_ID, NAME, "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", None,
               ROOT_ID),
    ]
    nested = [
        _event(2, NESTED_ID, NESTED_ID.split("/")[1], "AWS::CloudFormation::Stack",
               "CREATE_IN_PROGRESS", "User Initiated", NESTED_ID),
        _event(3, NESTED_ID, "QueuesJobsDlq", "AWS::SQS::Queue", "CREATE_IN_PROGRESS"),
        _event(4, NESTED_ID, "QueuesJobsDlq", "AWS::SQS::Queue", "CREATE_COMPLETE", None,
               "https://sqs.us-east-1.amazonaws.com/123456789012/demo-shop-development-jobs-dlq"),
        _event(5, NESTED_ID, "QueuesJobsQueue", "AWS::SQS::Queue", "CREATE_FAILED",
               "Resource handler returned message: \"Value 50000 for parameter "
               "VisibilityTimeout is invalid. Reason: Must be between 0 and 43200 seconds.\" "
               "(Service: Sqs, Status Code: 400)"),
        _event(6, NESTED_ID, "QueuesMailQueue", "AWS::SQS::Queue", "CREATE_FAILED",
               "Resource creation cancelled"),
        _event(7, NESTED_ID, NESTED_ID.split("/")[1], "AWS::CloudFormation::Stack",
               "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: "
               "[QueuesMailQueue, QueuesJobsQueue].", NESTED_ID),
    ]
    cfn = _cfn()
    aws = Aws("us-east-1")
    aws._clients["cloudformation"] = cfn
    local = Side.from_build(NAME, build.root, build.nested)
    opts = Options(no_color=True)
    with Stubber(cfn) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": root[::-1]},
                          {"StackName": ROOT_ID})
        stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": ROOT_ID})
        stub.add_response("describe_stack_events", {"StackEvents": root[::-1]},
                          {"StackName": ROOT_ID})
        stub.add_response("describe_stack_events", {"StackEvents": nested[::-1]},
                          {"StackName": NESTED_ID})
        watcher = d.Watcher(aws, ROOT_ID, local.labels, lambda m, fg=None: print(m))
        code = _follow(opts, aws, Path("cloud.yaml"), build, NAME, watcher)
        stub.assert_no_pending_responses()
    out = capsys.readouterr()
    assert code == 3
    error = next(x for x in out.err.splitlines() if "error[E5001]" in x)
    assert error.startswith("cloud.yaml:9:")
    assert ("QueuesJobsQueue (AWS::SQS::Queue) in stack queues: CREATE_FAILED: Resource handler "
            "returned message: \"Value 50000 for parameter VisibilityTimeout is invalid") in error
    assert "is ROLLBACK_COMPLETE; the stack was rolled back" in out.err
    # every event of both stacks streamed once, with its time and the stack it belongs to
    streamed = [x for x in out.out.splitlines() if x[:2].isdigit()]
    assert len(streamed) == 11
    assert streamed[0].startswith("09:00:00  root")
    failed = next(x for x in streamed if x.split()[2] == "QueuesJobsQueue")
    assert failed.startswith("09:00:05  queues") and "CREATE_FAILED" in failed


def test_rollback_complete_is_deleted_and_recreated_with_yes(
        cloudc: Cli, app: Path, moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """CloudFormation (stubbed) holds a ROLLBACK_COMPLETE stack; S3 uploads go to moto."""
    bucket = f"cloudc-artifacts-{ACCOUNT}-us-east-1"
    boto3.client("s3", endpoint_url=moto, region_name="us-east-1").create_bucket(Bucket=bucket)
    cfn = _cfn()
    real = Aws.client

    def client(self: Aws, service: str) -> Any:
        return cfn if service == "cloudformation" else real(self, service)

    monkeypatch.setattr(Aws, "client", client)
    new_id = ROOT_ID.replace("0001", "0003")
    cs_id = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/cloudc-1/cccc"
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": NAME})
        _not_found(stub, f"{NAME}-registry")  # no registry stack left to delete (images.py)
        stub.add_response("delete_stack", {}, {"StackName": ROOT_ID})
        stub.add_response("describe_stacks", _stack("DELETE_COMPLETE"), {"StackName": ROOT_ID})
        _not_found(stub, NAME)
        stub.add_response("describe_stacks", _stack(
            "CREATE_COMPLETE", ROOT_ID.replace(NAME, "cloudc-bootstrap"),
            Outputs=[{"OutputKey": "BucketName", "OutputValue": bucket}]),
            {"StackName": "cloudc-bootstrap"})
        stub.add_response("create_change_set", {"Id": cs_id, "StackId": new_id})
        stub.add_response("describe_change_set", {
            "ChangeSetId": cs_id, "StackId": new_id, "Status": "CREATE_COMPLETE",
            "Changes": [{"Type": "Resource", "ResourceChange": {
                "Action": "Add", "LogicalResourceId": lid,
                "ResourceType": "AWS::CloudFormation::Stack"}}
                for lid in ("StackStorage", "StackQueues")]})
        stub.add_response("execute_change_set", {}, {"ChangeSetName": cs_id, "StackName": new_id})
        events = [_event(1, new_id, NAME, "AWS::CloudFormation::Stack", "CREATE_COMPLETE"),
                  _event(0, new_id, NAME, "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS",
                         "User Initiated")]
        stub.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": new_id})
        stub.add_response("describe_stacks", _stack("CREATE_COMPLETE", new_id),
                          {"StackName": new_id})
        stub.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": new_id})
        result = cloudc("deploy", "--env", "development", "--yes")
        assert result.exit_code == 0, result.output
        stub.assert_no_pending_responses()
    assert "ROLLBACK_COMPLETE: its first create failed" in result.stderr
    assert "deleted stack demo-shop-development" in result.stderr
    assert "deployed demo-shop-development: CREATE_COMPLETE" in result.stderr


def test_rollback_complete_without_yes_deletes_nothing(
        cloudc: Cli, app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --yes and without a terminal, the rolled-back stack is left alone."""
    cfn = _cfn()
    monkeypatch.setattr(Aws, "client", lambda self, service: cfn)
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("ROLLBACK_COMPLETE"), {"StackName": NAME})
        _not_found(stub, f"{NAME}-registry")  # no registry stack left to delete (images.py)
        result = cloudc("deploy", "--env", "development")
        stub.assert_no_pending_responses()
    assert result.exit_code == 1
    assert "Delete stack demo-shop-development and create it again?" in result.stderr


def test_update_rollback_failed_explains_continue_update_rollback(
        cloudc: Cli, app: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfn = _cfn()
    monkeypatch.setattr(Aws, "client", lambda self, service: cfn)
    with Stubber(cfn) as stub:
        stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_FAILED"), {"StackName": NAME})
        result = cloudc("deploy", "--env", "development", "--yes")
    assert result.exit_code == 3
    assert ("aws cloudformation continue-update-rollback --stack-name demo-shop-development"
            in result.stderr)


def test_ctrl_c_stops_watching_and_says_how_to_resume(
        build: Any, offline_aws: None, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from cloudc.commands.aws import _follow

    def interrupted(self: d.Watcher) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(d.Watcher, "poll", interrupted)
    aws = Aws("us-east-1")
    aws._clients["cloudformation"] = _cfn()
    watcher = d.Watcher(aws, ROOT_ID, {}, lambda m, fg=None: None)
    code = _follow(Options(no_color=True), aws, Path("cloud.yaml"), build, NAME, watcher)
    err = capsys.readouterr().err
    assert code == 130
    assert "CloudFormation keeps deploying demo-shop-development" in err
    assert "cloudc deploy --env development --watch" in err


def test_package_rewrites_locations_without_touching_the_build(build: Any) -> None:
    nested = {"fn": {"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {
        "Code": "../assets/" + "c" * 64 + ".zip"}}}}}
    root = {"Resources": {"StackFn": {"Type": "AWS::CloudFormation::Stack",
                                      "Properties": {"TemplateURL": "stacks/fn.json"}}}}
    pkg = d.package(root, nested, {"c" * 64 + ".zip": b"zip"}, "bkt")
    assert root["Resources"]["StackFn"]["Properties"]["TemplateURL"] == "stacks/fn.json"
    url = pkg.root["Resources"]["StackFn"]["Properties"]["TemplateURL"]
    key = url.removeprefix("https://bkt.s3.amazonaws.com/")
    assert key.startswith("templates/") and key in pkg.uploads
    body = json.loads(pkg.uploads[key])
    assert body["Resources"]["F"]["Properties"]["Code"] == {"S3Bucket": "bkt",
                                                            "S3Key": f"assets/{'c' * 64}.zip"}
    assert pkg.uploads[f"assets/{'c' * 64}.zip"] == b"zip"


def test_template_urls_are_regional_on_aws_and_global_for_emulators() -> None:
    assert d.template_url("b", "k") == "https://b.s3.amazonaws.com/k"
    assert d.template_url("b", "k", "us-east-1") == "https://b.s3.amazonaws.com/k"
    assert d.template_url("b", "k", "eu-west-1") == "https://b.s3.eu-west-1.amazonaws.com/k"


@pytest.mark.parametrize("reason, empty", [
    ("The submitted information didn't contain changes. Submit different information to "
     "create a change set.", True),
    ("Template format error: Unresolved resource dependencies [Nope] in the Resources block "
     "of the template", False),
])
def test_failed_change_set_is_no_changes_only_when_cloudformation_says_so(
        build: Any, offline_aws: None, reason: str, empty: bool) -> None:
    """Stubbed: a FAILED change set with no changes is "nothing to do" only for that reason."""
    from cloudc.aws.session import AwsError

    cfn = _cfn()
    aws = Aws("us-east-1")
    aws._clients["cloudformation"] = cfn
    cs_id = f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/cloudc-2/dddd"
    with Stubber(cfn) as stub:
        stub.add_response("create_change_set", {"Id": cs_id, "StackId": ROOT_ID})
        stub.add_response("describe_change_set", {
            "ChangeSetId": cs_id, "StackId": ROOT_ID, "Status": "FAILED",
            "ExecutionStatus": "UNAVAILABLE", "StatusReason": reason, "Changes": []})
        if empty:
            stub.add_response("delete_change_set", {},
                              {"ChangeSetName": cs_id, "StackName": ROOT_ID})
        pkg = d.package(build.root, build.nested, {}, "bucket")
        if empty:
            assert d.create_change_set(aws, NAME, pkg, create=False, tags={}).empty
        else:
            with pytest.raises(AwsError, match="the change set failed: Template format error"):
                d.create_change_set(aws, NAME, pkg, create=False, tags={})
        stub.assert_no_pending_responses()


# --- service-linked roles ----------------------------------------------------------------------

SEARCH_APP = """\
project: { name: Search Shop, region: us-east-1 }
network:
  vpc: { zones: 2, nat: none }
search:
  logs: { instance: t3.small.search, count: 2, storage_gb: 20 }
"""
SLR_PATH = "/aws-service-role/opensearchservice.amazonaws.com/"


def _opensearch_roles(moto: str) -> list[str]:
    iam = boto3.client("iam", endpoint_url=moto, region_name="us-east-1")
    return [r["RoleName"] for r in iam.list_roles(PathPrefix=SLR_PATH)["Roles"]]


@pytest.mark.aws
def test_deploy_creates_the_opensearch_service_linked_role_when_missing(
        cloudc: Cli, moto: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cloud.yaml").write_text(SEARCH_APP)
    monkeypatch.chdir(tmp_path)
    assert _opensearch_roles(moto) == []
    result = cloudc("deploy", "--env", "development", "--yes")
    assert "the account has no service-linked role AWSServiceRoleForAmazonOpenSearchService" \
           in result.stderr, result.output
    assert len(_opensearch_roles(moto)) == 1  # moto names it its own way; the path is AWS's
    # before the change set (which moto then fails to execute: no nested GetAtt)
    assert result.stderr.index("service-linked role") < result.stderr.index("change set")


@pytest.mark.aws
def test_ensure_linked_roles_leaves_an_existing_role_alone(moto: str, build: Any) -> None:
    iam = boto3.client("iam", endpoint_url=moto, region_name="us-east-1")
    domain = {"Resources": {"D": {"Type": "AWS::OpenSearchService::Domain",
                                  "Properties": {"VPCOptions": {"SubnetIds": ["s"]}}}}}
    public = {"Resources": {"D": {"Type": "AWS::OpenSearchService::Domain", "Properties": {}}}}
    aws = Aws("us-east-1", endpoint_url=moto)
    said: list[str] = []
    assert d.ensure_linked_roles(aws, [build.root, *build.nested.values(), public],
                                 said.append) == []
    assert said == [] and _opensearch_roles(moto) == []  # no VPC domain: nothing to do
    assert d.ensure_linked_roles(aws, [domain], said.append) == [
        "AWSServiceRoleForAmazonOpenSearchService"]
    assert len(said) == 1 and "create-service-linked-role --aws-service-name " \
        "opensearchservice.amazonaws.com" in said[0]
    iam.create_role(RoleName="AWSServiceRoleForAmazonElasticsearchService",
                    Path="/aws-service-role/es.amazonaws.com/", AssumeRolePolicyDocument="{}")
    said.clear()  # the legacy Elasticsearch role serves the account too
    assert d.ensure_linked_roles(aws, [domain], said.append) == [] and said == []

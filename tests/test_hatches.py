"""Escape hatches (`resources:`, `overrides:`, `policies:`) and `dns.records`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from helpers import all_resources, build, error_lines

from cloudc.cli import cli
from cloudc.lower._dns_records import health_check_config, txt_value


def _codes(b: object) -> list[str]:
    return [d.code for d in b.diagnostics.sorted()]  # type: ignore[attr-defined]


def test_policies_reach_the_roles_of_functions_services_and_servers(tmp_path: Path) -> None:
    body = """
storage: { feed: {} }
functions:
  api:
    code: ./fn
    policies:
      - { actions: [s3:GetObject], resources: ["${storage.feed.arn}/*"],
          conditions: { Bool: { "aws:SecureTransport": "true" } } }
      - { actions: ["s3:*"], resources: ["*"], effect: Deny }
services:
  web: { image: nginx:1.27, port: 80, policies: [{ actions: [sqs:SendMessage], resources: [arn:aws:sqs:us-east-1:111122223333:q] }] }
servers:
  box: { instance: t4g.small, policies: [{ actions: [ec2:DescribeTags], resources: ["*"], allow_wildcard: true }] }
"""
    b = build(tmp_path, body)
    assert not b.diagnostics.has_errors, error_lines(b)
    res = all_resources(b)

    def statements(role: str) -> list[dict[str, object]]:
        return res[role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]

    fn = statements("FunctionsApiRole")
    get = next(s for s in fn if s["Action"] == ["s3:GetObject"])
    assert get["Resource"][0]["Fn::Sub"][0] == "${v0}/*"
    assert "s3:::demo-production-feed-" in get["Resource"][0]["Fn::Sub"][1]["v0"]["Fn::Sub"]
    assert get["Condition"] == {"Bool": {"aws:SecureTransport": "true"}}
    assert any(s["Effect"] == "Deny" and s["Action"] == ["s3:*"] for s in fn)  # Deny: no flag
    assert any(s["Action"] == ["sqs:SendMessage"] for s in statements("ServicesWebTaskRole"))
    assert any(s["Action"] == ["ec2:DescribeTags"] for s in statements("ServersBoxRole"))
    assert _codes(b).count("W3230") == 1 and "E3230" not in _codes(b)


def test_wildcard_without_flag_is_an_error_at_its_line(tmp_path: Path) -> None:
    body = """functions:
  api:
    code: ./fn
    policies:
      - { actions: [dynamodb:GetItem], resources: ["*"] }
"""
    b = build(tmp_path, body)
    assert [line.split(": error")[0].split(":", 1)[1] for line in error_lines(b)] == ["6:52"]
    assert "E3230" in error_lines(b)[0]


def test_raw_resources_get_their_own_stack_and_typed_references(tmp_path: Path) -> None:
    body = """topics: { alerts: {} }
resources:
  Feed:
    Type: AWS::SQS::Queue
  Sub:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: "${topics.alerts.arn}"
      Protocol: sqs
      Endpoint: { "Fn::GetAtt": [Feed, Arn] }
      FilterPolicy: { k: [{ "Fn::Sub": "${AWS::Region}-${Feed.QueueName}-${region}-${!x}" }] }
outputs:
  feed: "${resources.Feed.QueueUrl}"
"""
    b = build(tmp_path, body)
    assert not b.diagnostics.has_errors, error_lines(b)
    assert set(b.nested["resources"]["Resources"]) == {"Feed", "Sub"}
    sub = b.nested["resources"]["Resources"]["Sub"]["Properties"]
    assert sub["Endpoint"] == {"Fn::GetAtt": ["Feed", "Arn"]}
    assert sub["FilterPolicy"]["k"][0] == {"Fn::Sub": [
        "${AWS::Region}-${v0}-${AWS::Region}-${!x}", {"v0": {"Fn::GetAtt": ["Feed", "QueueName"]}}]}
    assert "StackTopics" in b.root["Resources"]["StackResources"].get("DependsOn", [])


def test_cloudformation_tokens_outside_resources_stay_errors(tmp_path: Path) -> None:
    b = build(tmp_path, 'queues: { jobs: {} }\noutputs: { r: "${AWS::Region}" }\n')
    assert "E1005" in _codes(b)


def test_override_null_in_an_environment_overlay_deletes(tmp_path: Path) -> None:
    body = """queues: { jobs: {} }
overrides:
  QueuesJobsQueue: { Properties: { DelaySeconds: 5 } }
environments:
  production:
    overrides:
      QueuesJobsQueue: { Properties: { SqsManagedSseEnabled: null, DelaySeconds: null } }
"""
    prod = all_resources(build(tmp_path, body))["QueuesJobsQueue"]["Properties"]
    assert "SqsManagedSseEnabled" not in prod and "DelaySeconds" not in prod
    staging = all_resources(build(tmp_path, body, "staging"))["QueuesJobsQueue"]["Properties"]
    assert staging["DelaySeconds"] == 5 and staging["SqsManagedSseEnabled"] is True


def test_override_of_an_environment_only_resource_errs_where_missing(tmp_path: Path) -> None:
    body = """queues: { jobs: {} }
environments:
  production:
    queues: { extra: {} }
overrides:
  QueuesExtraQueue: { Properties: { DelaySeconds: 5 } }
"""
    assert not build(tmp_path, body).diagnostics.has_errors
    staging = build(tmp_path, body, "staging")
    assert [d.code for d in staging.diagnostics.errors] == ["E3237"]


def test_explain_names_the_override_line(tmp_path: Path) -> None:
    body = """queues: { jobs: {} }
overrides:
  QueuesJobsQueue:
    Properties:
      KmsMasterKeyId: alias/aws/sqs
"""
    build(tmp_path, body)
    out = CliRunner().invoke(cli, ["explain", str(tmp_path / "cloud.yaml"), "--env",
                                   "production", "QueuesJobsQueue"])
    assert out.exit_code == 0, out.output
    assert "Properties.KmsMasterKeyId = 'alias/aws/sqs' by `overrides.QueuesJobsQueue." \
           "Properties.KmsMasterKeyId` from" in out.output
    assert "line 6" in out.output


def test_txt_values_are_quoted_and_split() -> None:
    assert txt_value("v=spf1 -all") == '"v=spf1 -all"'
    assert txt_value('"already"') == '"already"'
    long = txt_value("k" * 300)
    assert long == '"' + "k" * 255 + '" "' + "k" * 45 + '"'
    assert txt_value('say "hi"') == '"say \\"hi\\""'


def test_health_check_config_from_url() -> None:
    assert health_check_config("tcp://192.0.2.1:5432", 10, 2) == {
        "Type": "TCP", "Port": 5432, "RequestInterval": 10, "FailureThreshold": 2,
        "IPAddress": "192.0.2.1"}
    http = health_check_config("http://app.acme.com", 30, 3)
    assert http["Port"] == 80 and http["ResourcePath"] == "/"


def test_weighted_records_are_one_set_but_a_simple_twin_clashes(tmp_path: Path) -> None:
    body = """dns:
  zone: acme.com
  records:
    - { name: a.acme.com, type: A, values: [192.0.2.1], set_identifier: x, routing: { weight: 1 } }
    - { name: a.acme.com, type: A, values: [192.0.2.2], set_identifier: y, routing: { weight: 1 } }
"""
    b = build(tmp_path, body)
    assert not b.diagnostics.has_errors, error_lines(b)
    res = all_resources(b)
    assert {"DnsRecordAAcmeComAX", "DnsRecordAAcmeComAY"} <= set(res)
    assert res["DnsRecordAAcmeComAX"]["Properties"]["Weight"] == 1


def test_alias_must_be_a_name_the_target_serves(tmp_path: Path) -> None:
    body = """dns:
  zone: acme.com
  zones: { acme.io: {} }
  records:
    - { name: www.acme.io, type: A, alias: sites.web }
sites:
  web: { source: ./dist, domain: www.acme.com }
"""
    b = build(tmp_path, body, files={"dist/index.html": "hi\n"})
    assert any("E3243" in line and ":6:44:" in line for line in error_lines(b)), error_lines(b)

"""streams: Kinesis streams, Firehose delivery, catalog, consumers and links."""

from __future__ import annotations

from pathlib import Path

from helpers import all_resources as _resources
from helpers import build as _build
from helpers import error_lines as _errors


def test_on_demand_and_provisioned(tmp_path: Path) -> None:
    b = _build(tmp_path, "streams: { a: {}, b: { shards: 3, retention_hours: 72 } }\n")
    assert not _errors(b)
    res = _resources(b)
    a = res["StreamsAStream"]["Properties"]
    assert a["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"} and "ShardCount" not in a
    assert a["StreamEncryption"]["EncryptionType"] == "KMS"
    p = res["StreamsBStream"]["Properties"]
    assert p["ShardCount"] == 3 and p["RetentionPeriodHours"] == 72


def test_delivery_role_is_exact(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\n"
                         "streams: { clicks: { deliver_to: storage.lake, buffer_seconds: 60 } }\n")
    assert not _errors(b)
    res = _resources(b)
    fh = res["StreamsClicksDelivery"]["Properties"]
    s3 = fh["ExtendedS3DestinationConfiguration"]
    assert s3["BufferingHints"]["IntervalInSeconds"] == 60
    assert s3["CompressionFormat"] == "GZIP"
    assert "!{firehose:error-output-type}" in s3["ErrorOutputPrefix"]
    # The policy is its own resource the delivery stream waits for: Firehose checks that the
    # role can read the stream at create time, and an inline policy may not have propagated.
    assert "Policies" not in res["StreamsClicksDeliveryRole"]["Properties"]
    policy = res["StreamsClicksDeliveryPolicy"]
    assert policy["Type"] == "AWS::IAM::Policy"
    assert policy["Properties"]["Roles"] == [{"Ref": "StreamsClicksDeliveryRole"}]
    assert "StreamsClicksDeliveryPolicy" in res["StreamsClicksDelivery"]["DependsOn"]
    stmts = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {a for s in stmts for a in s["Action"]}
    assert actions == {"kinesis:DescribeStream", "kinesis:GetShardIterator", "kinesis:GetRecords",
                       "kinesis:ListShards", "s3:PutObject", "s3:GetBucketLocation",
                       "s3:ListBucket", "s3:AbortMultipartUpload", "logs:PutLogEvents"}
    assert all("*" != r for s in stmts for r in s["Resource"])


def test_function_consumes_and_links(tmp_path: Path) -> None:
    b = _build(tmp_path, "streams: { clicks: {} }\n"
                         "functions:\n  f:\n    code: ./fn\n    events: [{ stream: clicks }]\n"
                         "  g:\n    code: ./fn\n    link: [{ to: streams.clicks, access: write }]\n")
    assert not _errors(b)
    res = _resources(b)
    m = res["FunctionsFEvent1Mapping"]["Properties"]
    assert m["StartingPosition"] == "LATEST"
    g = res["FunctionsGRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    assert any(s["Action"] == ["kinesis:PutRecord", "kinesis:PutRecords"] for s in g)
    env = res["FunctionsGFunction"]["Properties"]["Environment"]["Variables"]
    assert "STREAMS_CLICKS_NAME" in env


def test_bad_delivery_target(tmp_path: Path) -> None:
    b = _build(tmp_path, "queues: { q: {} }\nstreams: { clicks: { deliver_to: queues.q } }\n")
    assert any("E3002" in e and "deliver_to" in e for e in _errors(b))


def test_catalog_needs_delivery(tmp_path: Path) -> None:
    b = _build(tmp_path, "streams: { clicks: { catalog: true } }\n")
    assert any("E3005" in e for e in _errors(b))


def test_catalog_prefix_must_project(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\nstreams: { clicks: { deliver_to: storage.lake, "
                         "prefix: 'x/!{partitionKeyFromQuery:a}/', "
                         "catalog: { columns: { a: string } } } }\n")
    assert any("E3005" in e and "prefix" in e for e in _errors(b))


def test_catalog_database_and_workgroup(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\n"
                         "streams: { clicks: { deliver_to: storage.lake, catalog: true } }\n")
    assert not _errors(b)
    res = _resources(b)
    assert res["StreamsClicksDatabase"]["Properties"]["DatabaseInput"]["Name"] == \
        "demo_production_clicks"
    assert "StreamsClicksTable" not in res
    assert res["StreamsClicksWorkgroup"]["Type"] == "AWS::Athena::WorkGroup"


def test_undeclared_bucket(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\n"
                         "streams: { clicks: { deliver_to: storage.lak } }\n")
    errs = _errors(b)
    assert any("E3001" in e and "did you mean `lake`" in e for e in errs), errs


def test_default_alarms_and_metrics(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\n"
                         "streams: { clicks: { deliver_to: storage.lake, buffer_seconds: 60 } }\n"
                         "monitoring: { alarms: { quiet: { metric: streams.clicks.incoming_records,"
                         " threshold: 1, comparison: '<' } } }\n")
    assert not _errors(b)
    res = b.nested["monitoring"]["Resources"]
    assert res["StreamsClicksDeliveryFreshnessAlarm"]["Properties"]["Threshold"] == 960
    assert "StreamsClicksIteratorAgeAlarm" in res
    assert res["MonitoringAlarmQuiet"]["Properties"]["MetricName"] == "IncomingRecords"


def test_bare_bucket_name(tmp_path: Path) -> None:
    b = _build(tmp_path, "storage: { lake: {} }\nstreams: { clicks: { deliver_to: lake } }\n")
    assert not _errors(b)
    assert "StreamsClicksDelivery" in _resources(b)

"""The data tier: bucket notifications to queues and topics, queue and topic keys."""

from __future__ import annotations

from pathlib import Path

from helpers import all_resources, build

NOTIFY = """\
storage:
  uploads: { notifications: [{ to: queues.ingest }, { to: topics.uploaded }] }
queues:
  ingest: { encryption: cmk }
  sub: { encryption: cmk }
topics:
  uploaded: { subscribers: [queues.sub] }
"""


def test_bucket_waits_for_the_policies_s3_validates(tmp_path: Path) -> None:
    b = build(tmp_path, NOTIFY)
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    res = all_resources(b)
    assert b.ir is not None
    bucket = b.ir.resources["StorageUploadsBucket"]
    assert {"QueuesIngestPolicy", "TopicsUploadedPolicy"} <= set(bucket.depends_on)
    for lid in ("QueuesIngestPolicy", "TopicsUploadedPolicy"):
        st = res[lid]["Properties"]["PolicyDocument"]["Statement"][0]
        assert st["Principal"] == {"Service": "s3.amazonaws.com"}
        assert set(st["Condition"]) == {"ArnLike", "StringEquals"}
    root = b.root["Resources"]["StackStorage"]
    assert {"StackQueues", "StackTopics"} <= set(root["DependsOn"])


def test_keys_name_the_services_that_deliver(tmp_path: Path) -> None:
    res = all_resources(build(tmp_path, NOTIFY))
    sids = {lid: {s["Sid"] for s in res[lid]["Properties"]["KeyPolicy"]["Statement"]}
            for lid in ("QueuesIngestKey", "QueuesSubKey", "TopicsUploadedKey")}
    assert "ServiceSendsS3" in sids["QueuesIngestKey"]
    assert "ServiceSendsSns" in sids["QueuesSubKey"]
    assert "ServicePublishesS3" in sids["TopicsUploadedKey"]
    queue = res["QueuesIngestQueue"]["Properties"]
    assert queue["KmsMasterKeyId"] == {"Ref": "QueuesIngestKey"}
    assert "SqsManagedSseEnabled" not in queue  # SQS refuses both kinds of encryption


def test_managed_key_queue_cannot_take_notifications(tmp_path: Path) -> None:
    b = build(tmp_path, "storage:\n  u: { notifications: [{ to: queues.q }] }\n"
                        "queues:\n  q: { encryption: kms }\n")
    assert [d.code for d in b.diagnostics.errors] == ["E3253"]


def test_proxy_stands_between_functions_and_the_database(tmp_path: Path) -> None:
    b = build(tmp_path, "databases:\n  main: { engine: postgres, proxy: true }\n"
                        "functions:\n  api: { code: ./fn, link: [databases.main] }\n")
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    assert b.ir is not None
    ir = b.ir.resources
    ingress = {lid: r.properties for lid, r in ir.items()
               if r.type == "AWS::EC2::SecurityGroupIngress"}
    from_fn = ingress["DatabasesMainIngressFromFunctionsApi"]["GroupId"]
    assert from_fn.target == "DatabasesMainProxySecurityGroup"  # the proxy's, not the DB's
    to_db = ingress["DatabasesMainIngressFromProxy"]
    assert to_db["GroupId"].target == "DatabasesMainSecurityGroup"
    assert to_db["SourceSecurityGroupId"].target == "DatabasesMainProxySecurityGroup"
    env = ir["FunctionsApiFunction"].properties["Environment"]["Variables"]
    assert env["DATABASES_MAIN_HOST"].target == "DatabasesMainProxy"
    targets = ir["DatabasesMainProxyTargets"].properties
    assert targets["TargetGroupName"] == "default"

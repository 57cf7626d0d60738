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

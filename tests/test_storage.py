"""storage: bucket names, TLS-only policies and lifecycle rules."""

from __future__ import annotations

from pathlib import Path

from a2_helpers import build

NAME = "demo-production-uploads-${AWS::AccountId}-${AWS::Region}"


def _bucket(b):  # type: ignore[no-untyped-def]
    return b.nested["storage"]["Resources"]["StorageUploadsBucket"]["Properties"]


def test_name_carries_account_and_region(tmp_path: Path) -> None:
    b = build(tmp_path, "storage: { uploads: {} }\n", code=False)
    assert _bucket(b)["BucketName"] == {"Fn::Sub": NAME}


def test_long_names_are_cut_to_fit_the_longest_account_and_region(tmp_path: Path) -> None:
    long = "a-very-long-bucket-name-that-goes-on-and-on"
    b = build(tmp_path, f"storage: {{ {long}: {{}} }}\n", code=False)
    res = b.nested["storage"]["Resources"]
    (bucket,) = [v for v in res.values() if v["Type"] == "AWS::S3::Bucket"]
    name = bucket["Properties"]["BucketName"]["Fn::Sub"]
    fixed = name.removesuffix("-${AWS::AccountId}-${AWS::Region}")
    assert len(fixed) + len("-123456789012-us-isof-south-1") <= 63
    assert fixed.startswith("demo-production-a-very-lo") and fixed[-9] == "-"


def test_tls_only_policy_names_the_bucket_and_every_object(tmp_path: Path) -> None:
    b = build(tmp_path, "storage: { uploads: {} }\n", code=False)
    policy = b.nested["storage"]["Resources"]["StorageUploadsBucketPolicy"]["Properties"]
    (deny,) = policy["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"}}
    assert deny["Resource"] == [
        {"Fn::GetAtt": ["StorageUploadsBucket", "Arn"]},
        {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{NAME}/*"}]


def test_link_grants_and_env_name_the_same_bucket(tmp_path: Path) -> None:
    b = build(tmp_path, "storage: { uploads: {} }\n"
                        "functions: { app: { code: ./fn, link: [storage.uploads] } }\n")
    fn = b.nested["functions"]["Resources"]
    env = fn["FunctionsAppFunction"]["Properties"]["Environment"]["Variables"]
    assert env["STORAGE_UPLOADS_NAME"] == {"Fn::Sub": NAME}
    text = str(fn["FunctionsAppRole"]["Properties"]["Policies"])
    assert f"s3:::{NAME}/*" in text and f"s3:::{NAME}'" in text


def test_versioned_expiring_bucket_expires_noncurrent_versions(tmp_path: Path) -> None:
    b = build(tmp_path, """\
storage:
  uploads:
    versioning: true
    lifecycle:
      - { prefix: tmp/, expire_days: 7 }
      - { prefix: logs/, expire_days: 30, noncurrent_expire_days: 5 }
      - { prefix: archive/, transition_days: 30 }
""", code=False)
    rules = _bucket(b)["LifecycleConfiguration"]["Rules"]
    by_id = {r["Id"]: r for r in rules}
    assert by_id["rule-0"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    assert by_id["rule-1"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 5}
    assert "NoncurrentVersionExpiration" not in by_id["rule-2"]
    assert by_id["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7}
    assert by_id["expired-delete-markers"] == {
        "Id": "expired-delete-markers", "Status": "Enabled", "ExpiredObjectDeleteMarker": True}


def test_unversioned_bucket_has_no_version_rules(tmp_path: Path) -> None:
    b = build(tmp_path, "storage: { uploads: { lifecycle: [{ expire_days: 7 }] } }\n",
              code=False)
    rules = _bucket(b)["LifecycleConfiguration"]["Rules"]
    assert [r["Id"] for r in rules] == ["rule-0", "abort-incomplete-uploads"]
    assert "NoncurrentVersionExpiration" not in rules[0]

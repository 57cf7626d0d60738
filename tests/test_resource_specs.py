"""Drift and spot-check tests for cloudc/data/resource_specs.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from cloudc import resource_specs as rs

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "scripts" / "gen_resource_specs.py"
COMMITTED = ROOT / "cloudc" / "data" / "resource_specs.json"


def _load_generator() -> ModuleType:
    """Import scripts/gen_resource_specs.py as a module."""
    mod_spec = importlib.util.spec_from_file_location("gen_resource_specs", GENERATOR)
    assert mod_spec is not None and mod_spec.loader is not None
    module = importlib.util.module_from_spec(mod_spec)
    mod_spec.loader.exec_module(module)
    return module


def test_committed_file_matches_installed_cfn_lint() -> None:
    pytest.importorskip(
        "cfnlint", reason="cfn-lint not importable; cannot regenerate resource specs"
    )
    gen = _load_generator()
    expected = gen.generate()
    actual = COMMITTED.read_text(encoding="utf-8")
    if actual != expected:
        committed_src = json.loads(actual).get("_source")
        installed_src = json.loads(expected)["_source"]
        pytest.fail(
            f"{COMMITTED.name} is stale (committed {committed_src}, installed {installed_src}); "
            "run: python scripts/gen_resource_specs.py"
        )


def test_file_shape() -> None:
    data = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert data["_source"]["region"] == "us-east-1"
    assert len(data) > 1000
    assert COMMITTED.stat().st_size < 2_000_000
    for name, entry in data.items():
        if name == "_source":
            continue
        assert set(entry) == {
            "create_only",
            "conditional_create_only",
            "attributes",
            "taggable",
            "tags_format",
            "primary_identifier",
            "constraints",
            "properties",
            "required",
        }, name
        assert entry["tags_format"] in (None, "list", "map"), name
        assert entry["create_only"] == sorted(entry["create_only"]), name
        assert not any(p.startswith("/properties/") for p in entry["create_only"]), name


def test_s3_bucket() -> None:
    assert "BucketName" in rs.create_only("AWS::S3::Bucket")
    assert "Arn" in rs.getatt_attributes("AWS::S3::Bucket")
    assert "DomainName" in rs.getatt_attributes("AWS::S3::Bucket")
    assert rs.is_taggable("AWS::S3::Bucket")
    assert rs.tags_format("AWS::S3::Bucket") == "list"
    s = rs.spec("AWS::S3::Bucket")
    assert s is not None and s.primary_identifier == ("BucketName",)


def test_sqs_queue() -> None:
    assert {"FifoQueue", "QueueName"} <= rs.create_only("AWS::SQS::Queue")
    assert rs.tags_format("AWS::SQS::Queue") == "list"
    assert {"Arn", "QueueName", "QueueUrl"} <= rs.getatt_attributes("AWS::SQS::Queue")


def test_rds_db_instance_engine_may_replace() -> None:
    # The schema lists Engine as conditionalCreateOnly (e.g. engine change may
    # replace); EngineVersion is updatable in place. StorageEncrypted/DBName always replace.
    t = "AWS::RDS::DBInstance"
    assert "Engine" in rs.conditional_create_only(t)
    assert "Engine" not in rs.create_only(t)
    assert "EngineVersion" not in rs.create_only(t) | rs.conditional_create_only(t)
    assert {"DBName", "StorageEncrypted", "DBInstanceIdentifier"} <= rs.create_only(t)
    assert {"Endpoint.Address", "Endpoint.Port"} <= rs.getatt_attributes(t)


def test_constraints_recorded() -> None:
    c = rs.constraints("AWS::Lambda::Function")
    assert c["MemorySize"]["minimum"] == 128
    assert c["LoggingConfig/LogFormat"] == {"enum": ["Text", "JSON"]}  # nested, one level
    assert "Architectures/*" in c  # list items
    assert not any(p.count("/") > 1 for p in c)  # two levels deep at most
    assert rs.constraints("AWS::SQS::Queue")["VisibilityTimeout"]["maximum"] == 43200
    assert rs.constraints("AWS::Nope::Nothing") == {}


def test_lambda_function() -> None:
    assert "Arn" in rs.getatt_attributes("AWS::Lambda::Function")
    assert "FunctionName" in rs.create_only("AWS::Lambda::Function")
    assert rs.tags_format("AWS::Lambda::Function") == "list"


def test_ssm_parameter_tags_are_a_map() -> None:
    assert rs.is_taggable("AWS::SSM::Parameter")
    assert rs.tags_format("AWS::SSM::Parameter") == "map"


def test_nested_create_only_paths_kept() -> None:
    assert "NetworkConfiguration/SubnetIds" in rs.create_only("AWS::MWAA::Environment")


def test_untaggable_and_unknown_types() -> None:
    assert not rs.is_taggable("AWS::IAM::Policy")
    assert rs.tags_format("AWS::IAM::Policy") is None
    assert rs.spec("AWS::Nope::Nothing") is None
    assert rs.spec("_source") is None
    assert rs.create_only("AWS::Nope::Nothing") == frozenset()
    assert not rs.is_taggable("AWS::Nope::Nothing")


def test_property_facts() -> None:
    types = rs.property_types("AWS::SNS::TopicPolicy")
    assert types == {"PolicyDocument": "os", "Topics": "a"}  # read-only `Id` left out
    assert rs.required_properties("AWS::SNS::TopicPolicy") == {"PolicyDocument", "Topics"}
    assert rs.property_types("AWS::SQS::Queue")["DelaySeconds"] == "i"
    assert "AWS::SQS::Queue" in rs.known_types()
    assert rs.property_types("AWS::Nope::Nothing") == {}

"""databases with engine dynamodb: tables, indexes, streams, grants, production defaults."""

from __future__ import annotations

from pathlib import Path

from a2_helpers import build, codes, no_wildcards, texts

TABLE = """\
databases:
  sessions:
    engine: dynamodb
    keys: { pk: string, sk: number }
    ttl: expires_at
    stream: new_image
    indexes:
      by_user: { keys: { user_id: string, sk: number }, projection: keys_only }
functions:
  api: { code: ./fn, link: [{ to: databases.sessions, access: read }] }
  writer: { code: ./fn, link: [databases.sessions] }
  changes: { code: ./fn, events: [{ stream: sessions }] }
"""


def _table(b):  # type: ignore[no-untyped-def]
    return b.nested["databases"]["Resources"]["DatabasesSessionsTable"]


def test_table_in_production(tmp_path: Path) -> None:
    b = build(tmp_path, TABLE)
    assert not b.diagnostics.has_errors, b.diagnostics.sorted()
    t = _table(b)
    p = t["Properties"]
    assert t["DeletionPolicy"] == "RetainExceptOnCreate" and t["UpdateReplacePolicy"] == "Retain"
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert p["AttributeDefinitions"] == [
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
        {"AttributeName": "user_id", "AttributeType": "S"}]
    assert p["GlobalSecondaryIndexes"][0]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert p["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["DeletionProtectionEnabled"] is True
    assert p["SSESpecification"] == {"SSEEnabled": True}
    no_wildcards(b)


def test_staging_has_no_pitr_or_retention(tmp_path: Path) -> None:
    b = build(tmp_path, TABLE, env="staging")
    t = _table(b)
    assert "DeletionPolicy" not in t
    assert "PointInTimeRecoverySpecification" not in t["Properties"]
    assert "DeletionProtectionEnabled" not in t["Properties"]


def _actions(b, fn: str) -> list[tuple[list[str], list[object]]]:  # type: ignore[no-untyped-def]
    role = b.nested["functions"]["Resources"][f"Functions{fn}Role"]["Properties"]
    return [(st["Action"], st["Resource"]) for st in role["Policies"][0]["PolicyDocument"]["Statement"]]


def test_link_grants(tmp_path: Path) -> None:
    b = build(tmp_path, TABLE)
    read = [a for a, _ in _actions(b, "Api")]
    assert ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
            "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"] in read
    assert not any("dynamodb:PutItem" in a for a in read)
    [(_, resources)] = [(a, r) for a, r in _actions(b, "Api") if "dynamodb:Query" in a]
    assert resources[1]["Fn::Sub"].endswith(":table/demo-production-sessions/index/*")
    write = [x for a, _ in _actions(b, "Writer") for x in a]
    assert {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem"} <= set(write)
    env = b.nested["functions"]["Resources"]["FunctionsApiFunction"]["Properties"]
    assert set(env["Environment"]["Variables"]) == {"DATABASES_SESSIONS_NAME",
                                                    "DATABASES_SESSIONS_ARN"}


def test_stream_event_source(tmp_path: Path) -> None:
    b = build(tmp_path, TABLE)
    fns = b.nested["functions"]["Resources"]
    mapping = fns["FunctionsChangesEvent1Mapping"]["Properties"]
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["EventSourceArn"] == {"Ref": "DatabasesSessionsTableStreamArn"}
    actions = {x for a, _ in _actions(b, "Changes") for x in a}
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
            "dynamodb:ListStreams"} <= actions


def test_provisioned_billing(tmp_path: Path) -> None:
    b = build(tmp_path, """\
databases:
  t:
    engine: dynamodb
    keys: { id: string }
    billing: provisioned
    read_capacity: 5
    write_capacity: 2
    indexes: { by_x: { keys: { x: number } } }
""")
    p = _table_named(b, "T")
    assert p["BillingMode"] == "PROVISIONED"
    assert p["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2}
    assert p["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == p["ProvisionedThroughput"]


def _table_named(b, name: str):  # type: ignore[no-untyped-def]
    return b.nested["databases"]["Resources"][f"Databases{name}Table"]["Properties"]


def test_turning_off_production_defaults_warns(tmp_path: Path) -> None:
    b = build(tmp_path, """\
databases:
  t: { engine: dynamodb, keys: { id: string }, point_in_time_recovery: false, deletion_protection: false }
""")
    assert codes(b) == ["W1001", "W1001"]
    assert not b.diagnostics.has_errors


def test_bad_settings_are_diagnostics(tmp_path: Path) -> None:
    b = build(tmp_path, """\
databases:
  a: { engine: dynamodb, keys: { id: string }, billing: provisioned }
  b: { engine: dynamodb, keys: { id: string }, read_capacity: 3, instance: db.t4g.micro }
  c:
    engine: dynamodb
    keys: { id: string }
    indexes: { by_id: { keys: { id: number } } }
""")
    assert codes(b) == ["E3005"] * 4, texts(b)


def test_rds_engine_without_its_module_is_a_diagnostic(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import cloudc.lower.databases as databases

    monkeypatch.setattr(databases, "_rds", lambda: None)
    b = build(tmp_path, "databases:\n  main: { engine: postgres }\n")
    assert codes(b) == ["E3005"]
    assert "engine postgres is not supported yet" in texts(b)

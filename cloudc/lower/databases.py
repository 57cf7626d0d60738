"""Lower `databases` entries: DynamoDB tables here; RDS and Aurora engines in `_rds`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from cloudc.capabilities import Default, EventSource, Metric, Widget
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, statement
from cloudc.lower import _dynamodb_scaling as scaling
from cloudc.lower._metrics import named
from cloudc.schema.sections.databases import Database

SECTION = "databases"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {
    "AWS::DynamoDB::Table": "every item in the table",
    "AWS::DynamoDB::GlobalTable": "every item in the table",
    "AWS::RDS::DBInstance": "the database",
    "AWS::RDS::DBCluster": "the database cluster",
}

KEY_TYPES = {"string": "S", "number": "N", "binary": "B"}
STREAM_VIEWS = {"new_image": "NEW_IMAGE", "old_image": "OLD_IMAGE",
                "new_and_old_images": "NEW_AND_OLD_IMAGES", "keys_only": "KEYS_ONLY"}
READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
        "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable"]
WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
         "dynamodb:BatchWriteItem"]
STREAM_READ = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
# Settings that only RDS and Aurora engines take (left at their defaults for a table).
RDS_ONLY = ("version", "instance", "storage_gb", "max_storage_gb", "backup_days", "multi_az",
            "database_name", "iam_auth", "serverless", "min_capacity", "max_capacity",
            "parameters", "publicly_accessible", "username", "replicas", "proxy")
# Settings that only DynamoDB tables take.
TABLE_ONLY = ("autoscaling", "replica_regions")


def _rds() -> ModuleType | None:
    try:
        return importlib.import_module("cloudc.lower._rds")
    except ImportError:
        return None

_TB = named("TableName")
# What `monitoring` can watch on a DynamoDB table.
METRICS = {
    "read_throttles": Metric("AWS/DynamoDB", "ReadThrottleEvents", _TB),
    "write_throttles": Metric("AWS/DynamoDB", "WriteThrottleEvents", _TB),
    # ThrottledRequests is published per operation only; this sums the table's throttles.
    "throttled_requests": Metric("AWS/DynamoDB", "ThrottledRequests", _TB,
                                 parts=("read_throttles", "write_throttles")),
    "consumed_read_capacity": Metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", _TB),
    "consumed_write_capacity": Metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", _TB),
}
ALARMS = (
    Default("ThrottlesAlarm", "throttled_requests", "Sum", ">", 0,
            "reads or writes were throttled"),
)
DASHBOARD = Widget("DynamoDB", ("consumed_read_capacity", "consumed_write_capacity",
                                "read_throttles", "write_throttles"))


def declare(name: str, spec: Database, ctx: Context) -> Component | None:
    """Declare a table (or hand an RDS/Aurora engine to `_rds`)."""
    if spec.engine != "dynamodb":
        mod = _rds()
        if mod is None or not hasattr(mod, "declare"):
            path = (SECTION, name, "engine")
            ctx.diags.add("E3005", f"engine {spec.engine} is not supported yet",
                          origin=ctx.origin(path) or ctx.origin(path[:2]), path=path,
                          hint="use `engine: dynamodb`")
            return None
        comp: Component | None = mod.declare(name, spec, ctx)
        return comp
    return _declare_table(name, spec, ctx)


def lower(comp: Component, spec: Database, ctx: Context) -> None:
    """Emit the table (or the RDS/Aurora resources)."""
    if spec.engine != "dynamodb":
        for key in TABLE_ONLY:
            if key in spec.model_fields_set:
                where = comp.path + (key,)
                ctx.diags.add("E3005", f"`{key}` applies to dynamodb, not {spec.engine}",
                              origin=ctx.origin(where), path=where)
        mod = _rds()
        if mod is not None:
            mod.lower(comp, spec, ctx)
        return
    _lower_table(comp, spec, ctx)


def _declare_table(name: str, spec: Database, ctx: Context) -> Component:
    path = (SECTION, name)
    comp = Component(SECTION, name, "table", path, ctx.origin(path))
    physical = ctx.physical(name, 255)
    lid = ctx.logical(comp, "GlobalTable" if spec.replica_regions else "Table")
    table_arn = arn("dynamodb", f"table/{physical}")
    indexes = Sub(f"{table_arn.template}/index/*")
    comp.physical, comp.primary = physical, lid
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    comp.attrs = {
        "id": Ref(lid, derived=Sub(physical)),
        "name": Ref(lid, derived=Sub(physical)),
        "arn": GetAtt(lid, "Arn", derived=table_arn),
    }
    comp.grants = {"read": [statement(READ, [table_arn, indexes])],
                   "write": [statement(WRITE, [table_arn])]}
    comp.link_env = {"NAME": Sub(physical), "ARN": table_arn}
    if spec.stream is not None:
        stream_arn = GetAtt(lid, "StreamArn")
        comp.attrs["stream_arn"] = stream_arn
        # As SAM's DynamoDBStreamReadPolicy: reads on this stream, listing on this table's.
        comp.event_source = EventSource(
            stream_arn,
            [statement(STREAM_READ, [stream_arn]),
             statement(["dynamodb:ListStreams"], [Sub(f"{table_arn.template}/stream/*")])],
            starting_position="LATEST")
    return comp


def _lower_table(comp: Component, spec: Database, ctx: Context) -> None:
    path = comp.path
    for key in RDS_ONLY:
        if key in spec.model_fields_set:
            ctx.diags.add("E3005", f"`{key}` applies to RDS and Aurora engines, not dynamodb",
                          origin=ctx.origin(path + (key,)), path=path + (key,))
    assert spec.keys is not None
    attributes: dict[str, str] = {}
    _attributes(attributes, spec.keys, path + ("keys",), ctx)
    props: dict[str, Any] = {
        "TableName": comp.physical,
        "AttributeDefinitions": [],
        "KeySchema": _key_schema(spec.keys),
    }
    throughput = _billing(spec, path, ctx)
    if throughput is None:
        props["BillingMode"] = "PAY_PER_REQUEST"
    else:
        props["BillingMode"] = "PROVISIONED"
        props["ProvisionedThroughput"] = throughput
    if spec.indexes:
        gsis = []
        for index_name, index in spec.indexes.items():
            where = path + ("indexes", index_name)
            if not 1 <= len(index.keys) <= 2:
                ctx.diags.add("E2005", "an index takes a hash key and at most one range key",
                              origin=ctx.origin(where + ("keys",)), path=where + ("keys",))
                continue
            _attributes(attributes, index.keys, where + ("keys",), ctx)
            gsi: dict[str, Any] = {
                "IndexName": index_name,
                "KeySchema": _key_schema(index.keys),
                "Projection": {"ProjectionType": "ALL" if index.projection == "all"
                               else "KEYS_ONLY"},
            }
            if throughput is not None:
                gsi["ProvisionedThroughput"] = dict(throughput)
            gsis.append(gsi)
        props["GlobalSecondaryIndexes"] = gsis
    props["AttributeDefinitions"] = [{"AttributeName": k, "AttributeType": t}
                                     for k, t in attributes.items()]
    if spec.ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": spec.ttl, "Enabled": True}
    if spec.stream is not None:
        props["StreamSpecification"] = {"StreamViewType": STREAM_VIEWS[spec.stream]}
    pitr = spec.point_in_time_recovery
    if pitr is None:
        pitr = ctx.production
    elif not pitr and ctx.production:
        ctx.warn("W1001", "point-in-time recovery turned off for a production table",
                 path + ("point_in_time_recovery",))
    if pitr:
        props["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    protect = spec.deletion_protection
    if protect is None:
        protect = ctx.production
    elif not protect and ctx.production:
        ctx.warn("W1001", "deletion protection turned off for a production table",
                 path + ("deletion_protection",))
    if protect:
        props["DeletionProtectionEnabled"] = True
    if spec.replica_regions:
        scaling.global_table(comp, spec, props, ctx)
        return
    table = ctx.add(comp, "Table", "AWS::DynamoDB::Table", props, stateful=True)
    scaling.autoscale(comp, spec, table, ctx)


def _attributes(out: dict[str, str], keys: Mapping[str, str], path: tuple[Any, ...],
                ctx: Context) -> None:
    """Add key attributes to the table's definitions; one name has one type."""
    for name, kind in keys.items():
        t = KEY_TYPES[kind]
        if out.setdefault(name, t) != t:
            ctx.diags.add("E3005", f"key `{name}` is declared as {kind} here and with another "
                          "type elsewhere in this table", origin=ctx.origin(path + (name,)),
                          path=path + (name,))


def _key_schema(keys: Mapping[str, str]) -> list[dict[str, str]]:
    names = list(keys)
    out = [{"AttributeName": names[0], "KeyType": "HASH"}]
    if len(names) > 1:
        out.append({"AttributeName": names[1], "KeyType": "RANGE"})
    return out


def _billing(spec: Database, path: tuple[Any, ...], ctx: Context) -> dict[str, int] | None:
    """Return the provisioned throughput, or None for on-demand."""
    if spec.billing == "on-demand":
        for key in ("read_capacity", "write_capacity"):
            if getattr(spec, key) is not None:
                ctx.diags.add("E3005", f"`{key}` applies to `billing: provisioned`",
                              origin=ctx.origin(path + (key,)), path=path + (key,),
                              hint="on-demand tables scale by themselves")
        return None
    missing = [k for k in ("read_capacity", "write_capacity") if getattr(spec, k) is None]
    if missing:
        ctx.diags.add("E3005", f"`billing: provisioned` needs {' and '.join(missing)}",
                      origin=ctx.origin(path + ("billing",)), path=path + ("billing",))
        return {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    return {"ReadCapacityUnits": int(spec.read_capacity or 1),
            "WriteCapacityUnits": int(spec.write_capacity or 1)}

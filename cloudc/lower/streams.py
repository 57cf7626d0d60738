"""Lower `streams` entries to Kinesis data streams, Firehose deliveries and query catalogs."""

from __future__ import annotations

import re
from typing import Any

from cloudc.capabilities import Default, EventSource, Metric, Widget
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, statement
from cloudc.lower._keys import key_arn
from cloudc.schema.sections.streams import Catalog, Stream

SECTION = "streams"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::Kinesis::Stream": "the records in the stream"}

READ = ["kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:GetRecords",
        "kinesis:GetShardIterator", "kinesis:ListShards"]
WRITE = ["kinesis:PutRecord", "kinesis:PutRecords"]
DELIVERY_READ = ["kinesis:DescribeStream", "kinesis:GetRecords", "kinesis:GetShardIterator",
                 "kinesis:ListShards"]

def _stream_dims(c: Component, ctx: Context) -> list[tuple[str, str]]:
    return [("StreamName", str(c.physical))]


def _delivery_dims(c: Component, ctx: Context) -> list[tuple[str, str]]:
    return [("DeliveryStreamName", ctx.physical(c.name, 64))]


# What `monitoring` can watch on a stream (`monitoring.alarms.*.metric: streams.NAME.METRIC`),
# and on its delivery to S3 when it has one.
STREAM_METRICS = {
    "iterator_age": Metric("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", _stream_dims,
                           stat="Maximum"),
    "incoming_records": Metric("AWS/Kinesis", "IncomingRecords", _stream_dims),
    "write_throttles": Metric("AWS/Kinesis", "WriteProvisionedThroughputExceeded", _stream_dims),
    "read_throttles": Metric("AWS/Kinesis", "ReadProvisionedThroughputExceeded", _stream_dims),
    "incoming_bytes": Metric("AWS/Kinesis", "IncomingBytes", _stream_dims),
}
DELIVERY_METRICS = {
    "delivery_freshness": Metric("AWS/Firehose", "DeliveryToS3.DataFreshness", _delivery_dims),
    "delivery_success": Metric("AWS/Firehose", "DeliveryToS3.Success", _delivery_dims),
    "delivery_records": Metric("AWS/Firehose", "DeliveryToS3.Records", _delivery_dims),
}
STREAM_ALARMS = (
    Default("IteratorAgeAlarm", "iterator_age", "Maximum", ">=", 600_000,
            "consumers are 10 minutes or more behind"),
    Default("WriteThrottlesAlarm", "write_throttles", "Sum", ">", 0, "writes were throttled"),
)
EXTENSIONS = {"GZIP": ".gz"}
TIMESTAMP = re.compile(r"!\{timestamp:([^}]+)\}")


def declare(name: str, spec: Stream, ctx: Context) -> Component:
    """Declare a stream's attributes, what a link grants and how functions consume it."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "stream", path, ctx.origin(path))
    physical = ctx.physical(name, 128)
    lid = ctx.logical(comp, "Stream")
    s_arn = arn("kinesis", f"stream/{physical}")
    comp.physical, comp.primary = physical, lid
    comp.attrs = {
        "id": Ref(lid, derived=Sub(physical)),
        "name": Ref(lid, derived=Sub(physical)),
        "arn": GetAtt(lid, "Arn", derived=s_arn),
    }
    read = [statement(READ, [s_arn])]
    write = [statement(WRITE, [s_arn])]
    if spec.key is not None:
        key = key_arn(ctx, spec.key, path + ("key",))
        if key is not None:
            read.append(statement(["kms:Decrypt"], [key]))
            write.append(statement(["kms:GenerateDataKey"], [key]))
    comp.grants = {"read": read, "write": write}
    comp.link_env = {"NAME": Sub(physical), "ARN": s_arn}
    comp.event_source = EventSource(comp.attrs["arn"], read, starting_position="LATEST")
    comp.metrics = dict(STREAM_METRICS)
    comp.alarms = STREAM_ALARMS
    comp.dashboard = Widget("Kinesis", ("incoming_records", "iterator_age"))
    if spec.deliver_to is not None:
        comp.metrics.update(DELIVERY_METRICS)
        # Alarm when delivered data is older than one buffer interval plus 15 minutes.
        comp.alarms = STREAM_ALARMS + (Default(
            "DeliveryFreshnessAlarm", "delivery_freshness", "Maximum", ">=",
            spec.buffer_seconds + 900, "records have waited too long to reach S3"),)
    return comp


def lower(comp: Component, spec: Stream, ctx: Context) -> None:
    """Emit the stream and, with `deliver_to`, its Firehose delivery and catalog."""
    path = comp.path
    props: dict[str, Any] = {
        "Name": comp.physical,
        "RetentionPeriodHours": spec.retention_hours,
    }
    if spec.shards is None:
        props["StreamModeDetails"] = {"StreamMode": "ON_DEMAND"}
    else:
        props["StreamModeDetails"] = {"StreamMode": "PROVISIONED"}
        props["ShardCount"] = spec.shards
    # Encryption at rest with the AWS managed key comes from the security_defaults table.
    key = None
    if spec.key is not None:
        key = key_arn(ctx, spec.key, path + ("key",))
        if key is not None:
            props["StreamEncryption"] = {"EncryptionType": "KMS", "KeyId": key}
    ctx.add(comp, "Stream", "AWS::Kinesis::Stream", props)
    if spec.deliver_to is not None:
        _delivery(comp, spec, key, ctx)


def _bucket(ctx: Context, spec: Stream, path: tuple[Any, ...]) -> Component | None:
    """Find the bucket `deliver_to` names, reporting a clear error otherwise."""
    ref = str(spec.deliver_to)
    if "." not in ref:
        ref = f"storage.{ref}"
    section = ref.split(".", 1)[0]
    target = ctx.component(ref)
    if section != "storage":
        ctx.diags.add("E3002", f"`{ref}` is not a bucket: Firehose delivers to `storage.NAME`",
                      origin=ctx.origin(path), path=path)
        return None
    if target is None or not target.bucket:
        names = [c.name for c in ctx.ir.components.values() if c.section == "storage"]
        ctx.diags.add("E3001", f"`{ref}` is not declared", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(ref.split(".", 1)[1], names)
                      or ("declared buckets: " + ", ".join(sorted(names)) if names
                          else "declare it under `storage:`"))
        return None
    return target


def _delivery(comp: Component, spec: Stream, key: Any, ctx: Context) -> None:
    path = comp.path + ("deliver_to",)
    bucket = _bucket(ctx, spec, path)
    if bucket is None:
        return
    physical = ctx.physical(comp.name, 64)
    bucket_arn = bucket.attrs["arn"]
    objects = Sub(bucket_arn.derived.template + "/*")
    log_group = f"/aws/kinesisfirehose/{physical}"
    logs = ctx.add(comp, "DeliveryLogs", "AWS::Logs::LogGroup",
                   {"LogGroupName": log_group}, path=path)
    ctx.add(comp, "DeliveryLogStream", "AWS::Logs::LogStream",
            {"LogGroupName": Ref(logs.logical_id), "LogStreamName": "DestinationDelivery"},
            path=path)
    s_arn = comp.attrs["arn"].derived
    statements = [
        statement(DELIVERY_READ, [s_arn]),
        statement(["s3:GetBucketLocation", "s3:ListBucket"], [bucket_arn.derived]),
        statement(["s3:AbortMultipartUpload", "s3:PutObject"], [objects]),
        statement(["logs:PutLogEvents"],
                  [arn("logs", f"log-group:{log_group}:log-stream:DestinationDelivery")]),
    ]
    if key is not None:
        statements.append(statement(["kms:Decrypt"], [key]))
    role = ctx.add(comp, "DeliveryRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "firehose.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": Pseudo("AWS::AccountId")}}}]},
    }, path=path)
    # A separate policy the delivery stream depends on, never an inline one: Firehose checks
    # that the role can read the Kinesis stream when the delivery stream is created, and an
    # inline policy created with its role may not have propagated yet (as CDK does it).
    policy = ctx.add(comp, "DeliveryPolicy", "AWS::IAM::Policy", {
        "PolicyName": "delivery", "Roles": [Ref(role.logical_id)],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
    }, path=path)
    role_arn = GetAtt(role.logical_id, "Arn")
    s3: dict[str, Any] = {
        "BucketARN": bucket_arn,
        "RoleARN": role_arn,
        "BufferingHints": {"IntervalInSeconds": spec.buffer_seconds,
                           "SizeInMBs": spec.buffer_mb},
        "CompressionFormat": spec.compression,
        # Athena and S3 tools recognise compressed objects by their extension.
        **({"FileExtension": EXTENSIONS[spec.compression]}
           if spec.compression in EXTENSIONS else {}),
        "Prefix": spec.prefix,
        "ErrorOutputPrefix": spec.error_prefix,
        "CloudWatchLoggingOptions": {"Enabled": True, "LogGroupName": log_group,
                                     "LogStreamName": "DestinationDelivery"},
    }
    delivery = ctx.add(comp, "Delivery", "AWS::KinesisFirehose::DeliveryStream", {
        "DeliveryStreamName": physical,
        "DeliveryStreamType": "KinesisStreamAsSource",
        "KinesisStreamSourceConfiguration": {"KinesisStreamARN": comp.attrs["arn"],
                                             "RoleARN": role_arn},
        "ExtendedS3DestinationConfiguration": s3,
    }, path=path)
    delivery.depends_on += [logs.logical_id, policy.logical_id]
    comp.attrs["delivery_arn"] = GetAtt(delivery.logical_id, "Arn",
                                        derived=arn("firehose", f"deliverystream/{physical}"))
    comp.attrs["delivery_name"] = Ref(delivery.logical_id, derived=Sub(physical))
    if spec.catalog:
        catalog = spec.catalog if isinstance(spec.catalog, Catalog) else Catalog()
        _catalog(comp, spec, catalog, bucket, ctx)


def _catalog(comp: Component, spec: Stream, catalog: Catalog, bucket: Component,
             ctx: Context) -> None:
    """Emit a Glue database, a table with partition projection, and an Athena workgroup."""
    path = comp.path + ("catalog",)
    db_name = catalog.database or ctx.physical(comp.name, 255).replace("-", "_")
    db = ctx.add(comp, "Database", "AWS::Glue::Database", {
        "CatalogId": Pseudo("AWS::AccountId"),
        "DatabaseInput": {"Name": db_name,
                          "Description": f"Records of the {comp.name} stream, delivered to S3."},
    }, path=path)
    comp.attrs["database"] = Ref(db.logical_id, derived=Sub(db_name))
    bucket_name = bucket.physical  # a Sub template: it carries account and region
    if catalog.columns:
        _table(comp, spec, catalog, db, bucket_name, ctx)
    workgroup = ctx.physical(comp.name, 128)
    config: dict[str, Any] = {
        "EnforceWorkGroupConfiguration": True,
        "PublishCloudWatchMetricsEnabled": True,
        "ResultConfiguration": {
            "OutputLocation": Sub(f"s3://{bucket_name}/athena-results/{comp.name}/"),
            "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
        },
        "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
    }
    if catalog.scan_limit_gb:
        config["BytesScannedCutoffPerQuery"] = int(catalog.scan_limit_gb) * 1024 ** 3
    wg = ctx.add(comp, "Workgroup", "AWS::Athena::WorkGroup", {
        "Name": workgroup,
        "Description": f"Queries over the {comp.name} stream's delivered records.",
        "State": "ENABLED",
        "WorkGroupConfiguration": config,
    }, path=path)
    comp.attrs["workgroup"] = Ref(wg.logical_id, derived=Sub(workgroup))


def _table(comp: Component, spec: Stream, catalog: Catalog, db: Any, bucket_name: str,
           ctx: Context) -> None:
    path = comp.path + ("catalog",)
    stamps = TIMESTAMP.findall(spec.prefix)
    head, _, tail = spec.prefix.partition("!{")
    if len(stamps) != 1 or spec.prefix.count("!{") != 1 or tail.split("}", 1)[1] not in ("", "/"):
        ctx.diags.add("E3005", "a catalog table needs a `prefix` with exactly one "
                      "`!{timestamp:FORMAT}` expression, at its end",
                      origin=ctx.origin(comp.path + ("prefix",)), path=comp.path + ("prefix",),
                      hint='use the default `prefix: "data/!{timestamp:yyyy/MM/dd}/"`')
        return
    fmt = stamps[0]
    unit = ("HOURS" if "HH" in fmt else "DAYS" if "dd" in fmt else
            "MONTHS" if "MM" in fmt else "YEARS")
    location = Sub(f"s3://{bucket_name}/{head.replace('${', '${!')}")
    # `${dt}` is Athena's projection placeholder: `${!dt}` keeps it literal in the Fn::Sub.
    prefix = TIMESTAMP.sub("${!dt}", spec.prefix.replace("${", "${!"))
    template = Sub(f"s3://{bucket_name}/{prefix}")
    columns = [{"Name": k, "Type": v} for k, v in catalog.columns.items()]
    ctx.add(comp, "Table", "AWS::Glue::Table", {
        "CatalogId": Pseudo("AWS::AccountId"),
        "DatabaseName": Ref(db.logical_id),
        "TableInput": {
            "Name": catalog.table,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "classification": "json",
                "projection.enabled": "true",
                "projection.dt.type": "date",
                "projection.dt.format": fmt,
                "projection.dt.range": "NOW-5YEARS,NOW",
                "projection.dt.interval": "1",
                "projection.dt.interval.unit": unit,
                "storage.location.template": template,
            },
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": columns,
                "Location": location,
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                              "Parameters": {"ignore.malformed.json": "true"}},
            },
        },
    }, path=path)

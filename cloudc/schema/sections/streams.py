"""streams: Kinesis Data Streams, optionally delivered to S3 by Firehose."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt, Tagged

SECTION = "streams"
ORDER = 100


class Catalog(Model):
    """A Glue database (and table, when columns are given) plus an Athena workgroup."""

    database: str | None = Field(
        None, pattern=r"^[a-z0-9_]{1,255}$",
        description="Glue database name; default `{slug}_{env}_{stream}` with underscores.")
    table: str = Field("events", pattern=r"^[a-z0-9_]{1,255}$", description="Glue table name.")
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Column name -> Hive type (string, bigint, double, boolean, timestamp, ...). "
                    "Without columns only the database and the workgroup are created.")
    format: Literal["json"] = Field("json", description="Record format (JSON lines).")
    scan_limit_gb: PosInt | None = Field(
        None, description="Cancel Athena queries that scan more than this many GB.")


class Stream(Tagged):
    """A Kinesis data stream, encrypted, with an optional Firehose delivery to a bucket."""

    shards: PosInt | None = Field(
        None, description="Provisioned shards; on-demand capacity when omitted.")
    retention_hours: PosInt = Field(24, ge=24, le=8760, description="How long records are kept.")
    key: str | None = Field(
        None, pattern=r"^security\.keys\.[a-z0-9][a-z0-9_-]*$",
        description="A customer managed key, `security.keys.NAME`; default the AWS managed key.")
    deliver_to: str | None = Field(
        None, pattern=r"^([a-z_]+\.)?[a-z0-9][a-z0-9_-]*$",
        description="Deliver records to a bucket with Firehose: `storage.NAME` (or NAME).")
    buffer_seconds: NonNegInt = Field(300, le=900, description="Firehose buffer interval.")
    buffer_mb: PosInt = Field(5, le=128, description="Firehose buffer size in MiB.")
    compression: Literal["GZIP", "UNCOMPRESSED", "ZIP", "Snappy", "HADOOP_SNAPPY"] = Field(
        "GZIP", description="Compression of delivered objects.")
    prefix: str = Field("data/!{timestamp:yyyy/MM/dd}/",
                        description="S3 key prefix; Firehose `!{...}` expressions allowed.")
    error_prefix: str = Field(
        "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
        description="S3 key prefix of records that failed delivery.")
    catalog: Bool | Catalog | None = Field(
        None, description="Make delivered data queryable: Glue database/table and an Athena "
                          "workgroup (needs deliver_to).")


Entry = Stream

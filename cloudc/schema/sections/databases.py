"""databases: DynamoDB tables and RDS/Aurora databases."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt, Tagged

SECTION = "databases"
ORDER = 60

KeyType = Literal["string", "number", "binary"]


class Index(Model):
    """A global secondary index."""

    keys: dict[str, KeyType] = Field(description="Hash key, then optional range key.")
    projection: Literal["all", "keys_only"] = Field(
        "all", description="Attributes copied into the index: all or keys_only.")


class Autoscaling(Model):
    """Provisioned capacity that follows the load: from read/write_capacity up to the maxima."""

    max_read: PosInt = Field(description="Most read capacity units (the least: read_capacity).")
    max_write: PosInt = Field(description="Most write capacity units (the least: "
                              "write_capacity).")
    target: PosInt = Field(70, ge=20, le=90, description="Target utilisation, in percent.")


class Database(Tagged):
    """A database: `engine: dynamodb` for a table, else an RDS or Aurora cluster."""

    engine: Literal["dynamodb", "postgres", "mysql", "aurora-postgres", "aurora-mysql"] = Field(
        description="dynamodb (a table), postgres or mysql (RDS), aurora-postgres or aurora-mysql.")
    # DynamoDB
    keys: dict[str, KeyType] | None = Field(None, description="Hash key, then optional range key.")
    ttl: str | None = Field(None, description="Attribute holding the expiry epoch.")
    billing: Literal["on-demand", "provisioned"] = Field(
        "on-demand", description="DynamoDB capacity: on-demand or provisioned.")
    read_capacity: PosInt | None = Field(
        None, description="DynamoDB provisioned read capacity units.")
    write_capacity: PosInt | None = Field(
        None, description="DynamoDB provisioned write capacity units.")
    indexes: dict[str, Index] = Field(
        default_factory=dict, description="DynamoDB global secondary indexes by name.")
    stream: Literal["new_image", "old_image", "new_and_old_images", "keys_only"] | None = Field(
        None, description="DynamoDB stream view type (for `events: [{stream: ...}]`).")
    point_in_time_recovery: Bool | None = Field(
        None, description="DynamoDB point-in-time recovery (default: production).")
    autoscaling: Autoscaling | None = Field(None, description=(
        "Application Auto Scaling of a provisioned table's (and its indexes') capacity."))
    replica_regions: list[str] = Field(default_factory=list, description=(
        "Other regions holding a replica: the table becomes an AWS::DynamoDB::GlobalTable."))
    # RDS / Aurora
    version: str | None = Field(None, description="Engine version (default: the current major).")
    instance: str | None = Field(None, pattern=r"^db\.", description="RDS instance class.",
                                 json_schema_extra={"x-list": "rds_instance_classes"})
    storage_gb: PosInt | None = Field(
        None, ge=20, le=65536, description="Allocated storage (RDS).")
    max_storage_gb: PosInt | None = Field(
        None, description="Storage autoscaling ceiling (RDS); more than storage_gb.")
    backup_days: NonNegInt | None = Field(
        None, le=35, description="Automated backup retention; 0 turns backups off.")
    multi_az: Bool | None = Field(
        None, description="A standby in a second zone (default: production).")
    replicas: NonNegInt = Field(
        0, le=15, description="Read replicas (RDS) or reader instances (Aurora).")
    database_name: str | None = Field(
        None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$",
        description="Name of the database created inside the instance.")
    username: str = Field(
        "app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$",
        description="Master user name; the password is generated into Secrets Manager.")
    parameters: dict[str, str] = Field(
        default_factory=dict, description="Engine parameters (a parameter group).")
    publicly_accessible: Bool = Field(False, description="Reachable from the internet (warns).")
    deletion_protection: Bool | None = Field(
        None, description="Refuse deletes (default: production).")
    iam_auth: Bool = Field(True, description="IAM database authentication.")
    serverless: Bool = Field(False, description="Aurora Serverless v2.")
    min_capacity: float | None = Field(
        None, description="Aurora Serverless v2 minimum ACUs (default 0.5).")
    max_capacity: float | None = Field(
        None, description="Aurora Serverless v2 maximum ACUs (default 4).")
    proxy: Bool = Field(False, description=(
        "An RDS Proxy in front of the database: linked compute connects to it (HOST)."))

    @model_validator(mode="after")
    def _engine_fields(self) -> Database:
        if self.engine == "dynamodb":
            if not self.keys:
                raise ValueError("a dynamodb table needs `keys` (hash key, then range key)")
            if len(self.keys) > 2:
                raise ValueError("`keys` takes a hash key and at most one range key")
        elif self.keys is not None:
            raise ValueError(f"`keys` applies to dynamodb, not {self.engine}")
        return self


Entry = Database

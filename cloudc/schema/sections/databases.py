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
    projection: Literal["all", "keys_only"] = "all"


class Autoscaling(Model):
    """Provisioned capacity that follows the load: from read/write_capacity up to the maxima."""

    max_read: PosInt = Field(description="Most read capacity units (the least: read_capacity).")
    max_write: PosInt = Field(description="Most write capacity units (the least: "
                              "write_capacity).")
    target: PosInt = Field(70, ge=20, le=90, description="Target utilisation, in percent.")


class Database(Tagged):
    """A database: `engine: dynamodb` for a table, else an RDS or Aurora cluster."""

    engine: Literal["dynamodb", "postgres", "mysql", "aurora-postgres", "aurora-mysql"]
    # DynamoDB
    keys: dict[str, KeyType] | None = Field(None, description="Hash key, then optional range key.")
    ttl: str | None = Field(None, description="Attribute holding the expiry epoch.")
    billing: Literal["on-demand", "provisioned"] = "on-demand"
    read_capacity: PosInt | None = None
    write_capacity: PosInt | None = None
    indexes: dict[str, Index] = Field(default_factory=dict)
    stream: Literal["new_image", "old_image", "new_and_old_images", "keys_only"] | None = None
    point_in_time_recovery: Bool | None = None
    autoscaling: Autoscaling | None = Field(None, description=(
        "Application Auto Scaling of a provisioned table's (and its indexes') capacity."))
    replica_regions: list[str] = Field(default_factory=list, description=(
        "Other regions holding a replica: the table becomes an AWS::DynamoDB::GlobalTable."))
    # RDS / Aurora
    version: str | None = None
    instance: str | None = Field(None, pattern=r"^db\.")
    storage_gb: PosInt | None = Field(None, ge=20, le=65536)
    max_storage_gb: PosInt | None = None
    backup_days: NonNegInt | None = Field(None, le=35)
    multi_az: Bool | None = None
    replicas: NonNegInt = Field(0, le=15)
    database_name: str | None = Field(None, pattern=r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
    username: str = Field("app", pattern=r"^[A-Za-z][A-Za-z0-9_]{0,15}$")
    parameters: dict[str, str] = Field(default_factory=dict)
    publicly_accessible: Bool = False
    deletion_protection: Bool | None = None
    iam_auth: Bool = True
    serverless: Bool = Field(False, description="Aurora Serverless v2.")
    min_capacity: float | None = None
    max_capacity: float | None = None
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

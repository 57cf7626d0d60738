"""caches: ElastiCache Redis, Valkey or Memcached in the VPC's isolated subnets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, NonNegInt, PosInt, Tagged

SECTION = "caches"
ORDER = 62


class Cache(Tagged):
    """An in-memory cache: encrypted in transit and at rest, reachable from linked compute only."""

    engine: Literal["redis", "valkey", "memcached"] = Field(
        "redis", description="redis, valkey or memcached.")
    node: str = Field("cache.t4g.micro", pattern=r"^cache\.", description="Node type.",
                      json_schema_extra={"x-list": "elasticache_node_types"})
    version: str | None = Field(
        None, description="Engine version (redis 7.1, valkey 8.0, memcached 1.6.22 by default)."
    )
    replicas: NonNegInt = Field(
        0, le=5, description="Redis/Valkey read replicas (per shard in cluster mode); more "
        "than 0 turns on automatic failover and Multi-AZ.",
    )
    cluster_mode: Bool | None = Field(
        None, description="Redis/Valkey cluster mode: keys spread over `shards`, clients use "
        "the configuration endpoint (on when `shards` is set).",
    )
    shards: PosInt | None = Field(
        None, le=500, description="Redis/Valkey cluster mode shards (node groups); 1 when "
        "`cluster_mode: true` leaves it unset.",
    )
    nodes: PosInt = Field(1, le=40, description="Memcached nodes.")
    auth: Bool = Field(
        False, description="Redis/Valkey AUTH token, generated into Secrets Manager and "
        "given to linked compute as a secret.",
    )
    snapshot_days: NonNegInt | None = Field(
        None, le=35, description="Redis/Valkey daily snapshot retention (7 in production, else 0)."
    )
    encryption_in_transit: Bool = Field(True, description="TLS between clients and the cache.")

    @property
    def clustered(self) -> bool:
        """Say whether the cache runs in cluster mode (`cluster_mode: true` or `shards`)."""
        if self.cluster_mode is not None:
            return bool(self.cluster_mode)
        return self.shards is not None

    @model_validator(mode="after")
    def _engine_fields(self) -> Cache:
        if self.engine == "memcached" and self.replicas:
            raise ValueError("memcached has no replicas; use `nodes`")
        if self.engine != "memcached" and self.nodes != 1:
            raise ValueError(f"`nodes` applies to memcached; {self.engine} takes `replicas`")
        if self.engine == "memcached" and self.auth:
            raise ValueError("memcached has no AUTH token")
        return self


Entry = Cache

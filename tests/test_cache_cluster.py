"""ElastiCache cluster mode: node groups, the cluster.on parameter group, the configuration
endpoint for linked compute."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import all_resources, build

from cloudc.lower.caches import parameter_family


@pytest.mark.parametrize(("engine", "version", "family"), [
    ("redis", "7.1", "redis7"), ("redis", "6.2", "redis6.x"), ("redis", "5.0.6", "redis5.0"),
    ("valkey", "8.0", "valkey8"), ("valkey", "7.2", "valkey7"),
])
def test_parameter_family(engine: str, version: str, family: str) -> None:
    assert parameter_family(engine, version) == family


def test_cluster_mode_uses_node_groups_and_the_configuration_endpoint(tmp_path: Path) -> None:
    b = build(tmp_path, "caches:\n  c: { engine: valkey, shards: 2, replicas: 1 }\n"
                        "  p: { engine: redis, replicas: 1 }\n"
                        "functions:\n  f: { code: ./fn, link: [caches.c] }\n")
    assert not b.diagnostics.has_errors, [d.text() for d in b.diagnostics.sorted()]
    res = all_resources(b)
    props = res["CachesCReplicationGroup"]["Properties"]
    assert "NumCacheClusters" not in props
    assert (props["ClusterMode"], props["NumNodeGroups"], props["ReplicasPerNodeGroup"]) == (
        "enabled", 2, 1)
    assert props["CacheParameterGroupName"] == "default.valkey8.cluster.on"
    assert props["AutomaticFailoverEnabled"] is True and props["MultiAZEnabled"] is True
    assert props["TransitEncryptionEnabled"] is True
    plain = res["CachesPReplicationGroup"]["Properties"]  # cluster mode off is unchanged
    assert plain["NumCacheClusters"] == 2 and "ClusterMode" not in plain
    env = res["FunctionsFFunction"]["Properties"]["Environment"]["Variables"]
    assert env["CACHES_C_CLUSTER_MODE"] == "true"
    text = str(env["CACHES_C_HOST"]) + str(env["CACHES_C_PORT"])
    assert "ConfigurationEndPoint" in text and "PrimaryEndPoint" not in text


def test_one_shard_without_replicas_keeps_failover_and_drops_multi_az(tmp_path: Path) -> None:
    b = build(tmp_path, "caches:\n  c: { engine: redis, cluster_mode: true }\n")
    assert not b.diagnostics.has_errors
    props = all_resources(b)["CachesCReplicationGroup"]["Properties"]
    assert props["NumNodeGroups"] == 1 and props["ReplicasPerNodeGroup"] == 0
    assert props["AutomaticFailoverEnabled"] is True and props["MultiAZEnabled"] is False
    assert props["CacheParameterGroupName"] == "default.redis7.cluster.on"

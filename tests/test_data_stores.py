"""RDS/Aurora (`_rds`), caches and file systems: secure defaults, links, functions in the VPC."""

from __future__ import annotations

from pathlib import Path

from helpers import all_resources as _resources
from helpers import build as _build
from helpers import error_lines as _errors

from cloudc.lower._rds import family


def test_function_linked_to_redis_joins_the_vpc(tmp_path: Path) -> None:
    b = _build(tmp_path, """
caches: { cache: { engine: redis, replicas: 1 } }
functions: { api: { code: ./fn, link: [caches.cache] } }
""")
    assert not _errors(b)
    res = _resources(b)
    fn = res["FunctionsApiFunction"]["Properties"]
    assert fn["VpcConfig"]["SubnetIds"] == [{"Ref": "NetworkPrivateSubnet1"},
                                            {"Ref": "NetworkPrivateSubnet2"}]
    env = fn["Environment"]["Variables"]
    assert {"CACHES_CACHE_HOST", "CACHES_CACHE_PORT", "CACHES_CACHE_URL"} <= set(env)
    managed = res["FunctionsApiRole"]["Properties"]["ManagedPolicyArns"]
    assert any("AWSLambdaVPCAccessExecutionRole" in m["Fn::Sub"] for m in managed)
    rg = res["CachesCacheReplicationGroup"]
    p = rg["Properties"]
    assert p["TransitEncryptionEnabled"] and p["AtRestEncryptionEnabled"]
    assert p["AutomaticFailoverEnabled"] and p["MultiAZEnabled"] and p["NumCacheClusters"] == 2
    assert rg["DeletionPolicy"] == "Snapshot"
    rule = res["CachesCacheIngressFromFunctionsApi"]["Properties"]
    assert rule["SourceSecurityGroupId"] == {"Fn::GetAtt": ["FunctionsApiSecurityGroup",
                                                            "GroupId"]}


def test_function_without_vpc_links_stays_out(tmp_path: Path) -> None:
    b = _build(tmp_path, "functions: { api: { code: ./fn } }\n")
    assert "VpcConfig" not in _resources(b)["FunctionsApiFunction"]["Properties"]


def test_memcached_cluster(tmp_path: Path) -> None:
    b = _build(tmp_path, "caches: { m: { engine: memcached, nodes: 3 } }\n")
    assert not _errors(b)
    p = _resources(b)["CachesMCluster"]["Properties"]
    assert p["NumCacheNodes"] == 3 and p["AZMode"] == "cross-az"


def test_memcached_rejects_replicas(tmp_path: Path) -> None:
    b = _build(tmp_path, "caches: { m: { engine: memcached, replicas: 1 } }\n")
    assert any("E2005" in e for e in _errors(b))


def test_postgres_production_defaults(tmp_path: Path) -> None:
    b = _build(tmp_path, "databases: { main: { engine: postgres, replicas: 1 } }\n")
    assert not _errors(b)
    res = _resources(b)
    inst = res["DatabasesMainInstance"]
    p = inst["Properties"]
    assert inst["DeletionPolicy"] == "Snapshot" and p["DeletionProtection"] is True
    assert p["StorageEncrypted"] and p["ManageMasterUserPassword"] and not p["PubliclyAccessible"]
    assert p["EnableIAMDatabaseAuthentication"] and "MasterUserPassword" not in p
    assert "MonitoringInterval" not in p
    assert res["DatabasesMainParameterGroup"]["Properties"]["Parameters"]["rds.force_ssl"] == "1"
    replica = res["DatabasesMainReplica1"]["Properties"]
    assert "StorageEncrypted" not in replica  # inherited from the source
    subnets = res["DatabasesMainSubnetGroup"]["Properties"]["SubnetIds"]
    assert subnets[0] == {"Ref": "NetworkIsolatedSubnet1"}


def test_staging_has_no_deletion_protection(tmp_path: Path) -> None:
    b = _build(tmp_path, "databases: { main: { engine: mysql } }\n", env="staging")
    p = _resources(b)["DatabasesMainInstance"]["Properties"]
    assert p["DeletionProtection"] is False and p["BackupRetentionPeriod"] == 1


def test_aurora_serverless(tmp_path: Path) -> None:
    b = _build(tmp_path, "databases: { r: { engine: aurora-postgres, serverless: true } }\n")
    assert not _errors(b)
    res = _resources(b)
    cluster = res["DatabasesRCluster"]["Properties"]
    assert cluster["ServerlessV2ScalingConfiguration"] == {"MinCapacity": 0.5, "MaxCapacity": 4}
    writer = res["DatabasesRWriter"]["Properties"]
    assert writer["DBInstanceClass"] == "db.serverless" and "StorageEncrypted" not in writer


def test_database_link_grants_connect_and_secret(tmp_path: Path) -> None:
    b = _build(tmp_path, """
databases: { main: { engine: postgres } }
functions: { api: { code: ./fn, link: [databases.main] } }
""")
    res = _resources(b)
    policy = res["FunctionsApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    actions = {a for st in policy["Statement"] for a in st["Action"]}
    assert {"rds-db:connect", "secretsmanager:GetSecretValue"} <= actions
    env = res["FunctionsApiFunction"]["Properties"]["Environment"]["Variables"]
    assert "DATABASES_MAIN_PASSWORD" not in env and "DATABASES_MAIN_SECRET_ARN" in env


def test_family() -> None:
    assert family("postgres", "16.9") == "postgres16"
    assert family("aurora-mysql", "8.0.mysql_aurora.3.08.2") == "aurora-mysql8.0"


def test_efs_defaults_and_grants(tmp_path: Path) -> None:
    b = _build(tmp_path, """
file_systems: { shared: { access_points: { app: { path: /app, uid: 1001, gid: 1001 } } } }
functions: { api: { code: ./fn, link: [file_systems.shared] } }
""")
    assert not _errors(b)
    res = _resources(b)
    fs = res["FileSystemsSharedFileSystem"]
    assert fs["Properties"]["Encrypted"] and fs["DeletionPolicy"] == "RetainExceptOnCreate"
    assert fs["Properties"]["BackupPolicy"] == {"Status": "ENABLED"}
    assert {"FileSystemsSharedMountTarget1", "FileSystemsSharedMountTarget2"} <= set(res)
    ap = res["FileSystemsSharedAccessPointApp"]["Properties"]
    assert ap["PosixUser"] == {"Uid": "1001", "Gid": "1001"}
    fn = res["FunctionsApiFunction"]
    assert fn["Properties"]["FileSystemConfigs"][0]["LocalMountPath"] == "/mnt/shared"
    policy = res["FunctionsApiRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    mount = [st for st in policy["Statement"] if "elasticfilesystem:ClientMount" in st["Action"]]
    assert mount and "elasticfilesystem:AccessPointArn" in mount[0]["Condition"]["StringEquals"]


def test_function_mount_needs_access_point(tmp_path: Path) -> None:
    b = _build(tmp_path, """
file_systems: { shared: {} }
functions: { api: { code: ./fn, link: [file_systems.shared] } }
""")
    assert any("E3005" in e and "access point" in e for e in _errors(b))


def test_function_with_vpc_false_cannot_reach_a_cache(tmp_path: Path) -> None:
    b = _build(tmp_path, """
caches: { cache: { engine: redis } }
functions: { api: { code: ./fn, vpc: false, link: [caches.cache] } }
""")
    assert any("E3005" in e and "functions.api.vpc" in e for e in _errors(b))


def test_efs_max_io_needs_bursting(tmp_path: Path) -> None:
    b = _build(tmp_path, "file_systems: { big: { performance: maxIO } }\n")
    assert any("E3005" in e and "performance" in e for e in _errors(b))

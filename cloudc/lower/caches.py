"""Lower `caches` entries to ElastiCache in the VPC's isolated subnets.

Redis and Valkey become a replication group (cluster mode off: one primary and `replicas`
readers, with automatic failover and Multi-AZ as soon as there is a replica; cluster mode on:
`shards` node groups of one primary and `replicas` readers each, on the engine version's
default `cluster.on` parameter group, reached through the configuration endpoint), encrypted
in transit and at rest. Memcached becomes a cache cluster of `nodes` nodes. Linked compute gets
HOST, PORT (and URL for Redis/Valkey, AUTH_TOKEN as a secret when `auth` is on) and a security
group rule from its own security group alone.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower._vpc import closed_security_group, require_vpc, vpc_of
from cloudc.schema.sections.caches import Cache

SECTION = "caches"
VERSIONS = {"redis": "7.1", "valkey": "8.0", "memcached": "1.6.22"}
PORTS = {"redis": 6379, "valkey": 6379, "memcached": 11211}


def declare(name: str, spec: Cache, ctx: Context) -> Component:
    """Declare a cache: its endpoint attributes, ingress port and what a link injects."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "cache", path, ctx.origin(path))
    port = PORTS[spec.engine]
    sg = ctx.logical(comp, "SecurityGroup")
    memcached = spec.engine == "memcached"
    main = ctx.logical(comp, "Cluster" if memcached else "ReplicationGroup")
    comp.primary = main
    clustered = not memcached and spec.clustered
    if memcached:
        host = GetAtt(main, "ConfigurationEndpoint.Address")
    elif clustered:  # cluster-mode clients discover the shards from the configuration endpoint
        host = GetAtt(main, "ConfigurationEndPoint.Address")
    else:
        host = GetAtt(main, "PrimaryEndPoint.Address")
    comp.attrs = {"id": Ref(main), "host": host, "endpoint": host, "port": str(port),
                  "security_group": GetAtt(sg, "GroupId")}
    comp.link_env = {"HOST": host, "PORT": str(port)}
    if clustered:
        comp.link_env["PORT"] = GetAtt(main, "ConfigurationEndPoint.Port")
        comp.link_env["CLUSTER_MODE"] = "true"
    tls = bool(spec.encryption_in_transit)
    if not memcached:
        scheme = "rediss" if tls else "redis"
        url = Sub(f"{scheme}://${{host}}:{port}", (("host", host),))
        comp.attrs["url"] = url
        if not clustered:  # a cluster-mode group has no reader endpoint (each shard has one)
            comp.attrs["reader_host"] = GetAtt(main, "ReaderEndPoint.Address")
        comp.link_env["URL"] = url
    comp.link_env["TLS"] = "true" if tls else "false"
    if spec.auth:
        secret = ctx.logical(comp, "AuthToken")
        comp.attrs["auth_secret_arn"] = Ref(secret)
        comp.link_env["AUTH_SECRET_ARN"] = Ref(secret)
        comp.link_secrets = {}
        comp.grants = {level: [statement(["secretsmanager:GetSecretValue"], [Ref(secret)])]
                       for level in ("read", "write")}
        token = Sub("${arn}:token::", (("arn", Ref(secret)),))
        comp.container_secrets = {"AUTH_TOKEN": token}  # containers inject the token
    comp.ingress = (sg, port)
    return comp


def lower(comp: Component, spec: Cache, ctx: Context) -> None:
    """Emit the subnet group, security group and the replication group or cache cluster."""
    path = comp.path
    net = require_vpc(ctx, path)
    what = ctx.physical(comp.name, 200)
    subnet_group = ctx.add(comp, "SubnetGroup", "AWS::ElastiCache::SubnetGroup", {
        "Description": f"{what} (isolated subnets)",
        "SubnetIds": vpc_of(net).isolated_subnets,
    })
    sg = closed_security_group(comp, ctx, net, f"{what} cache; linked compute only")
    version = spec.version or VERSIONS[spec.engine]
    tls = bool(spec.encryption_in_transit)
    if not tls:
        ctx.warn("W1001", "cache traffic is not encrypted in transit",
                 path + ("encryption_in_transit",))
    sgs = [GetAtt(sg.logical_id, "GroupId")]
    if spec.engine == "memcached":
        ctx.add(comp, "Cluster", "AWS::ElastiCache::CacheCluster", {
            "Engine": "memcached",
            "EngineVersion": version,
            "CacheNodeType": spec.node,
            "NumCacheNodes": int(spec.nodes),
            "AZMode": "cross-az" if spec.nodes > 1 else "single-az",
            "CacheSubnetGroupName": Ref(subnet_group.logical_id),
            "VpcSecurityGroupIds": sgs,
            "TransitEncryptionEnabled": tls,
            "AutoMinorVersionUpgrade": True,
            "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
        })
        return
    replicas = int(spec.replicas)
    failover = replicas > 0
    clustered = spec.clustered
    snapshots = spec.snapshot_days if spec.snapshot_days is not None else (
        7 if ctx.production else 0)
    props: dict[str, Any] = {
        "ReplicationGroupDescription": what,
        "Engine": spec.engine,
        "EngineVersion": version,
        "CacheNodeType": spec.node,
        "NumCacheClusters": 1 + replicas,
        "AutomaticFailoverEnabled": failover,
        "MultiAZEnabled": failover,
        "CacheSubnetGroupName": Ref(subnet_group.logical_id),
        "SecurityGroupIds": sgs,
        "Port": PORTS[spec.engine],
        "AtRestEncryptionEnabled": True,
        "TransitEncryptionEnabled": tls,
        "AutoMinorVersionUpgrade": True,
        "SnapshotRetentionLimit": snapshots,
        "PreferredMaintenanceWindow": "sun:05:00-sun:06:00",
    }
    if clustered:
        _cluster_mode(props, spec, version)
    if snapshots:
        props["SnapshotWindow"] = "03:00-04:00"
    if spec.auth:
        secret = ctx.add(comp, "AuthToken", "AWS::SecretsManager::Secret", {
            "Description": f"{what} AUTH token",
            "GenerateSecretString": {
                "SecretStringTemplate": "{}", "GenerateStringKey": "token",
                "PasswordLength": 64, "ExcludePunctuation": True,
            },
        }, path=path + ("auth",))
        props["AuthToken"] = Sub("{{resolve:secretsmanager:${arn}:SecretString:token}}",
                                 (("arn", Ref(secret.logical_id)),))
    # Snapshots are only possible (and only worth keeping) with persistence of data.
    ctx.add(comp, "ReplicationGroup", "AWS::ElastiCache::ReplicationGroup", props,
            stateful=bool(snapshots))


def _cluster_mode(props: dict[str, Any], spec: Cache, version: str) -> None:
    """Turn the replication group's properties into cluster mode: node groups instead of a
    cluster count, the version's `cluster.on` parameter group, failover always on.

    Cluster mode needs automatic failover; Multi-AZ needs a replica in each shard:
    https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/AutoFailover.html
    """
    replicas = int(spec.replicas)
    del props["NumCacheClusters"]
    props.update({
        "ClusterMode": "enabled",
        "NumNodeGroups": int(spec.shards or 1),
        "ReplicasPerNodeGroup": replicas,
        "CacheParameterGroupName": f"default.{parameter_family(spec.engine, version)}.cluster.on",
        "AutomaticFailoverEnabled": True,
        "MultiAZEnabled": replicas > 0,
    })


def parameter_family(engine: str, version: str) -> str:
    """Return the parameter group family of a Redis/Valkey version (redis7, redis6.x,
    redis5.0, valkey8): the default groups are `default.<family>` and `.cluster.on`."""
    major, _, rest = version.partition(".")
    if engine == "valkey":
        return f"valkey{major}"
    if major == "6":
        return "redis6.x"
    if major.isdigit() and int(major) >= 7:
        return f"redis{major}"
    return f"redis{major}.{rest.split('.')[0] or '0'}"

"""RDS and Aurora databases (`databases` entries whose engine is not dynamodb).

`cloudc/lower/databases.py` dispatches here: `declare(name, spec, ctx)` and
`lower(comp, spec, ctx)`. A database lives in the VPC's isolated subnets behind its own
security group, which links open to each consumer's security group alone. The master password
is managed by RDS in Secrets Manager (never seen by cloudc); linked compute gets HOST, PORT,
NAME, USER and SECRET_ARN, containers also PASSWORD as an ECS secret, and every link grants
`rds-db:connect` for IAM authentication as the master user.
"""

from __future__ import annotations

import re
from typing import Any

from cloudc.capabilities import Default, Dims, Metric, Widget
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, statement
from cloudc.lower import _rds_proxy as proxy
from cloudc.lower._vpc import closed_security_group, require_vpc, vpc_of
from cloudc.schema.sections.databases import Database

ENGINES = {
    # engine: (CloudFormation Engine, default version, port, log exports, TLS-only parameter)
    "postgres": ("postgres", "16.9", 5432, ["postgresql", "upgrade"], ("rds.force_ssl", "1")),
    "mysql": ("mysql", "8.4.5", 3306, ["error", "slowquery"], ("require_secure_transport", "1")),
    "aurora-postgres": ("aurora-postgresql", "16.9", 5432, ["postgresql"],
                        ("rds.force_ssl", "1")),
    "aurora-mysql": ("aurora-mysql", "8.0.mysql_aurora.3.08.2", 3306, ["error", "slowquery"],
                     ("require_secure_transport", "ON")),
}
DEFAULT_INSTANCE = "db.t4g.micro"


def family(engine: str, version: str) -> str:
    """Return the parameter group family of an engine version.

    >>> family("postgres", "16.4"), family("mysql", "8.0.39")
    ('postgres16', 'mysql8.0')
    >>> family("aurora-mysql", "8.0.mysql_aurora.3.08.0")
    'aurora-mysql8.0'
    >>> family("aurora-postgres", "15.7"), family("postgres", "9.6.24")
    ('aurora-postgresql15', 'postgres9.6')
    """
    cfn = ENGINES[engine][0]
    parts = version.split(".")
    if cfn.endswith("postgres") or cfn.endswith("postgresql"):
        major = parts[0] if int(parts[0]) >= 10 else ".".join(parts[:2])
    else:
        major = ".".join(parts[:2])
    return f"{cfn}{major}"


def _rds(instance_only: bool) -> Dims:
    def dims(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
        main = ctx.ir.resources.get(c.primary)
        aurora = main is not None and main.type == "AWS::RDS::DBCluster"
        if main is None or (instance_only and aurora):
            return None
        key = "DBClusterIdentifier" if aurora else "DBInstanceIdentifier"
        return [(key, Ref(main.logical_id))]
    return dims


# What `monitoring` can watch on an RDS instance or Aurora cluster.
METRICS = {
    "cpu": Metric("AWS/RDS", "CPUUtilization", _rds(False), stat="Average"),
    "connections": Metric("AWS/RDS", "DatabaseConnections", _rds(False), stat="Average"),
    "freeable_memory": Metric("AWS/RDS", "FreeableMemory", _rds(False)),
    "free_storage": Metric("AWS/RDS", "FreeStorageSpace", _rds(True), stat="Minimum",
                           missing="Aurora storage grows by itself"),
    "read_latency": Metric("AWS/RDS", "ReadLatency", _rds(False)),
    "write_latency": Metric("AWS/RDS", "WriteLatency", _rds(False)),
}
ALARMS = (
    Default("CpuAlarm", "cpu", "Average", ">=", 80, "CPU at 80% or more for 15 minutes", 3),
    Default("StorageAlarm", "free_storage", "Minimum", "<", 2 * 1024**3,
            "less than 2 GiB of storage left"),
)
DASHBOARD = Widget("RDS", ("cpu", "connections", "free_storage"))


def declare(name: str, spec: Database, ctx: Context) -> Component:
    """Declare a database: endpoint attributes, what a link grants, and its ingress port."""
    path = ("databases", name)
    comp = Component("databases", name, "database", path, ctx.origin(path))
    engine, _, port, _, _ = ENGINES[spec.engine]
    aurora = spec.engine.startswith("aurora")
    main = ctx.logical(comp, "Cluster" if aurora else "Instance")
    sg = ctx.logical(comp, "SecurityGroup")
    db_name = spec.database_name or _db_name(name)
    comp.primary = main
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    endpoint = GetAtt(main, "Endpoint.Address")
    secret_arn = GetAtt(main, "MasterUserSecret.SecretArn")
    resource_id = GetAtt(main, "DBClusterResourceId" if aurora else "DbiResourceId")
    comp.attrs = {
        "id": Ref(main),
        "endpoint": endpoint,
        "host": endpoint,
        "port": str(port),
        "name": db_name,
        "user": spec.username,
        "secret_arn": secret_arn,
        "security_group": GetAtt(sg, "GroupId"),
        "arn": GetAtt(main, "DBClusterArn" if aurora else "DBInstanceArn"),
    }
    if aurora:
        comp.attrs["reader_endpoint"] = GetAtt(main, "ReadEndpoint.Address")
    connect = Sub("arn:${AWS::Partition}:rds-db:${AWS::Region}:${AWS::AccountId}:dbuser:"
                  f"${{rid}}/{spec.username}", (("rid", resource_id),))
    grants = [statement(["secretsmanager:GetSecretValue"], [secret_arn])]
    if spec.iam_auth:
        grants.append(statement(["rds-db:connect"], [connect]))
    comp.grants = {"read": grants, "write": grants}
    comp.link_env = {"HOST": endpoint, "PORT": str(port), "NAME": db_name,
                     "USER": spec.username, "SECRET_ARN": secret_arn}
    password = Sub("${arn}:password::", (("arn", secret_arn),))
    comp.ingress = (sg, port)
    # Containers inject the password itself (from the managed secret); functions read it.
    comp.container_secrets = {"PASSWORD": password}
    proxy.declare(comp, spec, port, ctx)  # with `proxy: true`, consumers reach the proxy
    return comp


def _db_name(name: str) -> str:
    """Turn an entry name into a database name: letters, digits and `_`, starting with a letter.

    >>> _db_name("main-db"), _db_name("2nd")
    ('main_db', 'db_2nd')
    """
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return out if out[:1].isalpha() else f"db_{out}"[:63]


def lower(comp: Component, spec: Database, ctx: Context) -> None:
    """Emit the subnet group, parameter group, security group and the instance or cluster."""
    path = comp.path
    net = require_vpc(ctx, path)
    engine, default_version, port, logs, tls = ENGINES[spec.engine]
    version = spec.version or default_version
    aurora = spec.engine.startswith("aurora")
    what = ctx.physical(comp.name, 200)
    if not re.fullmatch(r"\d+(\.\d+)*(\.[a-z_]+\.\d+(\.\d+)*)?", version):
        ctx.diags.add("E2005", f"`{version}` is not an engine version (like "
                      f"{default_version})", origin=ctx.origin(path + ("version",)),
                      path=path + ("version",))
        return
    public = bool(spec.publicly_accessible)
    if public:
        ctx.warn("W1001", "database reachable from the internet (publicly_accessible)",
                 path + ("publicly_accessible",))
    subnets = vpc_of(net).subnets("public" if public else "isolated")
    ctx.add(comp, "SubnetGroup", "AWS::RDS::DBSubnetGroup", {
        "DBSubnetGroupDescription": f"{what} ({'public' if public else 'isolated'} subnets)",
        "SubnetIds": subnets,
    })
    closed_security_group(comp, ctx, net, f"{what} database; linked compute only")
    params = {tls[0]: tls[1], **{k: str(v) for k, v in spec.parameters.items()}}
    fam = family(spec.engine, version)
    production = ctx.production
    protect = spec.deletion_protection if spec.deletion_protection is not None else production
    if production and spec.deletion_protection is False:
        ctx.warn("W1001", "deletion protection turned off in production",
                 path + ("deletion_protection",))
    backup_days = spec.backup_days if spec.backup_days is not None else (7 if production else 1)
    if production and spec.backup_days == 0:
        ctx.warn("W1001", "automated backups turned off in production", path + ("backup_days",))
    common: dict[str, Any] = {
        "Engine": engine,
        "EngineVersion": version,
        "MasterUsername": spec.username,
        "ManageMasterUserPassword": True,
        "DBSubnetGroupName": Ref(ctx.logical(comp, "SubnetGroup")),
        "Port": port,
        "BackupRetentionPeriod": backup_days,
        "StorageEncrypted": True,
        "DeletionProtection": bool(protect),
        "EnableIAMDatabaseAuthentication": bool(spec.iam_auth),
        "EnableCloudwatchLogsExports": logs,
        "CopyTagsToSnapshot": True,
        "PreferredBackupWindow": "03:00-04:00",
        "PreferredMaintenanceWindow": "sun:04:30-sun:05:30",
    }
    if aurora:
        _aurora(comp, spec, ctx, common, params, fam, public)
    else:
        _instance(comp, spec, ctx, common, params, fam, public)
    proxy.lower(comp, spec, port, vpc_of(net).subnets("isolated"), ctx, net.attrs["vpc_id"])


def _security_groups(comp: Component, ctx: Context) -> list[Any]:
    return [GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId")]


def _insights(instance: str) -> bool:
    """Say whether Performance Insights is offered for an instance class (not micro/small)."""
    return not instance.endswith((".micro", ".small"))


def _instance(comp: Component, spec: Database, ctx: Context, common: dict[str, Any],
              params: dict[str, str], fam: str, public: bool) -> None:
    path = comp.path
    what = ctx.physical(comp.name, 200)
    pg = ctx.add(comp, "ParameterGroup", "AWS::RDS::DBParameterGroup", {
        "Description": f"{what} ({fam})", "Family": fam, "Parameters": params,
    }, path=path + ("parameters",) if spec.parameters else path)
    instance = spec.instance or DEFAULT_INSTANCE
    storage = spec.storage_gb or 20
    props: dict[str, Any] = {
        "DBInstanceClass": instance,
        "DBName": comp.attrs["name"],
        **common,
        "DBParameterGroupName": Ref(pg.logical_id),
        "VPCSecurityGroups": _security_groups(comp, ctx),
        "AllocatedStorage": str(storage),
        "StorageType": "gp3",
        "MultiAZ": bool(spec.multi_az),
        "PubliclyAccessible": public,
        "AutoMinorVersionUpgrade": True,
    }
    if spec.max_storage_gb is not None:
        if spec.max_storage_gb <= storage:
            ctx.diags.add("E3005", f"max_storage_gb ({spec.max_storage_gb}) must be more than "
                          f"storage_gb ({storage})", origin=ctx.origin(path + ("max_storage_gb",)),
                          path=path + ("max_storage_gb",))
        props["MaxAllocatedStorage"] = spec.max_storage_gb
    if _insights(instance):
        props["EnablePerformanceInsights"] = True
        props["PerformanceInsightsRetentionPeriod"] = 7
    main = ctx.add(comp, "Instance", "AWS::RDS::DBInstance", props, stateful=True)
    for i in range(int(spec.replicas)):
        replica: dict[str, Any] = {
            "SourceDBInstanceIdentifier": Ref(main.logical_id),
            "DBInstanceClass": instance,
            "DBParameterGroupName": Ref(pg.logical_id),
            "VPCSecurityGroups": _security_groups(comp, ctx),
            "PubliclyAccessible": public,
            "AutoMinorVersionUpgrade": True,
            "CopyTagsToSnapshot": True,
        }
        if _insights(instance):
            replica["EnablePerformanceInsights"] = True
            replica["PerformanceInsightsRetentionPeriod"] = 7
        r = ctx.add(comp, f"Replica{i + 1}", "AWS::RDS::DBInstance", replica,
                    path=path + ("replicas",))
        # A read replica has no final snapshot: its data lives in the primary.
        r.deletion_policy = r.update_replace_policy = "Delete"
    if spec.replicas:
        comp.attrs["reader_endpoint"] = GetAtt(ctx.logical(comp, "Replica1"), "Endpoint.Address")


def _aurora(comp: Component, spec: Database, ctx: Context, common: dict[str, Any],
            params: dict[str, str], fam: str, public: bool) -> None:
    path = comp.path
    what = ctx.physical(comp.name, 200)
    cpg = ctx.add(comp, "ClusterParameterGroup", "AWS::RDS::DBClusterParameterGroup", {
        "Description": f"{what} ({fam})", "Family": fam, "Parameters": params,
    }, path=path + ("parameters",) if spec.parameters else path)
    if spec.storage_gb is not None or spec.max_storage_gb is not None:
        ctx.warn("I1001", "Aurora storage grows by itself; storage_gb is ignored",
                 path + ("storage_gb" if spec.storage_gb is not None else "max_storage_gb",))
    props: dict[str, Any] = {
        "DatabaseName": comp.attrs["name"],
        **common,
        "DBClusterParameterGroupName": Ref(cpg.logical_id),
        "VpcSecurityGroupIds": _security_groups(comp, ctx),
    }
    serverless = bool(spec.serverless)
    if serverless:
        low = spec.min_capacity if spec.min_capacity is not None else 0.5
        high = spec.max_capacity if spec.max_capacity is not None else 4
        if not (0 <= low <= high <= 256):
            ctx.diags.add("E3005", f"serverless capacity must satisfy 0 <= min ({low}) <= max "
                          f"({high}) <= 256 ACUs", origin=ctx.origin(path), path=path)
        props["ServerlessV2ScalingConfiguration"] = {"MinCapacity": low, "MaxCapacity": high}
        instance = "db.serverless"
        if spec.instance:
            ctx.warn("I1001", "serverless Aurora uses db.serverless instances; `instance` is "
                     "ignored", path + ("instance",))
    else:
        instance = spec.instance or "db.t4g.medium"  # the smallest Aurora class
        if spec.min_capacity is not None or spec.max_capacity is not None:
            ctx.diags.add("E3005", "min_capacity and max_capacity need `serverless: true`",
                          origin=ctx.origin(path), path=path)
    cluster = ctx.add(comp, "Cluster", "AWS::RDS::DBCluster", props, stateful=True)
    readers = int(spec.replicas)
    if spec.multi_az and readers == 0:
        readers = 1  # Aurora is Multi-AZ through a reader in another zone
    for i in range(1 + readers):
        inst: dict[str, Any] = {
            "DBClusterIdentifier": Ref(cluster.logical_id),
            "Engine": common["Engine"],
            "DBInstanceClass": instance,
            "PubliclyAccessible": public,
            "AutoMinorVersionUpgrade": True,
            "PromotionTier": 0 if i == 0 else 1,
        }
        if _insights(instance):
            inst["EnablePerformanceInsights"] = True
            inst["PerformanceInsightsRetentionPeriod"] = 7
        suffix = "Writer" if i == 0 else f"Reader{i}"
        r = ctx.add(comp, suffix, "AWS::RDS::DBInstance", inst,
                    path=path if i == 0 else path + ("replicas",))
        # Instances hold no data of their own: the cluster keeps (and snapshots) it.
        r.deletion_policy = r.update_replace_policy = "Delete"

"""Lower `file_systems` entries to encrypted EFS file systems in the VPC.

Each file system has a mount target in every private subnet, a security group that links open
on NFS (2049) to each consumer's security group alone, optional access points (POSIX identity
and a root directory created on first use), a lifecycle to Infrequent Access and AWS Backup on.
A link grants `elasticfilesystem:ClientMount` (read) and `ClientWrite` (write) on the file
system, limited to its access points when it has any.
"""

from __future__ import annotations

from typing import Any

from cloudc.capabilities import Mountable
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, pascal, statement
from cloudc.lower._vpc import closed_security_group, require_vpc, vpc_of
from cloudc.schema.sections.file_systems import FileSystem

SECTION = "file_systems"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::EFS::FileSystem": "every file on the file system"}
NFS = 2049


def declare(name: str, spec: FileSystem, ctx: Context) -> Component:
    """Declare a file system: its id, access points, ingress port and what a link grants."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "file_system", path, ctx.origin(path))
    fs = ctx.logical(comp, "FileSystem")
    sg = ctx.logical(comp, "SecurityGroup")
    fs_id = Ref(fs)
    fs_arn = arn("elasticfilesystem", "file-system/${id}")
    fs_arn = Sub(fs_arn.template, (("id", fs_id),))
    comp.attrs = {"id": fs_id, "arn": GetAtt(fs, "Arn"),
                  "security_group": GetAtt(sg, "GroupId")}
    points = {}
    for ap_name in spec.access_points:
        ap = ctx.logical(comp, f"AccessPoint{pascal(ap_name)}")
        points[ap_name] = {"id": Ref(ap), "arn": GetAtt(ap, "Arn"),
                           "path": spec.access_points[ap_name].path}
        comp.attrs[f"{ap_name.replace('-', '_')}_access_point"] = Ref(ap)
    comp.mountable = Mountable(fs, points)
    condition: dict[str, Any] = {}
    if points:
        arns = [p["arn"] for p in points.values()]
        condition = {"Condition": {"StringEquals": {
            "elasticfilesystem:AccessPointArn": arns[0] if len(arns) == 1 else arns}}}
    comp.grants = {
        "read": [statement(["elasticfilesystem:ClientMount"], [fs_arn], **condition)],
        "write": [statement(["elasticfilesystem:ClientWrite"], [fs_arn], **condition)],
    }
    comp.link_env = {"ID": fs_id}
    if len(points) == 1:
        comp.link_env["ACCESS_POINT"] = next(iter(points.values()))["id"]
    comp.ingress = (sg, NFS)
    return comp


def lower(comp: Component, spec: FileSystem, ctx: Context) -> None:
    """Emit the file system, its security group, mount targets and access points."""
    path = comp.path
    net = require_vpc(ctx, path)
    what = ctx.physical(comp.name, 200)
    sg = closed_security_group(comp, ctx, net, f"{what} file system; NFS from linked compute only")
    if spec.throughput == "elastic" and spec.performance == "maxIO":
        ctx.diags.add("E3005", "elastic throughput needs the generalPurpose performance mode",
                      origin=ctx.origin(path + ("performance",)), path=path + ("performance",),
                      hint="use `throughput: bursting` with maxIO")
    props: dict[str, Any] = {
        "Encrypted": True,
        "PerformanceMode": spec.performance,
        "ThroughputMode": spec.throughput,
        "BackupPolicy": {"Status": "ENABLED" if spec.backups else "DISABLED"},
        "FileSystemTags": [{"Key": "Name", "Value": what}],
    }
    if not spec.backups and ctx.production:
        ctx.warn("W1001", "file system backups turned off in production", path + ("backups",))
    if spec.lifecycle_ia_days is not None:
        days = int(spec.lifecycle_ia_days)
        unit = "DAY" if days == 1 else "DAYS"
        props["LifecyclePolicies"] = [
            {"TransitionToIA": f"AFTER_{days}_{unit}"},
            {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
        ]
    fs = ctx.add(comp, "FileSystem", "AWS::EFS::FileSystem", props, stateful=True)
    if spec.retain is not None:
        fs.retain(spec.retain)
    for z, subnet in enumerate(vpc_of(net).private_subnets):
        ctx.add(comp, f"MountTarget{z + 1}", "AWS::EFS::MountTarget", {
            "FileSystemId": Ref(fs.logical_id),
            "SubnetId": subnet,
            "SecurityGroups": [GetAtt(sg.logical_id, "GroupId")],
        })
    for ap_name, ap in spec.access_points.items():
        perms = ap.permissions if len(ap.permissions) == 4 else f"0{ap.permissions}"
        ctx.add(comp, f"AccessPoint{pascal(ap_name)}", "AWS::EFS::AccessPoint", {
            "FileSystemId": Ref(fs.logical_id),
            "PosixUser": {"Uid": str(ap.uid), "Gid": str(ap.gid)},
            "RootDirectory": {"Path": ap.path, "CreationInfo": {
                "OwnerUid": str(ap.uid), "OwnerGid": str(ap.gid), "Permissions": perms}},
            "AccessPointTags": [{"Key": "Name", "Value": f"{what}-{ap_name}"}],
        }, path=path + ("access_points", ap_name))



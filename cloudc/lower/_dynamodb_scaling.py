"""DynamoDB capacity that follows the load, and global tables (replicas in other regions).

A provisioned table with `autoscaling` gets an Application Auto Scaling target and a
target-tracking policy per capacity dimension, for the table and each index (the
service-linked role of Application Auto Scaling acts; it is created on first use):
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/AutoScaling.CloudFormation.html
A table with `replica_regions` is an `AWS::DynamoDB::GlobalTable`, whose capacity settings
(autoscaling included) are its own properties:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-globaltable.html
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Pseudo, Ref, Resource, copy_tree, pascal
from cloudc.schema.sections.databases import Database

DIMENSIONS = (("Read", "read_capacity", "max_read"), ("Write", "write_capacity", "max_write"))


def autoscale(comp: Component, spec: Database, table: Resource, ctx: Context) -> None:
    """Add a scalable target and a target-tracking policy per dimension of the table and of
    each index (E3255 for an on-demand table is a check)."""
    auto = spec.autoscaling
    if auto is None or spec.billing != "provisioned":
        return
    path = comp.path + ("autoscaling",)
    scopes = [("", "table", f"table/{comp.physical}")]
    scopes += [(f"Index{pascal(i)}", "index", f"table/{comp.physical}/index/{i}")
               for i in spec.indexes]
    for stem, kind, resource_id in scopes:
        for dim, low_key, high_key in DIMENSIONS:
            low, high = int(getattr(spec, low_key) or 1), int(getattr(auto, high_key))
            target = ctx.add(comp, f"{stem}{dim}ScalingTarget",
                             "AWS::ApplicationAutoScaling::ScalableTarget", {
                                 "ServiceNamespace": "dynamodb",
                                 "ResourceId": resource_id,
                                 "ScalableDimension": f"dynamodb:{kind}:{dim}CapacityUnits",
                                 "MinCapacity": low, "MaxCapacity": max(low, high)}, path=path)
            target.depends_on.append(table.logical_id)  # ResourceId names it by name
            ctx.add(comp, f"{stem}{dim}ScalingPolicy", "AWS::ApplicationAutoScaling::ScalingPolicy",
                    {"PolicyName": f"{resource_id.replace('/', '-')}-{dim.lower()}",
                     "PolicyType": "TargetTrackingScaling",
                     "ScalingTargetId": Ref(target.logical_id),
                     "TargetTrackingScalingPolicyConfiguration": {
                         "TargetValue": float(auto.target),
                         "PredefinedMetricSpecification": {
                             "PredefinedMetricType": f"DynamoDB{dim}CapacityUtilization"}}},
                    path=path)


def global_table(comp: Component, spec: Database, props: dict[str, Any], ctx: Context) -> None:
    """Emit the table as an AWS::DynamoDB::GlobalTable with a replica in each region."""
    path = comp.path + ("replica_regions",)
    provisioned = props.pop("ProvisionedThroughput", None) is not None
    pitr = props.pop("PointInTimeRecoverySpecification", None)
    protect = props.pop("DeletionProtectionEnabled", None)
    gsis = props.get("GlobalSecondaryIndexes", [])
    for gsi in gsis:
        gsi.pop("ProvisionedThroughput", None)
    # Replication reads the table's stream: new and old images.
    stream = props.get("StreamSpecification", {}).get("StreamViewType", "NEW_AND_OLD_IMAGES")
    if stream != "NEW_AND_OLD_IMAGES":
        ctx.diags.add("E3005", "a global table replicates through a stream of new and old "
                      "images", origin=ctx.origin(comp.path + ("stream",)),
                      path=comp.path + ("stream",), hint="set `stream: new_and_old_images`")
    props["StreamSpecification"] = {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    props["SSESpecification"] = {"SSEEnabled": True}
    replica: dict[str, Any] = {}
    if pitr is not None:
        replica["PointInTimeRecoverySpecification"] = pitr
    if protect:
        replica["DeletionProtectionEnabled"] = True
    if provisioned:
        props["WriteProvisionedThroughputSettings"] = _settings(spec, "Write")
        replica["ReadProvisionedThroughputSettings"] = _settings(spec, "Read")
        for gsi in gsis:
            gsi["WriteProvisionedThroughputSettings"] = _settings(spec, "Write")
        if gsis:
            replica["GlobalSecondaryIndexes"] = [
                {"IndexName": g["IndexName"],
                 "ReadProvisionedThroughputSettings": _settings(spec, "Read")} for g in gsis]
    regions: list[Any] = [Pseudo("AWS::Region")]
    for i, region in enumerate(spec.replica_regions):
        if region == ctx.region or region in spec.replica_regions[:i]:
            ctx.diags.add("E3005", f"`{region}` is already a replica region (the project's "
                          "region always holds one)", origin=ctx.origin(path + (i,)),
                          path=path + (i,), hint="list each other region once")
            continue
        regions.append(region)
    props["Replicas"] = [{"Region": r, **copy_tree(replica)} for r in regions]
    ctx.add(comp, "GlobalTable", "AWS::DynamoDB::GlobalTable", props, stateful=True)


def _settings(spec: Database, dim: str) -> dict[str, Any]:
    """Return a global table's capacity settings for one dimension: autoscaled between the
    capacity and the maximum (fixed when there is no `autoscaling`: min = max)."""
    low = int(getattr(spec, f"{dim.lower()}_capacity") or 1)
    auto = spec.autoscaling
    high = max(low, int(getattr(auto, f"max_{dim.lower()}"))) if auto is not None else low
    target = float(auto.target) if auto is not None else 70.0
    return {f"{dim}CapacityAutoScalingSettings": {
        "MinCapacity": low, "MaxCapacity": high,
        "TargetTrackingScalingPolicyConfiguration": {"TargetValue": target}}}

"""Lower `search` entries to OpenSearch Service domains in the VPC.

Every request is signed with IAM (SigV4): the domain's access policy lets principals of this
account call the HTTP API, and each consumer's own role gets exactly the `es:ESHttp*` actions
its link needs on `domain/NAME/*`. (The access policy names the account rather than each
consumer role: consumers read the domain's endpoint, so naming their roles in the domain would
make the two stacks depend on each other.) Fine-grained access control, when asked for, uses
an IAM master role; the internal user database stays off and anonymous access is refused.
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, statement
from cloudc.lower._keys import key_arn
from cloudc.lower._vpc import closed_security_group, require_vpc, vpc_of
from cloudc.schema.sections.search import SearchDomain

SECTION = "search"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {
    "AWS::OpenSearchService::Domain": "the search indexes",
    "AWS::Elasticsearch::Domain": "the search indexes",
}
READ = ["es:ESHttpGet", "es:ESHttpHead", "es:ESHttpPost"]
WRITE = ["es:ESHttpDelete", "es:ESHttpPatch", "es:ESHttpPost", "es:ESHttpPut"]
TLS_POLICY = "Policy-Min-TLS-1-2-PFS-2023-10"


def declare(name: str, spec: SearchDomain, ctx: Context) -> Component:
    """Declare a domain's endpoint, what a link grants and its HTTPS ingress."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "search domain", path, ctx.origin(path))
    physical = ctx.physical(name, 28)
    if not physical[:1].isalpha():
        physical = ("s" + physical)[:28]
    lid = ctx.logical(comp, "Domain")
    sg = ctx.logical(comp, "SecurityGroup")
    d_arn = arn("es", f"domain/{physical}")
    paths = Sub(d_arn.template + "/*")
    endpoint = GetAtt(lid, "DomainEndpoint")
    comp.physical, comp.primary = physical, lid
    comp.attrs = {
        "id": Ref(lid, derived=Sub(physical)),
        "name": Ref(lid, derived=Sub(physical)),
        "arn": GetAtt(lid, "Arn", derived=d_arn),
        "endpoint": endpoint,
        "url": Sub("https://${e}", (("e", endpoint),)),
    }
    comp.grants = {"read": [statement(READ, [paths])], "write": [statement(WRITE, [paths])]}
    comp.link_env = {"ENDPOINT": comp.attrs["url"], "NAME": Sub(physical)}
    if spec.vpc:
        comp.attrs["security_group"] = GetAtt(sg, "GroupId")
        comp.ingress = (sg, 443)
    return comp


def lower(comp: Component, spec: SearchDomain, ctx: Context) -> None:
    """Emit the security group and the domain."""
    path = comp.path
    count = int(spec.count)
    cluster: dict[str, Any] = {"InstanceType": spec.instance, "InstanceCount": count}
    zones = 1
    if count > 1:
        zones = spec.zones or 2
        cluster["ZoneAwarenessEnabled"] = True
        cluster["ZoneAwarenessConfig"] = {"AvailabilityZoneCount": zones}
    if spec.masters:
        cluster["DedicatedMasterEnabled"] = True
        cluster["DedicatedMasterCount"] = spec.masters
        cluster["DedicatedMasterType"] = spec.master_instance or spec.instance
    at_rest: dict[str, Any] = {"Enabled": True}
    if spec.key is not None:
        key = key_arn(ctx, spec.key, path + ("key",))
        if key is not None:
            at_rest["KmsKeyId"] = key
    props: dict[str, Any] = {
        "DomainName": comp.physical,
        "EngineVersion": spec.version,
        "ClusterConfig": cluster,
        "EBSOptions": {"EBSEnabled": True, "VolumeType": "gp3", "VolumeSize": spec.storage_gb},
        "EncryptionAtRestOptions": at_rest,
        "NodeToNodeEncryptionOptions": {"Enabled": True},
        "DomainEndpointOptions": {"EnforceHTTPS": True, "TLSSecurityPolicy": TLS_POLICY},
        "SoftwareUpdateOptions": {"AutoSoftwareUpdateEnabled": True},
        "AccessPolicies": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
            "Action": sorted(set(READ + WRITE)),
            "Resource": Sub(comp.attrs["arn"].derived.template + "/*"),
        }]},
    }
    if spec.fine_grained is not None:
        master = _master(comp, spec.fine_grained.master, path + ("fine_grained", "master"), ctx)
        props["AdvancedSecurityOptions"] = {
            "Enabled": True, "InternalUserDatabaseEnabled": False, "AnonymousAuthEnabled": False,
            "MasterUserOptions": {"MasterUserARN": master},
        }
    if spec.vpc:
        net = require_vpc(ctx, path)
        subnets = vpc_of(net).private_subnets
        if zones > len(subnets):
            ctx.diags.add("E3005", f"the domain spreads over {zones} zones but the VPC has "
                          f"{len(subnets)}", origin=ctx.origin(path + ("zones",)),
                          path=path + ("zones",), hint="set network.vpc.zones: 3 or zones: 2")
        sg = closed_security_group(comp, ctx, net,
                                   f"OpenSearch domain {comp.name}; linked compute only")
        props["VPCOptions"] = {"SubnetIds": subnets[:zones],
                               "SecurityGroupIds": [GetAtt(sg.logical_id, "GroupId")]}
    else:
        ctx.warn("W1001", "the domain has a public endpoint (IAM-signed requests only)",
                 path + ("vpc",))
    ctx.add(comp, "Domain", "AWS::OpenSearchService::Domain", props, stateful=True)


def _master(comp: Component, ref: str, path: Any, ctx: Context) -> Any:
    if ref.startswith("arn:"):
        return ctx.value(ref, path)
    target = ctx.component(ref)
    if target is not None and any(link[0] == comp.key for link in target.links):
        ctx.diags.add("E3005", f"`{ref}` links to `{comp.key}` and cannot also be its master "
                      "user: the domain would need the role and the role's stack the domain",
                      origin=ctx.origin(path), path=path,
                      hint="give the master as a role ARN, or use a separate admin function")
        return ""
    role = (target.role or None) if target is not None else None
    if target is None or not role or role not in ctx.ir.resources:
        ctx.diags.add("E3002", f"`{ref}` is not an IAM role ARN or compute with a role",
                      origin=ctx.origin(path), path=path,
                      hint="give arn:aws:iam::ACCOUNT:role/NAME or functions.NAME")
        return ""
    return GetAtt(role, "Arn")

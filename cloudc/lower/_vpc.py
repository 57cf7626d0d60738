"""VPC helpers any section uses: the network component (the default VPC on first use) and a
closed security group for data stores."""

from __future__ import annotations

from cloudc.capabilities import Vpc
from cloudc.context import Context
from cloudc.ir import Component, Resource
from cloudc.source import Path


def require_vpc(ctx: Context, path: Path) -> Component:
    """Return the network component, creating the default VPC on first use if none is declared.

    The component has `attrs["vpc_id"]` (a Ref), `attrs["cidr"]` (a string) and a `Vpc`
    capability (`vpc_of(comp)`): its public, private and isolated subnets (one Ref a zone),
    the number of zones and the NAT setting ("none" | "single" | "per-zone").
    `path` is the config path of the entry that needs the VPC; the note about a default VPC
    names it.
    """
    comp = ctx.component("network")
    if comp is not None:
        return comp
    # The network section makes the default VPC; it is found through the section registry
    # so that this helper depends on no section module.
    from cloudc.lower import lowering_module

    network = lowering_module("network")
    assert network is not None
    default: Component = network.default_vpc(ctx, path)
    return default


def closed_security_group(comp: Component, ctx: Context, net: Component, description: str,
                          suffix: str = "SecurityGroup") -> Resource:
    """Add a data store's security group: no ingress until links open it, no egress at all.

    Links from compute add one ingress rule per consumer (see passes/link_permissions.py).
    """
    return ctx.add(comp, suffix, "AWS::EC2::SecurityGroup", {
        "GroupDescription": description,
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32",
                                 "Description": "no outbound traffic"}],
    })


def mount_ready(comp: Component, ctx: Context) -> list[str]:
    """Return the mount targets' logical IDs: consumers that mount at start depend on them."""
    zones = len(vpc_of(require_vpc(ctx, comp.path)).private_subnets)
    return [ctx.logical(comp, f"MountTarget{z + 1}") for z in range(zones)]


def vpc_of(net: Component) -> Vpc:
    """Return the network component's subnets, zones and NAT mode (see `require_vpc`)."""
    if net.vpc is None:
        raise TypeError(f"{net.key} is not the network")
    return net.vpc

"""Lower `network` to a VPC with public, private and isolated subnets in each zone.

Other sections get the VPC through `_vpc.require_vpc(ctx, path)`, which calls `default_vpc`
here to create the default VPC (10.0.0.0/16, 2 zones, no NAT) the first time something needs
one and no `network` is declared.

Subnet plan (stable when zones are added: each tier and zone has a fixed slot). For a VPC of
prefix length p, zone z (0-based) gets:

- private:  the first half of the VPC cut into 8 slots (/p+4), slot z
- public:   the third quarter cut into 8 slots (/p+5), slot z
- isolated: the fourth quarter cut into 8 slots (/p+5), slot z

>>> subnet_cidrs("10.0.0.0/16", 2)["private"]
['10.0.0.0/20', '10.0.16.0/20']
>>> subnet_cidrs("10.0.0.0/16", 2)["public"]
['10.0.128.0/21', '10.0.136.0/21']
>>> subnet_cidrs("10.0.0.0/16", 2)["isolated"]
['10.0.192.0/21', '10.0.200.0/21']

Private subnets route to the internet through NAT when `nat` is single or per-zone. With
`nat: none` they have no internet route at all: code running there reaches AWS only through
VPC endpoints (S3 and DynamoDB gateway endpoints are on by default). Isolated subnets (for
databases and caches) never have an internet route.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from cloudc.capabilities import Vpc
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, GetAZs, Pseudo, Ref, Select, Sub, arn, statement
from cloudc.lower._vpc import vpc_of
from cloudc.schema.sections.network import Network
from cloudc.source import Path

SECTION = "network"
GROUP = "network"
TIERS = ("public", "private", "isolated")
SLOTS = 8
MIN_PREFIX, MAX_PREFIX = 16, 23


def subnet_cidrs(cidr: str, zones: int) -> dict[str, list[str]]:
    """Return the CIDR of each tier's subnet in each zone (see the module docstring)."""
    net = ipaddress.IPv4Network(cidr, strict=True)  # a VPC's primary range is IPv4
    p = net.prefixlen
    private_half = list(net.subnets(new_prefix=p + 1))[0]
    quarters = list(net.subnets(new_prefix=p + 2))
    plan = {
        "private": list(private_half.subnets(new_prefix=p + 4)),
        "public": list(quarters[2].subnets(new_prefix=p + 5)),
        "isolated": list(quarters[3].subnets(new_prefix=p + 5)),
    }
    return {tier: [str(s) for s in slots[:zones]] for tier, slots in plan.items()}


def declare(name: str, spec: Network, ctx: Context) -> Component:
    """Declare the VPC: its id, CIDR and the subnets of each tier."""
    return _declare(spec, ctx, (SECTION,))


def _declare(spec: Network, ctx: Context, path: Path) -> Component:
    comp = Component(SECTION, "", "network", path, ctx.origin(path))
    zones = int(spec.vpc.zones)
    vpc = ctx.logical(comp, "Vpc")
    comp.attrs = {"vpc_id": Ref(vpc), "id": Ref(vpc), "cidr": spec.vpc.cidr}
    tiers = {tier: [Ref(ctx.logical(comp, f"{tier.capitalize()}Subnet{z + 1}"))
                    for z in range(zones)] for tier in TIERS}
    comp.vpc = Vpc(vpc=vpc, zones=zones, nat=spec.vpc.nat, spec=spec,
                   public_subnets=tiers["public"], private_subnets=tiers["private"],
                   isolated_subnets=tiers["isolated"], route_tables={
        "public": [Ref(ctx.logical(comp, "PublicRouteTable"))],
        "private": [Ref(ctx.logical(comp, f"PrivateRouteTable{z + 1}")) for z in range(zones)],
        "isolated": [Ref(ctx.logical(comp, "IsolatedRouteTable"))],
    })
    return comp


def default_vpc(ctx: Context, path: Path) -> Component:
    """Declare and lower the default VPC for the entry at `path` (no `network` is declared)."""
    spec = Network()
    comp = _declare(spec, ctx, (SECTION,))
    comp.origin = ctx.origin(path)
    ctx.ir.components[comp.key] = comp
    ctx.diags.add("I1001", "no `network` section: created the default VPC (10.0.0.0/16, 2 zones, "
                  "no NAT gateway) for this entry", origin=ctx.origin(path), path=path,
                  hint="declare `network: { vpc: { nat: single } }` to change it")
    lower(comp, spec, ctx)
    return comp


def lower(comp: Component, spec: Network, ctx: Context) -> None:
    """Emit the VPC, subnets, route tables, internet and NAT gateways, endpoints, flow logs."""
    path = comp.path
    vpc_path = path + ("vpc",)
    cidr = spec.vpc.cidr
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        ctx.diags.add("E2005", f"`{cidr}` is not a valid network range: {exc}",
                      origin=ctx.origin(vpc_path + ("cidr",)), path=vpc_path + ("cidr",))
        return
    if not MIN_PREFIX <= net.prefixlen <= MAX_PREFIX:
        ctx.diags.add("E2005", f"a VPC range must be /{MIN_PREFIX} to /{MAX_PREFIX}, "
                      f"not /{net.prefixlen}", origin=ctx.origin(vpc_path + ("cidr",)),
                      path=vpc_path + ("cidr",),
                      hint="each zone takes a fixed slot per subnet tier; /16 leaves room to grow")
        return
    zones = vpc_of(comp).zones
    plan = subnet_cidrs(cidr, zones)
    name = ctx.physical("vpc", 255)
    add = _adder(comp, ctx, path)
    vpc = add("Vpc", "AWS::EC2::VPC", {
        "CidrBlock": cidr, "EnableDnsHostnames": True, "EnableDnsSupport": True,
        "Tags": [{"Key": "Name", "Value": name}]}, vpc_path)
    vpc_id = Ref(vpc)
    igw = add("InternetGateway", "AWS::EC2::InternetGateway",
              {"Tags": [{"Key": "Name", "Value": name}]}, vpc_path)
    attach = add("GatewayAttachment", "AWS::EC2::VPCGatewayAttachment",
                 {"VpcId": vpc_id, "InternetGatewayId": Ref(igw)}, vpc_path)
    tables: dict[str, list[str]] = {"public": [], "private": [], "isolated": []}
    public_rt = add("PublicRouteTable", "AWS::EC2::RouteTable", {
        "VpcId": vpc_id, "Tags": [{"Key": "Name", "Value": f"{name}-public"}]}, vpc_path)
    tables["public"].append(public_rt)
    route = add("PublicDefaultRoute", "AWS::EC2::Route", {
        "RouteTableId": Ref(public_rt), "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": Ref(igw)}, vpc_path)
    ctx.ir.resources[route].depends_on.append(attach)
    isolated_rt = add("IsolatedRouteTable", "AWS::EC2::RouteTable", {
        "VpcId": vpc_id, "Tags": [{"Key": "Name", "Value": f"{name}-isolated"}]}, vpc_path)
    tables["isolated"].append(isolated_rt)
    for z in range(zones):
        n = z + 1
        az = Select(z, GetAZs())
        for tier in TIERS:
            subnet = add(f"{tier.capitalize()}Subnet{n}", "AWS::EC2::Subnet", {
                "VpcId": vpc_id, "CidrBlock": plan[tier][z], "AvailabilityZone": az,
                "Tags": [{"Key": "Name", "Value": f"{name}-{tier}-{n}"},
                         {"Key": "cloudc:tier", "Value": tier}]}, vpc_path)
            if tier == "public":
                rt = public_rt
            elif tier == "isolated":
                rt = isolated_rt
            else:
                rt = add(f"PrivateRouteTable{n}", "AWS::EC2::RouteTable", {
                    "VpcId": vpc_id, "Tags": [{"Key": "Name", "Value": f"{name}-private-{n}"}]},
                    vpc_path)
                tables["private"].append(rt)
            add(f"{tier.capitalize()}Subnet{n}RouteTableAssociation",
                "AWS::EC2::SubnetRouteTableAssociation",
                {"SubnetId": Ref(subnet), "RouteTableId": Ref(rt)}, vpc_path)
    _nat(comp, spec, ctx, add, tables["private"], attach)
    if spec.endpoints is not False:  # `true` or a list: the free gateway endpoints
        every = [Ref(t) for tier in TIERS for t in tables[tier]]
        for service in ("s3", "dynamodb"):
            add(f"{service.capitalize()}Endpoint", "AWS::EC2::VPCEndpoint", {
                "VpcId": vpc_id, "VpcEndpointType": "Gateway",
                "ServiceName": Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
                "RouteTableIds": every}, path + ("endpoints",))
    if spec.flow_logs:
        _flow_logs(comp, spec, ctx, add, vpc_id)


def _adder(comp: Component, ctx: Context, base: Path) -> Any:
    def add(suffix: str, type_: str, props: dict[str, Any], path: Path | None = None) -> str:
        return ctx.add(comp, suffix, type_, props, path=path or base, group=GROUP).logical_id
    return add


def _nat(comp: Component, spec: Network, ctx: Context, add: Any, private_rts: list[str],
         attach: str) -> None:
    nat = spec.vpc.nat
    if nat == "none":
        return
    nat_path = comp.path + ("vpc", "nat")
    count = 1 if nat == "single" else vpc_of(comp).zones
    cost = "about $32 a month each" if count > 1 else "about $32 a month"
    ctx.warn("W1002", f"{count} NAT gateway{'s' if count > 1 else ''} ({cost}, plus $0.045 a GB "
             "processed)", nat_path,
             hint="nat: none keeps private subnets offline; VPC endpoints reach AWS services")
    gateways = []
    for z in range(count):
        n = z + 1
        eip = add(f"NatEip{n}", "AWS::EC2::EIP", {"Domain": "vpc"}, nat_path)
        ctx.ir.resources[eip].depends_on.append(attach)
        gw = add(f"NatGateway{n}", "AWS::EC2::NatGateway", {
            "AllocationId": GetAtt(eip, "AllocationId"),
            "SubnetId": Ref(ctx.logical(comp, f"PublicSubnet{n}")),
            "Tags": [{"Key": "Name", "Value": ctx.physical(f"nat-{n}", 255)}]}, nat_path)
        gateways.append(gw)
    for z, rt in enumerate(private_rts):
        gw = gateways[z] if nat == "per-zone" else gateways[0]
        add(f"PrivateRoute{z + 1}", "AWS::EC2::Route", {
            "RouteTableId": Ref(rt), "DestinationCidrBlock": "0.0.0.0/0",
            "NatGatewayId": Ref(gw)}, nat_path)


def _flow_logs(comp: Component, spec: Network, ctx: Context, add: Any, vpc_id: Ref) -> None:
    path = comp.path + ("flow_logs",)
    group_name = f"/cloudc/{ctx.slug}/{ctx.env}/vpc-flow-logs"
    retention = spec.flow_logs_retention_days
    if retention is None:
        mon = getattr(ctx.config, "monitoring", None)
        retention = int(mon.log_retention_days) if mon is not None else 30
    logs = add("FlowLogsLogGroup", "AWS::Logs::LogGroup",
               {"LogGroupName": group_name, "RetentionInDays": retention}, path)
    log_arn = arn("logs", f"log-group:{group_name}")
    role = add("FlowLogsRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}}]},
        "Policies": [{"PolicyName": "flow-logs", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [
                statement(["logs:CreateLogStream", "logs:PutLogEvents",
                           "logs:DescribeLogStreams"], [log_arn, Sub(log_arn.template + ":*")]),
            ]}}]}, path)
    add("FlowLog", "AWS::EC2::FlowLog", {
        "ResourceId": vpc_id, "ResourceType": "VPC", "TrafficType": "ALL",
        "LogDestinationType": "cloud-watch-logs", "LogGroupName": Ref(logs),
        "DeliverLogsPermissionArn": GetAtt(role, "Arn")}, path)



"""Network paths: compute in a VPC can reach what it links to.

- E3150/E3151: compute in private subnets without NAT that calls an AWS API with no VPC endpoint
  in the VPC (E3150: an endpoint would do), or one that only the internet reaches (E3151);
  reported at the link (or image, or `ai.used_by` entry) that needs it;
- E3152: interface endpoints whose private DNS cannot work (SDKs call the public names);
- E3153: a consumer's security group that lets no traffic out to an endpoint or linked store;
- E3154: a function in a VPC whose role may not create its network interfaces;
- E3155: an interface endpoint whose security group does not admit HTTPS from the VPC;
- E3156: a link to a database or secret whose value the consumer may not read or decrypt;
- W3150: interface endpoints added automatically, with their running cost.

See docs/sections/network.md.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.ir import IR, Component, GetAtt, Ref, Resource, Sub
from cloudc.lower._endpoints import (
    ACCESS,
    GATEWAY,
    INTERFACE,
    NAT_MONTHLY,
    Need,
    analyse,
    label,
    monthly,
    present,
)

NEEDS = "ir"
CODES = (
    Code("E3150", "private compute without NAT calls an AWS API the VPC has no endpoint for"),
    Code("E3151", "private compute without NAT needs the internet"),
    Code("E3152", "VPC endpoint private DNS cannot work"),
    Code("E3153", "security group egress blocks a linked network path"),
    Code("E3154", "function in a VPC may not create its network interfaces"),
    Code("E3155", "VPC endpoint security group does not admit HTTPS from the VPC"),
    Code("E3156", "linked secret the consumer may not read or decrypt"),
    Code("W3150", "VPC interface endpoints with a running cost"),
)
NAT_HINT = "set `network.vpc.nat: single` (about $32.85 a month, plus $0.045 a GB) to give " \
           "private subnets a way out"
ENI_POLICIES = ("AWSLambdaVPCAccessExecutionRole", "AWSLambdaENIManagementAccess")


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report every network path of VPC compute that cannot work."""
    ir = cx.ir
    net = ir.components.get("network") if ir is not None else None
    if ir is None or net is None:
        return
    region = str(getattr(getattr(cx.config, "project", None), "region", "") or "")
    have = present(ir)
    needs = analyse(ir, cx.config, region)
    yield from _unreachable(cx, net, needs, have)
    yield from _cost(cx, net)
    yield from _dns(ir, net, have)
    yield from _endpoint_ingress(ir, net, have)
    yield from _egress(ir, net, needs, have)
    yield from _lambda_eni(ir)
    yield from _secrets(ir)


# --- reachability ------------------------------------------------------------------------------


def _unreachable(cx: CheckContext, net: Component, needs: list[Need],
                 have: dict[str, Resource]) -> Iterable[Finding]:
    vpc = net.vpc
    mode = getattr(vpc.spec if vpc is not None else None, "endpoints", True)
    tables = vpc.route_tables if vpc is not None else {}
    private_rts = {r.target for r in tables.get("private", []) if isinstance(r, Ref)}
    for need in needs:
        who = f"`{need.consumer}` runs in private subnets without a NAT gateway"
        if not need.service:
            yield Finding("E3151", f"{who} and cannot reach {need.what}: {need.why}",
                          need.path, hint=NAT_HINT)
            continue
        endpoint = have.get(need.service)
        if endpoint is not None and need.service in GATEWAY:
            attached = {t.target for t in endpoint.properties.get("RouteTableIds", [])
                        if isinstance(t, Ref)}
            if private_rts <= attached:
                continue
            yield Finding("E3150", f"{who}, and the {label(need.service)} gateway endpoint is "
                          f"not on their route tables: it cannot reach {need.what}", need.path,
                          hint="put the gateway endpoint on every private route table")
            continue
        if endpoint is not None:
            continue
        yield Finding("E3150", f"{who}, and the VPC has no `{need.service}` endpoint: it cannot "
                      f"reach {need.what}", need.path, hint=_endpoint_hint(need.service, mode))


def _endpoint_hint(service: str, mode: Any) -> str:
    if service in GATEWAY:
        return "set `network.endpoints: true` (the S3 and DynamoDB gateway endpoints are free)"
    if isinstance(mode, list):
        return f"add `{service}` to `network.endpoints`, or {NAT_HINT}"
    return f"set `network.endpoints: [{service}]` (an interface endpoint, about $7.30 a month " \
           f"a zone), or {NAT_HINT}"


def _cost(cx: CheckContext, net: Component) -> Iterable[Finding]:
    auto: list[Need] = list(net.vpc.auto_endpoints) if net.vpc is not None else []
    if not auto:
        return
    names = sorted({n.service for n in auto})
    by_consumer: dict[str, list[str]] = {}
    for n in auto:
        by_consumer.setdefault(n.consumer, [])
        if n.service not in by_consumer[n.consumer]:
            by_consumer[n.consumer].append(n.service)
    zones = net.vpc.zones if net.vpc is not None else 2
    cost = monthly(len(names), zones)
    listed = f"network.endpoints: [{', '.join(names)}]"
    them = "them" if len(names) > 1 else "it"
    if cost > NAT_MONTHLY:
        hint = f"`network.vpc.nat: single` (about ${NAT_MONTHLY:.2f} a month, plus $0.045 a " \
               f"GB) costs less and also reaches the internet; or write `{listed}` to keep {them}"
    else:
        hint = f"write `{listed}` to keep {them} and silence this warning, or set " \
               f"`network.vpc.nat: single` (about ${NAT_MONTHLY:.2f} a month) to reach every " \
               "API and the internet"
    plural = "s" if len(names) > 1 else ""
    why = "; ".join(f"`{c}` calls {', '.join(sorted(svcs))}" for c, svcs in by_consumer.items())
    message = (f"{len(names)} VPC interface endpoint{plural} added so that compute in private "
               f"subnets without NAT reaches the AWS APIs it uses ({why}): about ${cost:.2f} a "
               f"month ({zones} zone{'s' if zones > 1 else ''} x $7.30 each, plus $0.01 a GB)")
    path: tuple[Any, ...] = auto[0].path  # no `network` section: the first link that needs one
    for candidate in (("network", "endpoints"), ("network", "vpc", "nat"), ("network",)):
        if cx.res.origins.exact(candidate) is not None:
            path = candidate
            break
    yield Finding("W3150", message, path, hint=hint)


# --- DNS and the endpoints' own security group ---------------------------------------------


def _interface(have: dict[str, Resource]) -> list[Resource]:
    return [r for r in have.values() if r.properties.get("VpcEndpointType") == "Interface"]


def _dns(ir: IR, net: Component, have: dict[str, Resource]) -> Iterable[Finding]:
    endpoints = _interface(have)
    if not endpoints:
        return
    vpc = ir.resources.get(net.vpc.vpc) if net.vpc is not None else None
    if vpc is not None:
        off = [k for k in ("EnableDnsSupport", "EnableDnsHostnames")
               if vpc.properties.get(k) is not True]
        if off:
            yield Finding("E3152", f"the VPC has interface endpoints with private DNS, and "
                          f"{' and '.join(off)} {'is' if len(off) == 1 else 'are'} not true: "
                          "SDKs would resolve the public service names", ("network", "vpc"),
                          hint="private DNS needs both EnableDnsSupport and EnableDnsHostnames")
    for ep in endpoints:
        if ep.properties.get("PrivateDnsEnabled") is not True:
            yield Finding("E3152", f"VPC endpoint `{ep.logical_id}` has private DNS off: SDKs "
                          "call the public service name, which private subnets cannot reach",
                          ("network", "endpoints"), resource=ep.logical_id,
                          hint="set PrivateDnsEnabled: true")


def _endpoint_ingress(ir: IR, net: Component, have: dict[str, Resource]) -> Iterable[Finding]:
    vpc_cidr = str(net.attrs.get("cidr", ""))
    for ep in _interface(have):
        groups = [ir.resources.get(g.target) for g in ep.properties.get("SecurityGroupIds", [])
                  if isinstance(g, (Ref, GetAtt))]
        rules = [rule for sg in groups if sg is not None
                 for rule in _rules(ir, sg, "SecurityGroupIngress")]
        if not any(_allows(rule, 443, vpc_cidr, None, "CidrIp", "SourceSecurityGroupId")
                   for rule in rules):
            yield Finding("E3155", f"VPC endpoint `{ep.logical_id}` admits no HTTPS from the "
                          "VPC: calls from private compute time out", ("network", "endpoints"),
                          hint=f"its security group must allow TCP 443 from {vpc_cidr}")


# --- consumers' security groups and roles --------------------------------------------------


def _egress(ir: IR, net: Component, needs: list[Need],
            have: dict[str, Resource]) -> Iterable[Finding]:
    vpc_cidr = str(net.attrs.get("cidr", ""))
    through = {n.consumer: n for n in reversed(needs)
               if n.service in INTERFACE and n.service in have}
    endpoint_groups = {g.target for ep in _interface(have)
                       for g in ep.properties.get("SecurityGroupIds", [])
                       if isinstance(g, (Ref, GetAtt))}
    for comp in ir.components.values():
        sg = ir.resources.get(comp.security_group or "")
        if sg is None:
            continue
        rules = _rules(ir, sg, "SecurityGroupEgress")
        if rules is None:
            continue  # no egress list: AWS allows all outbound traffic
        need = through.get(comp.key)
        if need is not None and not any(
                _allows(r, 443, vpc_cidr, g, "CidrIp", "DestinationSecurityGroupId")
                for r in rules for g in endpoint_groups | {None}):
            yield Finding("E3153", f"the security group of `{comp.key}` lets no HTTPS out to "
                          f"the VPC endpoints: it cannot reach {need.what}", need.path,
                          hint=f"allow outbound TCP 443 to {vpc_cidr}")
        for target_key, _, path in comp.links:
            target = ir.components.get(target_key)
            if target is None or target.ingress is None:
                continue
            target_sg, port = target.ingress
            if not any(_allows(r, int(port), vpc_cidr, target_sg, "CidrIp",
                               "DestinationSecurityGroupId") for r in rules):
                yield Finding("E3153", f"the security group of `{comp.key}` lets no TCP {port} "
                              f"out to `{target_key}`", path,
                              hint=f"allow outbound TCP {port} to {target_key}'s security group "
                                   f"or to {vpc_cidr}")


def _rules(ir: IR, sg: Resource, key: str) -> Any:
    """Return a group's rules of one direction: inline and standalone (None: not declared)."""
    inline = sg.properties.get(key)
    kind = "AWS::EC2::SecurityGroupEgress" if key.endswith("Egress") else \
        "AWS::EC2::SecurityGroupIngress"
    extra = [r.properties for r in ir.resources.values() if r.type == kind
             and isinstance(r.properties.get("GroupId"), (Ref, GetAtt))
             and r.properties["GroupId"].target == sg.logical_id]
    if inline is None and not extra and key.endswith("Egress"):
        return None
    return list(inline or []) + extra


def _allows(rule: dict[str, Any], port: int, vpc_cidr: str, group: str | None,
            cidr_key: str, group_key: str) -> bool:
    proto = str(rule.get("IpProtocol", ""))
    if proto not in ("-1", "tcp", "6"):
        return False
    if proto != "-1":
        low, high = rule.get("FromPort"), rule.get("ToPort")
        if not (isinstance(low, int) and isinstance(high, int) and low <= port <= high):
            return False
    peer = rule.get(group_key)
    if group is not None and isinstance(peer, (Ref, GetAtt)) and peer.target == group:
        return True
    cidr = rule.get(cidr_key)
    if not isinstance(cidr, str) or not vpc_cidr:
        return False
    try:
        return ipaddress.ip_network(vpc_cidr).subnet_of(ipaddress.ip_network(cidr))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return False


def _lambda_eni(ir: IR) -> Iterable[Finding]:
    for fn in ir.resources.values():
        if fn.type != "AWS::Lambda::Function" or "VpcConfig" not in fn.properties:
            continue
        role_ref = fn.properties.get("Role")
        role = ir.resources.get(role_ref.target) if isinstance(role_ref, GetAtt) else None
        if role is None:
            continue
        managed = " ".join(_text(m) for m in role.properties.get("ManagedPolicyArns", []))
        inline = [a for p in role.properties.get("Policies", [])
                  for st in p.get("PolicyDocument", {}).get("Statement", [])
                  for a in _list(st.get("Action"))]
        if any(name in managed for name in ENI_POLICIES) or \
                "ec2:CreateNetworkInterface" in inline:
            continue
        yield Finding("E3154", f"function `{fn.owner}` runs in a VPC, and its role may not "
                      "create network interfaces: Lambda rejects it", resource=fn.logical_id,
                      hint="attach the AWSLambdaVPCAccessExecutionRole managed policy")


# --- secrets behind links ----------------------------------------------------------------------


def _secrets(ir: IR) -> Iterable[Finding]:
    for comp in ir.components.values():
        if comp.statements is None:
            continue
        for target_key, access, path in comp.links:
            target = ir.components.get(target_key)
            if target is None:
                continue
            for level in ACCESS[access]:
                for st in target.grants.get(level, []):
                    if "secretsmanager:GetSecretValue" not in _list(st.get("Action")):
                        continue
                    for secret in _list(st.get("Resource")):
                        yield from _secret(ir, comp, target_key, secret, path)


def _secret(ir: IR, comp: Component, target_key: str, secret: Any,
            path: Any) -> Iterable[Finding]:
    statements = comp.statements or []
    if not _granted(statements, "secretsmanager:GetSecretValue", secret):
        yield Finding("E3156", f"`{comp.key}` links to `{target_key}` and may not read its "
                      "secret (no secretsmanager:GetSecretValue on it)", path,
                      hint="links grant it; check `policies` and overrides")
        return
    key = _secret_key(ir, secret)
    if key is not None and not _granted(statements, "kms:Decrypt", key):
        yield Finding("E3156", f"the secret of `{target_key}` is encrypted with a customer "
                      f"managed key, and `{comp.key}` may not use it (no kms:Decrypt)", path,
                      hint="grant kms:Decrypt on the key, or link the key too")


def _secret_key(ir: IR, secret: Any) -> Any:
    """Return the customer managed key that encrypts a secret, if any."""
    if isinstance(secret, GetAtt) and secret.attr == "MasterUserSecret.SecretArn":
        res = ir.resources.get(secret.target)
        return (res.properties.get("MasterUserSecret") or {}).get("KmsKeyId") if res else None
    if isinstance(secret, Ref):
        res = ir.resources.get(secret.target)
        if res is not None and res.type == "AWS::SecretsManager::Secret":
            return res.properties.get("KmsKeyId")
    return None


def _granted(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    return any(st.get("Effect", "Allow") == "Allow" and action in _list(st.get("Action"))
               and resource in _list(st.get("Resource")) for st in statements)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _text(value: Any) -> str:
    return value.template if isinstance(value, Sub) else value if isinstance(value, str) else ""


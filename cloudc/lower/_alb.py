"""An Application Load Balancer in front of a service or a group of servers.

Shared by `servers` and `services`: `load_balancer(...)` adds the ALB, its security group, a
target group, the listeners (HTTP redirects to HTTPS once a certificate exists) and, when the
domain lies in the declared hosted zone, the Route53 alias record.
"""

from __future__ import annotations

from typing import Any, Literal

from cloudc.capabilities import LoadBalancer
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub
from cloudc.lower._certs import certificate
from cloudc.lower._vpc import require_vpc, vpc_of
from cloudc.lower._zones import note_outside, zone_for
from cloudc.source import Path

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def load_balancer(
    comp: Component,
    ctx: Context,
    *,
    port: int,
    health_check: str,
    domain: str | None,
    path: Path,
    target_type: Literal["instance", "ip"],
    internal: bool = False,
    access_logs: Any = None,
) -> dict[str, Any]:
    """Add an ALB owned by `comp` (in its group) that forwards to `port` on its targets.

    Returns {"target_group", "security_group", "listener"} (logical IDs; `listener` is the
    HTTPS listener when a certificate exists, else the HTTP one), "dns_name" (an expression)
    and "url" (https://domain, or http://the ALB's DNS name without a domain).
    `access_logs` is a bucket name (string or expression) to write access logs to.
    Consumers open their own security group to `security_group` on `port`.
    The same facts are kept in `comp.load_balancer` for API routes and site routes.
    """
    net = require_vpc(ctx, path)
    vpc_id = net.attrs["vpc_id"]
    sg = ctx.add(comp, "AlbSecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": f"{ctx.physical(comp.name, 200)} load balancer",
        "VpcId": vpc_id,
        "SecurityGroupIngress": [
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
             "CidrIp": net.attrs["cidr"] if internal else "0.0.0.0/0",
             "Description": f"{'HTTPS' if p == 443 else 'HTTP'} from "
                            f"{'the VPC' if internal else 'the internet'}"}
            for p in (80, 443)
        ],
        "SecurityGroupEgress": [{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "CidrIp": net.attrs["cidr"],
            "Description": "to targets in the VPC"}],
    }, path=path).logical_id
    attributes = [
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
        {"Key": "deletion_protection.enabled", "Value": "true" if ctx.production else "false"},
    ]
    if access_logs is not None:
        attributes += [
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": access_logs},
            {"Key": "access_logs.s3.prefix", "Value": f"alb/{comp.section}/{comp.name}"},
        ]
    alb = ctx.add(comp, "Alb", "AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "Type": "application",
        "Scheme": "internal" if internal else "internet-facing",
        "Subnets": vpc_of(net).subnets("private" if internal else "public"),
        "SecurityGroups": [Ref(sg)],
        "LoadBalancerAttributes": attributes,
    }, path=path).logical_id
    tg = ctx.add(comp, "TargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", {
        "VpcId": vpc_id,
        "Port": port,
        "Protocol": "HTTP",
        "TargetType": target_type,
        "HealthCheckEnabled": True,
        "HealthCheckPath": health_check,
        "HealthCheckIntervalSeconds": 15,
        "HealthyThresholdCount": 2,
        "UnhealthyThresholdCount": 3,
        "Matcher": {"HttpCode": "200-399"},
        "TargetGroupAttributes": [
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
        ],
    }, path=path).logical_id
    forward = [{"Type": "forward", "TargetGroupArn": Ref(tg)}]
    dns_name = GetAtt(alb, "DNSName")
    cert = None
    zone_id = None
    if domain:
        domain_path = _domain_path(path, ctx)
        zone_id = zone_for(ctx, domain)
        cert = certificate(comp, ctx, [domain], domain_path)
    if cert is None:
        listener = ctx.add(comp, "HttpListener", "AWS::ElasticLoadBalancingV2::Listener", {
            "LoadBalancerArn": Ref(alb), "Port": 80, "Protocol": "HTTP",
            "DefaultActions": forward}, path=path).logical_id
        url: Any = Sub("http://${dns}", (("dns", dns_name),))
    else:
        ctx.add(comp, "HttpListener", "AWS::ElasticLoadBalancingV2::Listener", {
            "LoadBalancerArn": Ref(alb), "Port": 80, "Protocol": "HTTP",
            "DefaultActions": [{"Type": "redirect", "RedirectConfig": {
                "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}, path=path)
        listener = ctx.add(comp, "HttpsListener", "AWS::ElasticLoadBalancingV2::Listener", {
            "LoadBalancerArn": Ref(alb), "Port": 443, "Protocol": "HTTPS",
            "SslPolicy": TLS_POLICY, "Certificates": [{"CertificateArn": cert}],
            "DefaultActions": forward}, path=path).logical_id
        url = f"https://{domain}"
    if domain and zone_id is not None:
        ctx.add(comp, "DnsRecord", "AWS::Route53::RecordSet", {
            "HostedZoneId": zone_id, "Name": domain, "Type": "A",
            "AliasTarget": {"DNSName": dns_name,
                            "HostedZoneId": GetAtt(alb, "CanonicalHostedZoneID"),
                            "EvaluateTargetHealth": True}}, path=_domain_path(path, ctx))
    elif domain:
        note_outside(ctx, domain, _domain_path(path, ctx),
                     f"point it at the load balancer ({comp.key}) with a CNAME yourself")
    # How API Gateway (VPC link) and CloudFront reach this load balancer: read by `apis` and
    # `sites`, which never go through the service's own hostname.
    comp.load_balancer = LoadBalancer(
        load_balancer=alb, listener=listener, security_group=sg, internal=internal,
        https=cert is not None, domain=domain.lower().rstrip(".") if domain else None,
        port=443 if cert is not None else 80, dns_name=dns_name)
    return {"target_group": tg, "security_group": sg, "listener": listener,
            "load_balancer": alb, "dns_name": dns_name, "url": url}


def _domain_path(path: Path, ctx: Context) -> Path:
    """Point at the entry's `domain` key when it has one."""
    del ctx
    return tuple(path) + ("domain",)


def web_acl_attachment(comp: Component, ctx: Context, at: Path) -> dict[str, Any] | None:
    """Return {"arn": the load balancer} a regional web ACL is associated with."""
    alb = ctx.ir.resources.get(ctx.logical(comp, "Alb"))
    if alb is None or alb.type != "AWS::ElasticLoadBalancingV2::LoadBalancer":
        ctx.diags.add("E3002", f"`{comp.key}` has no load balancer to protect",
                      origin=ctx.origin(at), path=at,
                      hint="give it a `port` (and a domain) so it is served by a load balancer")
        return None
    return {"arn": Ref(alb.logical_id)}

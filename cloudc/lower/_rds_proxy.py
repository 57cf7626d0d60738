"""RDS Proxy in front of a relational database (`proxy: true`), for functions above all.

The proxy sits in the database's subnets behind its own security group: linked compute
reaches the proxy (its security group opens to each consumer alone), and only the proxy
reaches the database. The proxy logs in with the database's managed master secret, read
through a role of its own; clients authenticate with the same secret's password over TLS.
Linked compute gets the proxy's endpoint as HOST.
https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-setup.html
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref
from cloudc.schema.sections.databases import Database

FAMILY = {"postgres": "POSTGRESQL", "aurora-postgres": "POSTGRESQL", "mysql": "MYSQL",
          "aurora-mysql": "MYSQL"}


def declare(comp: Component, spec: Database, port: int, ctx: Context) -> None:
    """Point linked compute at the proxy: HOST, the attributes and the ingress."""
    if not spec.proxy:
        return
    proxy = ctx.logical(comp, "Proxy")
    endpoint = GetAtt(proxy, "Endpoint")
    comp.attrs["proxy_endpoint"] = endpoint
    comp.attrs["proxy_arn"] = GetAtt(proxy, "DBProxyArn")
    comp.attrs["host"] = endpoint
    comp.link_env["HOST"] = endpoint
    comp.ingress = (ctx.logical(comp, "ProxySecurityGroup"), port)


def lower(comp: Component, spec: Database, port: int, subnets: list[Any], ctx: Context,
          vpc_id: Any) -> None:
    """Emit the proxy's security group, role, the proxy and its target group."""
    if not spec.proxy:
        return
    path = comp.path + ("proxy",)
    db_sg = GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId")
    name = ctx.physical(comp.name, 60)
    sg = ctx.add(comp, "ProxySecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": f"{name} proxy; linked compute only",
        "VpcId": vpc_id,
        "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                 "DestinationSecurityGroupId": db_sg,
                                 "Description": "to the database"}],
    }, path=path)
    ctx.add(comp, "IngressFromProxy", "AWS::EC2::SecurityGroupIngress", {
        "GroupId": db_sg, "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
        "SourceSecurityGroupId": GetAtt(sg.logical_id, "GroupId"),
        "Description": f"{comp.key} proxy to the database"}, path=path)
    secret = comp.attrs["secret_arn"]
    role = ctx.add(comp, "ProxyRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "rds.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "secret", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [secret]}]}}]}, path=path)
    proxy = ctx.add(comp, "Proxy", "AWS::RDS::DBProxy", {
        "DBProxyName": name,
        "EngineFamily": FAMILY[spec.engine],
        "RoleArn": GetAtt(role.logical_id, "Arn"),
        "Auth": [{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "DISABLED",
                  "Description": f"the master user {spec.username}"}],
        "RequireTLS": True,
        "VpcSubnetIds": subnets,
        "VpcSecurityGroupIds": [GetAtt(sg.logical_id, "GroupId")],
    }, path=path)
    aurora = spec.engine.startswith("aurora")
    main = Ref(ctx.logical(comp, "Cluster" if aurora else "Instance"))
    target: dict[str, Any] = {
        "DBProxyName": Ref(proxy.logical_id),
        "TargetGroupName": "default",  # the only name a proxy's target group may have
        "ConnectionPoolConfigurationInfo": {"MaxConnectionsPercent": 90,
                                            "MaxIdleConnectionsPercent": 50},
    }
    target["DBClusterIdentifiers" if aurora else "DBInstanceIdentifiers"] = [main]
    group = ctx.add(comp, "ProxyTargets", "AWS::RDS::DBProxyTargetGroup", target, path=path)
    # An Aurora cluster is a target once its writer instance is available.
    if aurora:
        group.depends_on.append(ctx.logical(comp, "Writer"))

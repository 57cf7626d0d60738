"""Network paths from compute in private subnets to the AWS APIs it uses, and VPC endpoints.

Compute in the private subnets of a VPC without NAT (functions in a VPC always; services,
servers and scheduled tasks wherever they are placed there) reaches an AWS API only through a
VPC endpoint. `analyse(ir, config, region)` says, for each such consumer, which APIs it calls and
from which line of the config the need comes:

- each link: the actions the link grants name the API (`sqs:SendMessage` -> SQS);
  `kms:` actions count only on a link to a key (for buckets, queues and streams the service
  calls KMS itself), `rds-db:connect` is signed locally and EFS is reached over NFS;
- each `ai.<name>.used_by` entry: the Bedrock runtime;
- containers: the image registry (ECR API, ECR registry and S3 for the layers), CloudWatch
  Logs for the awslogs driver, and Secrets Manager or SSM for the secrets ECS injects;
- servers: package mirrors on the internet at boot, which no endpoint reaches.

`provide(ir, ctx)` (run at the end of the link_permissions pass) emits the interface endpoints
that `network.endpoints` allows; the check `cloudc/checks/network_paths.py` reports every need
that stays unreachable, at the line it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cloudc.context import Context
from cloudc.ir import IR, Component, GetAtt, Ref, Resource, Sub, collect_targets, pascal
from cloudc.lower._vpc import vpc_of
from cloudc.source import Path

GATEWAY = {"s3": "Amazon S3", "dynamodb": "DynamoDB"}
INTERFACE = {
    "bedrock-runtime": "the Bedrock runtime",
    "cloudformation": "CloudFormation",
    "ecr.api": "the ECR API",
    "ecr.dkr": "the ECR registry",
    "events": "EventBridge",
    "kinesis-firehose": "Data Firehose",
    "kinesis-streams": "Kinesis Data Streams",
    "kms": "KMS",
    "lambda": "Lambda",
    "logs": "CloudWatch Logs",
    "monitoring": "CloudWatch metrics",
    "secretsmanager": "Secrets Manager",
    "sns": "SNS",
    "sqs": "SQS",
    "ssm": "SSM Parameter Store",
    "states": "Step Functions",
    "sync-states": "Step Functions (synchronous Express executions)",
    "sts": "STS",
    "xray": "X-Ray",
}
# IAM action prefix -> the endpoint that serves those calls.
PREFIXES = {
    "bedrock": "bedrock-runtime", "cloudformation": "cloudformation", "cloudwatch": "monitoring",
    "dynamodb": "dynamodb", "ecr": "ecr.api", "events": "events", "firehose": "kinesis-firehose",
    "kinesis": "kinesis-streams", "kms": "kms", "lambda": "lambda", "logs": "logs", "s3": "s3",
    "secretsmanager": "secretsmanager", "sns": "sns", "sqs": "sqs", "ssm": "ssm",
    "states": "states", "sts": "sts", "xray": "xray",
}
# Actions served by another endpoint than the rest of their service's.
ACTIONS = {"states:StartSyncExecution": "sync-states"}
# APIs that no VPC endpoint serves for what cloudc's links do: only NAT reaches them.
INTERNET_ONLY = {
    "ses": ("the SES API", "it has no VPC endpoint (only SMTP sending has one)"),
    "cloudfront": ("the CloudFront API", "it is global and has no VPC endpoint"),
    "execute-api": ("the API", ("a public API Gateway API is reachable only over the internet "
                                "(an execute-api endpoint with private DNS serves private APIs "
                                "alone)")),
    "apigateway": ("the API Gateway API", "cloudc adds no endpoint for it"),
    "cognito-idp": ("the user pool", ("a Cognito user pool with a domain is not reachable "
                                      "through a VPC endpoint")),
}
# Permissions checked by a service, or requests signed locally: no call leaves the consumer.
NOT_CALLED = {"iam", "rds-db", "elasticfilesystem"}
COMPUTE = ("AWS::Lambda::Function", "AWS::ECS::Service", "AWS::AutoScaling::AutoScalingGroup",
           "AWS::EC2::Instance", "AWS::Scheduler::Schedule", "AWS::Events::Rule")
ACCESS = {"read": ("read",), "write": ("write",), "read-write": ("read", "write")}
HOURLY = 0.01  # USD per interface endpoint per zone-hour (us-east-1)
NAT_MONTHLY = 32.85  # USD per NAT gateway-month, before data
_ECR_URI = re.compile(r"^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com")


@dataclass(frozen=True, slots=True)
class Need:
    """One AWS API a consumer in private subnets calls, and the config line it comes from.

    `service` is an endpoint name (`secretsmanager`, `s3`, ...), or "" when no endpoint can
    serve the call (`why` then says why and only NAT helps).
    """

    consumer: str
    service: str
    what: str
    path: Path
    why: str = ""


def label(service: str) -> str:
    """Return a service's name for messages."""
    return GATEWAY.get(service) or INTERFACE.get(service) or f"`{service}`"


def service_name(name: str) -> Sub:
    """Return the PrivateLink service name of an endpoint in the stack's region."""
    return Sub(f"com.amazonaws.${{AWS::Region}}.{name}")


def monthly(count: int, zones: int) -> float:
    """Return the running cost of `count` interface endpoints over `zones` zones, in USD."""
    return round(count * zones * HOURLY * 730, 2)


# --- where compute runs ------------------------------------------------------------------------


def private_compute(ir: IR) -> dict[str, list[Resource]]:
    """Return the compute resources in private subnets, by owner, when the VPC has no NAT.

    A resource counts when it names a private subnet and no public one (a public subnet with a
    public IP reaches the internet through the internet gateway).
    """
    net = ir.components.get("network")
    if net is None or net.vpc is None or net.vpc.nat != "none":
        return {}
    private = {r.target for r in net.vpc.private_subnets if isinstance(r, Ref)}
    public = {r.target for r in net.vpc.public_subnets if isinstance(r, Ref)}
    out: dict[str, list[Resource]] = {}
    for res in ir.resources.values():
        if res.type not in COMPUTE:
            continue
        refs = {t.target for t in collect_targets(res.properties) if isinstance(t, Ref)}
        if refs & private and not refs & public:
            out.setdefault(res.owner, []).append(res)
    return out


# --- what each consumer calls ------------------------------------------------------------------


def analyse(ir: IR, config: Any, region: str) -> list[Need]:
    """Return every API call of compute in private subnets without NAT, in config order."""
    out: list[Need] = []
    for owner, resources in private_compute(ir).items():
        comp = ir.components.get(owner)
        if comp is None:
            continue
        found: list[Need] = []
        found.extend(_link_needs(ir, comp))
        found.extend(_ai_needs(config, comp))
        for res in resources:
            for task in _task_definitions(ir, res):
                found.extend(_container_needs(ir, comp, task, region))
            if res.type in ("AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::Instance"):
                found.append(Need(comp.key, "", "package mirrors and CloudFormation at boot",
                                  comp.path, "instances install packages from the internet"))
        seen: set[str] = set()
        for need in found:  # one finding per API: the first line that needs it
            key = need.service or need.what
            if key not in seen:
                seen.add(key)
                out.append(need)
    return out


def _link_needs(ir: IR, comp: Component) -> Iterable[Need]:
    for target_key, access, path in comp.links:
        target = ir.components.get(target_key)
        if target is None:
            continue
        keys: list[str] = []  # IAM prefixes, or endpoints of single actions
        for level in ACCESS[access]:
            for st in target.grants.get(level, []):
                for action in _actions(st):
                    key = ACTIONS.get(action) or action.split(":", 1)[0].lower()
                    if key not in keys:
                        keys.append(key)
        for key in keys:
            need = _prefix_need(comp, target, key, path)
            if need is not None:
                yield need
        if target.section in ("services", "servers") and _internet_facing(ir, target):
            yield Need(comp.key, "", f"the load balancer of `{target_key}`", path,
                       f"`{target_key}` is reached through its internet-facing load balancer")


def _prefix_need(comp: Component, target: Component, prefix: str, path: Path) -> Need | None:
    what = f"for `{target.key}`"
    if target.section in ("databases", "caches") and prefix == "secretsmanager":
        what = f"for the credentials of `{target.key}`"
    if prefix in NOT_CALLED:
        return None
    if prefix == "kms" and target.kind != "key":
        return None  # the bucket's, queue's or stream's service calls KMS itself
    if prefix == "es":
        if target.ingress is not None:
            return None  # a domain in the VPC: reached directly, through its security group
        return Need(comp.key, "", f"OpenSearch {what}", path,
                    "a public OpenSearch domain is reachable only over the internet")
    if prefix in INTERFACE:  # an endpoint named by a single action (ACTIONS)
        return Need(comp.key, prefix, f"{label(prefix)} {what}", path)
    if prefix in INTERNET_ONLY:
        name, why = INTERNET_ONLY[prefix]
        return Need(comp.key, "", f"{name} {what}", path, why)
    service = PREFIXES.get(prefix)
    if service is None:
        return Need(comp.key, "", f"`{prefix}` {what}", path,
                    f"cloudc knows no VPC endpoint for `{prefix}`")
    return Need(comp.key, service, f"{label(service)} {what}", path)


def _actions(st: dict[str, Any]) -> list[str]:
    action = st.get("Action", [])
    return [action] if isinstance(action, str) else [a for a in action if isinstance(a, str)]


def _internet_facing(ir: IR, target: Component) -> bool:
    return any(r.owner == target.key and r.type == "AWS::ElasticLoadBalancingV2::LoadBalancer"
               and r.properties.get("Scheme", "internet-facing") != "internal"
               for r in ir.resources.values())


def _ai_needs(config: Any, comp: Component) -> Iterable[Need]:
    for name, entry in (getattr(config, "ai", None) or {}).items():
        for i, ref in enumerate(getattr(entry, "used_by", []) or []):
            if ref == comp.key:
                yield Need(comp.key, "bedrock-runtime", f"the Bedrock runtime for `ai.{name}`",
                           ("ai", name, "used_by", i))


def _task_definitions(ir: IR, res: Resource) -> list[Resource]:
    """Return the task definitions a service or a scheduled ECS task runs."""
    if res.type == "AWS::ECS::Service" or _has_key(res.properties, "EcsParameters"):
        return [ir.resources[t.target] for t in collect_targets(res.properties)
                if t.target in ir.resources
                and ir.resources[t.target].type == "AWS::ECS::TaskDefinition"]
    return []


def _has_key(value: Any, key: str) -> bool:
    if isinstance(value, dict):
        return key in value or any(_has_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(_has_key(v, key) for v in value)
    return False


def _container_needs(ir: IR, comp: Component, task: Resource, region: str) -> Iterable[Need]:
    owner = ir.components.get(task.owner)
    base = owner.path if owner is not None else comp.path
    for container in task.properties.get("ContainerDefinitions", []):
        image = container.get("Image")
        registry = _registry(image, region)
        if registry == "ecr":
            for service in ("ecr.api", "ecr.dkr", "s3"):
                yield Need(comp.key, service, f"{label(service)} to pull the image", base +
                           ("image",))
        elif registry:
            yield Need(comp.key, "", f"the registry of `{image}`", base + ("image",),
                       f"`{image}` is pulled from {registry}")
        log = container.get("LogConfiguration") or {}
        if log.get("LogDriver") == "awslogs":
            yield Need(comp.key, "logs", "CloudWatch Logs for the container's logs", base)
        for secret in container.get("Secrets", []):
            kind = "ssm" if ":ssm:" in _text(secret.get("ValueFrom")) else "secretsmanager"
            yield Need(comp.key, kind, f"{label(kind)} for the secrets ECS injects",
                       base + ("secrets", secret.get("Name", "")))


def _registry(image: Any, region: str) -> str:
    """Return "ecr" for an image in this region's ECR, a description of any other registry,
    or "" when the image is only known at deploy time."""
    if isinstance(image, Sub):
        return "ecr" if ".dkr.ecr.${AWS::Region}." in image.template else ""
    if not isinstance(image, str):
        return ""
    m = _ECR_URI.match(image)
    if m:
        return "ecr" if m.group(1) == region else f"ECR in {m.group(1)}, another region"
    if image.startswith("public.ecr.aws/"):
        return "ECR Public, which has no VPC endpoint"
    return "a registry on the internet"


def _text(value: Any) -> str:
    if isinstance(value, Sub):
        return value.template + "".join(_text(v) for _, v in value.vars)
    if isinstance(value, (Ref, GetAtt)):
        return value.target
    return value if isinstance(value, str) else ""


# --- what the VPC provides ---------------------------------------------------------------------


def present(ir: IR) -> dict[str, Resource]:
    """Return the VPC endpoints in the IR, by endpoint name (`s3`, `secretsmanager`, ...)."""
    out: dict[str, Resource] = {}
    for res in ir.resources.values():
        if res.type != "AWS::EC2::VPCEndpoint":
            continue
        name = res.properties.get("ServiceName")
        text = name.template if isinstance(name, Sub) else name if isinstance(name, str) else ""
        m = re.match(r"^com\.amazonaws\.(?:\$\{AWS::Region\}|[a-z0-9-]+)\.(.+)$", text)
        if m:
            out[m.group(1)] = res
    return out


def provide(ir: IR, ctx: Context) -> None:
    """Emit the interface endpoints `network.endpoints` asks for (a list), or that compute in
    private subnets without NAT needs (`true`), in the private subnets with one security group
    that admits HTTPS from the VPC. Automatic ones are recorded for the cost warning."""
    net = ir.components.get("network")
    spec = net.vpc.spec if net is not None and net.vpc is not None else None
    if net is None or spec is None or spec.endpoints is False:
        return
    names: list[str] = []
    if isinstance(spec.endpoints, list):
        names = [n for n in spec.endpoints if n not in GATEWAY]
    elif vpc_of(net).nat == "none":
        auto = [n for n in analyse(ir, ctx.config, ctx.region) if n.service in INTERFACE]
        names = [n.service for n in auto]
        vpc_of(net).auto_endpoints = auto  # what needs each one, for the cost warning
    if not names:
        return
    path = net.path + ("endpoints",)
    group = "network"
    sg = ctx.add(net, "EndpointsSecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": "VPC interface endpoints: HTTPS from inside the VPC",
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                  "CidrIp": net.attrs["cidr"],
                                  "Description": "HTTPS from the VPC"}],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "127.0.0.1/32",
                                 "Description": "no outbound traffic"}],
    }, path=path, group=group)
    for name in sorted(set(names)):
        ctx.add(net, f"{pascal(name)}Endpoint", "AWS::EC2::VPCEndpoint", {
            "VpcId": net.attrs["vpc_id"],
            "VpcEndpointType": "Interface",
            "ServiceName": service_name(name),
            "PrivateDnsEnabled": True,
            "SubnetIds": list(vpc_of(net).private_subnets),
            "SecurityGroupIds": [GetAtt(sg.logical_id, "GroupId")],
        }, path=path, group=group)

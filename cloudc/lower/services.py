"""Lower `services` entries to ECS Fargate services behind an Application Load Balancer.

All services of an app share one ECS cluster (owned by the `services` component). Each service
gets: an ECR repository when its image is a Dockerfile (scan on push, immutable tags, a
lifecycle), a log group, an execution role (pull from that repository, write to that log
group, read exactly the secrets it injects), a task role (what its links grant), a task
definition, a security group open only to its load balancer, the service itself (deployment
circuit breaker with rollback) and target-tracking auto scaling.

The image tag of a Dockerfile image is a hash of its build context (the Dockerfile's folder):
the same code always gives the same tag, a change gives a new tag and a new task definition,
and tags never need to be overwritten. The repository is in the separate `registry` stack;
`cloudc deploy` creates it, then builds and pushes `REPOSITORY:TAG` (recorded in the task
definition's `cloudc:image` metadata) before the stack rolls the service (docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudc.capabilities import Default, Metric, RunTask, Widget
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Join, Pseudo, Ref, Sub, arn, statement
from cloudc.lower import _containers as containers
from cloudc.lower._alb import web_acl_attachment  # noqa: F401 - security.waf protects the ALB
from cloudc.lower._blue_green import blue_green
from cloudc.lower._metrics import LOAD_BALANCER
from cloudc.lower._vpc import require_vpc, vpc_of
from cloudc.schema.base import link_target
from cloudc.schema.sections.services import FARGATE_SIZES, HealthCheck, Service, deployment_of

SECTION = "services"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
STATEFUL = {"AWS::ECR::Repository": "every image in the repository"}
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# ecr:GetAuthorizationToken has no resource-level permission: AWS's managed execution policy
# is the one place it is granted.
EXECUTION_POLICY = "arn:${AWS::Partition}:iam::aws:policy/service-role/" \
                   "AmazonECSTaskExecutionRolePolicy"



def _ecs(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
    service = ctx.ir.resources.get(c.primary)
    cluster = service.properties.get("Cluster") if service is not None else None
    if not isinstance(cluster, Ref) or not c.physical:
        return None
    return [("ClusterName", cluster), ("ServiceName", str(c.physical))]


# What `monitoring` can watch on a service: its load balancer's metrics and ECS's.
METRICS = {
    **LOAD_BALANCER,
    "cpu": Metric("AWS/ECS", "CPUUtilization", _ecs, stat="Average"),
    "memory": Metric("AWS/ECS", "MemoryUtilization", _ecs, stat="Average"),
}
ALARMS = (
    Default("Http5xxAlarm", "http_5xx", "Sum", ">=", 10,
            "the service answered 10 or more 5xx responses in 5 minutes"),
    Default("UnhealthyAlarm", "unhealthy_hosts", "Maximum", ">", 0,
            "targets failed their health check", 2),
    Default("CpuAlarm", "cpu", "Average", ">=", 90, "CPU at 90% or more for 15 minutes", 3),
)
DASHBOARD = Widget("ECS", ("requests", "http_5xx", "response_time", "cpu", "memory"))

@dataclass
class _Container:
    """What `after_links` completes: the container definition, the secrets the user named and
    the execution role's statements (it must read exactly the secrets the container injects)."""

    definition: dict[str, Any]
    user_secrets: dict[str, Any]
    exec_statements: list[Any]


def declare(name: str, spec: Service, ctx: Context) -> Component:
    """Declare a service: its URL, cluster and name, and its links (compute: it consumes)."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "service", path, ctx.origin(path))
    physical = ctx.physical(name, 255)
    service = ctx.logical(comp, "Service")
    comp.physical, comp.primary, comp.role = physical, service, ctx.logical(comp, "TaskRole")
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    cluster = ctx.logical(_cluster_component(ctx), "Cluster")
    comp.attrs = {
        "id": Ref(service),
        "name": GetAtt(service, "Name", derived=Sub(physical)),
        "service": GetAtt(service, "Name", derived=Sub(physical)),
        "cluster": Ref(cluster, derived=Sub(_cluster_name(ctx))),
        "log_group": Sub(f"/ecs/{physical}"),
        "role_arn": GetAtt(comp.role, "Arn"),
        "security_group": GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId"),
    }
    if spec.load_balancer:
        dns = GetAtt(ctx.logical(comp, "Alb"), "DNSName")
        url: Any = f"https://{spec.domain}" if spec.domain else \
            Sub("http://${dns}", (("dns", dns),))
        comp.attrs.update(url=url, dns_name=dns)
        comp.link_env = {"URL": url}
    comp.statements = []
    comp.environment = {}
    comp.secrets = {}
    comp.security_group = ctx.logical(comp, "SecurityGroup")
    comp.links = [(*link_target(link), path + ("link", i)) for i, link in enumerate(spec.link)]
    linked = {key for key, _, _ in comp.links}
    for container_path, ref in spec.mounts.items():  # a mount needs what a link gives
        key = ".".join(ref.split(".")[:2])
        if key not in linked:
            comp.links.append((key, "read-write", path + ("mounts", container_path)))
            linked.add(key)
    return comp


def _cluster_name(ctx: Context) -> str:
    return ctx.physical("cluster", 255)


def _cluster_component(ctx: Context) -> Component:
    """Return the component that owns the app's one ECS cluster, declaring it on first use."""
    comp = ctx.component(SECTION)
    if comp is None:
        comp = Component(SECTION, "", "cluster", (SECTION,), ctx.origin((SECTION,)))
        ctx.ir.components[comp.key] = comp
    return comp


def _cluster(ctx: Context) -> str:
    """Emit the cluster once; return its logical ID."""
    comp = _cluster_component(ctx)
    lid = ctx.logical(comp, "Cluster")
    if lid not in ctx.ir.resources:
        ctx.add(comp, "Cluster", "AWS::ECS::Cluster", {
            "ClusterName": _cluster_name(ctx),
            "ClusterSettings": [{"Name": "containerInsights",
                                 "Value": "enabled" if ctx.production else "disabled"}],
            "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
        })
    return lid


def lower(comp: Component, spec: Service, ctx: Context) -> None:
    """Emit the repository, roles, task definition, security group, service and scaling."""
    path = comp.path
    cpu, memory = int(spec.cpu), int(spec.memory)
    if memory not in FARGATE_SIZES[cpu]:
        ctx.diags.add("E3005", f"Fargate has no task with {cpu} CPU units and {memory} MiB",
                      origin=ctx.origin(path + ("memory",)) or comp.origin,
                      path=path + ("memory",),
                      hint=f"with cpu {cpu}, memory is one of: "
                           f"{', '.join(str(m) for m in FARGATE_SIZES[cpu])}")
    scaling = spec.scaling
    if scaling.max < scaling.min:
        ctx.diags.add("E3005", f"scaling.max ({scaling.max}) is less than scaling.min "
                      f"({scaling.min})", origin=ctx.origin(path + ("scaling", "max")),
                      path=path + ("scaling", "max"))
    net = require_vpc(ctx, path)
    cluster = _cluster(ctx)
    physical = comp.physical
    assert comp.statements is not None and comp.environment is not None
    image, pull = containers.image(comp, spec, ctx)
    log_name = f"/ecs/{physical}"
    retention = spec.log_retention_days or _retention(ctx)
    log = ctx.add(comp, "Logs", "AWS::Logs::LogGroup",
                  {"LogGroupName": log_name, "RetentionInDays": retention})
    log_arn = arn("logs", f"log-group:{log_name}")
    exec_statements = [statement(["logs:CreateLogStream", "logs:PutLogEvents"],
                                 [Sub(log_arn.template + ":*")])]
    if pull.get("repository") is not None:
        exec_statements.insert(0, statement(ECR_PULL, [pull["repository"]]))
    exec_props: dict[str, Any] = {
        "AssumeRolePolicyDocument": _assume("ecs-tasks.amazonaws.com"),
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": exec_statements}}],
    }
    if pull.get("repository") is not None:
        exec_props["ManagedPolicyArns"] = [Sub(EXECUTION_POLICY)]
    ctx.add(comp, "ExecutionRole", "AWS::IAM::Role", exec_props)
    ctx.add(comp, "TaskRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": _assume("ecs-tasks.amazonaws.com"),
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": comp.statements}}],
    })
    for key, value in spec.environment.items():
        comp.environment[key] = ctx.value(_str(value), path + ("environment", key), weak=True)
    user_secrets = containers.user_secrets(comp, spec, ctx)
    container: dict[str, Any] = {
        "Name": comp.name,
        "Image": image,
        "Essential": True,
        "LogConfiguration": {"LogDriver": "awslogs", "Options": {
            "awslogs-group": Ref(log.logical_id),
            "awslogs-region": Pseudo("AWS::Region"),
            "awslogs-stream-prefix": "ecs"}},
    }
    if spec.load_balancer:
        container["PortMappings"] = [{"ContainerPort": int(spec.port), "Protocol": "tcp",
                                      "Name": "http"}]
    if spec.entrypoint:
        container["EntryPoint"] = spec.entrypoint
    if spec.command:
        container["Command"] = ["sh", "-c", spec.command] if isinstance(spec.command, str) \
            else spec.command
    volumes, mount_points, ready = containers.mounts(comp, spec, ctx)
    if mount_points:
        container["MountPoints"] = mount_points
    task_props: dict[str, Any] = {
        "Family": physical,
        "Cpu": str(cpu),
        "Memory": str(memory),
        "NetworkMode": "awsvpc",
        "RequiresCompatibilities": ["FARGATE"],
        "RuntimePlatform": {"CpuArchitecture": "ARM64" if spec.architecture == "arm64"
                            else "X86_64", "OperatingSystemFamily": "LINUX"},
        "ExecutionRoleArn": GetAtt(ctx.logical(comp, "ExecutionRole"), "Arn"),
        "TaskRoleArn": GetAtt(comp.role, "Arn"),
        "ContainerDefinitions": [container],
    }
    if volumes:
        task_props["Volumes"] = volumes
    task = ctx.add(comp, "TaskDefinition", "AWS::ECS::TaskDefinition", task_props)
    if pull.get("metadata"):
        task.metadata["cloudc:image"] = pull["metadata"]
    # Links fill the environment and secrets in the link_permissions pass; only then is the
    # container's final Environment and Secrets list (and what the execution role reads) known.
    comp.state = _Container(container, user_secrets, exec_statements)

    lb: dict[str, Any] | None = None
    if spec.load_balancer:
        hc = spec.health_check if isinstance(spec.health_check, HealthCheck) else \
            HealthCheck(path=spec.health_check)
        lb = _load_balancer(comp, spec, ctx, hc)
    sg_props: dict[str, Any] = {
        "GroupDescription": f"{physical} service tasks",
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0",
                                 "Description": "outbound (image pulls, AWS APIs, linked "
                                                "resources)"}],
    }
    if lb is not None:
        sg_props["SecurityGroupIngress"] = [{
            "IpProtocol": "tcp", "FromPort": int(spec.port), "ToPort": int(spec.port),
            "SourceSecurityGroupId": GetAtt(lb["security_group"], "GroupId"),
            "Description": "from the load balancer"}]
    ctx.add(comp, "SecurityGroup", "AWS::EC2::SecurityGroup", sg_props)

    public_subnets = vpc_of(net).nat == "none"
    if public_subnets:
        ctx.warn("I1001", "the VPC has no NAT gateway, so tasks run in public subnets with a "
                 "public IP (to pull images and reach AWS APIs); their security group admits "
                 + ("only the load balancer" if spec.load_balancer else "no inbound traffic"),
                 path,
                 hint="`network: { vpc: { nat: single } }` runs them in private subnets")
    desired = int(scaling.min)
    svc_props: dict[str, Any] = {
        "ServiceName": physical,
        "Cluster": Ref(cluster),
        "TaskDefinition": Ref(task.logical_id),
        "PlatformVersion": "LATEST",
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            "MinimumHealthyPercent": 100,
            "MaximumPercent": 200,
        },
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": vpc_of(net).subnets("public" if public_subnets else "private"),
            "SecurityGroups": [GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId")],
            "AssignPublicIp": "ENABLED" if public_subnets else "DISABLED",
        }},
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
    }
    if not _autoscaled(spec):
        # With auto scaling, Application Auto Scaling owns the count (it raises a new service
        # to `min`); a DesiredCount here would reset it on every stack update.
        svc_props["DesiredCount"] = desired
    subnets = vpc_of(net).subnets("public" if public_subnets else "private")
    # Schedules run one-off tasks of this service (`schedules.X.target: services.NAME`).
    comp.run_task = RunTask(
        task_definition=Ref(task.logical_id), task_family=physical,
        cluster=GetAtt(cluster, "Arn", derived=arn("ecs", f"cluster/{_cluster_name(ctx)}")),
        container=comp.name, subnets=subnets,
        security_groups=[GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId")],
        public_ip=public_subnets, spot=bool(spec.spot),
        pass_roles=[GetAtt(ctx.logical(comp, "ExecutionRole"), "Arn"),
                    GetAtt(comp.role, "Arn")])
    if spec.spot:
        svc_props["CapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE_SPOT",
                                                  "Weight": 1}]
    else:
        svc_props["LaunchType"] = "FARGATE"
    after: list[str] = []
    if lb is not None:
        svc_props["LoadBalancers"] = [{"ContainerName": comp.name,
                                       "ContainerPort": int(spec.port),
                                       "TargetGroupArn": Ref(lb["target_group"])}]
        svc_props["HealthCheckGracePeriodSeconds"] = int(lb["grace"])
        after.append(lb["listener"])
        deployment = deployment_of(spec)
        if deployment.strategy == "blue_green":  # no load balancer: E3260 (a check)
            svc_props["DeploymentController"] = {"Type": "ECS"}
            svc_props["DeploymentConfiguration"], advanced = blue_green(
                comp, ctx, lb, int(deployment.bake_minutes))
            svc_props["LoadBalancers"][0]["AdvancedConfiguration"] = advanced  # Refs the rule
    svc = ctx.add(comp, "Service", "AWS::ECS::Service", svc_props)
    # The target groups must be attached to the load balancer first.
    svc.depends_on.extend(after)
    svc.depends_on.extend(d for d in ready if d not in svc.depends_on)
    if lb is not None:
        comp.attrs["url"] = lb["url"]
        comp.attrs["dns_name"] = lb["dns_name"]
        comp.link_env["URL"] = lb["url"]
    _scaling(comp, spec, ctx, cluster, lb)


def _assume(service: str) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}}]}


def _retention(ctx: Context) -> int:
    mon = getattr(ctx.config, "monitoring", None)
    return int(mon.log_retention_days) if mon is not None else 30


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- load balancer and scaling -------------------------------------------------------------


def _load_balancer(comp: Component, spec: Service, ctx: Context, hc: HealthCheck
                   ) -> dict[str, Any]:
    from cloudc.lower._alb import load_balancer

    lb = load_balancer(comp, ctx, port=int(spec.port), health_check=hc.path,
                       domain=spec.domain, path=comp.path, target_type="ip",
                       internal=not spec.public)
    tg = ctx.ir.resources[lb["target_group"]]
    tg.properties.update({
        "HealthCheckIntervalSeconds": int(hc.interval),
        "HealthyThresholdCount": int(hc.healthy_threshold),
        "UnhealthyThresholdCount": int(hc.unhealthy_threshold),
    })
    return {**lb, "grace": hc.grace_period}


def _autoscaled(spec: Service) -> bool:
    """Say whether the service gets a scalable target (it does when max > min)."""
    return int(spec.scaling.max) > int(spec.scaling.min)


def _scaling(comp: Component, spec: Service, ctx: Context, cluster: str,
             lb: dict[str, Any] | None) -> None:
    s = spec.scaling
    path = comp.path + ("scaling",)
    targets = {"cpu": s.cpu_target, "memory": s.memory_target,
               "requests": s.requests_per_target}
    if s.max == s.min:  # a fixed count: no policy (W3182 warns about targets set here)
        return
    if not any(v is not None for v in targets.values()):
        targets["cpu"] = 70
    if targets["requests"] is not None and lb is None:
        ctx.diags.add("E3005", "requests_per_target needs a load balancer",
                      origin=ctx.origin(path + ("requests_per_target",)),
                      path=path + ("requests_per_target",))
        return
    service = comp.primary
    # No RoleARN: Application Auto Scaling uses its ECS service-linked role.
    target = ctx.add(comp, "ScalableTarget", "AWS::ApplicationAutoScaling::ScalableTarget", {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": Join("/", ("service", Ref(cluster), GetAtt(service, "Name"))),
        "MinCapacity": int(s.min),
        "MaxCapacity": int(s.max),
    }, path=path)
    cooldown = int(s.cooldown)
    metrics = {"cpu": "ECSServiceAverageCPUUtilization",
               "memory": "ECSServiceAverageMemoryUtilization",
               "requests": "ALBRequestCountPerTarget"}
    for kind, value in targets.items():
        if value is None:
            continue
        metric: dict[str, Any] = {"PredefinedMetricType": metrics[kind]}
        if kind == "requests" and lb is not None:
            metric["ResourceLabel"] = Join("/", (
                GetAtt(lb["load_balancer"], "LoadBalancerFullName"),
                GetAtt(lb["target_group"], "TargetGroupFullName")))
        ctx.add(comp, f"Scaling{kind.capitalize()}", "AWS::ApplicationAutoScaling::ScalingPolicy", {
            "PolicyName": ctx.physical(f"{comp.name}-{kind}", 256),
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": Ref(target.logical_id),
            "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": float(value),
                "PredefinedMetricSpecification": metric,
                "ScaleInCooldown": cooldown,
                "ScaleOutCooldown": cooldown,
            },
        }, path=path)


def after_links(comp: Component, spec: Service, ctx: Context) -> None:
    """Write the container's final environment and secrets once links have filled them in."""
    if isinstance(comp.state, _Container):  # None when lowering stopped early
        done = comp.state
        containers.finish_container(comp, done.definition, done.user_secrets,
                                    done.exec_statements)

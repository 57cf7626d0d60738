"""Lower `services` entries to ECS Fargate services behind an Application Load Balancer.

All services of an app share one ECS cluster (owned by the `services` component). Each service
gets: an ECR repository when its image is a Dockerfile (scan on push, immutable tags, a
lifecycle), a log group, an execution role (pull from that repository, write to that log
group, read exactly the secrets it injects), a task role (what its links grant), a task
definition, a security group open only to its load balancer, the service itself (deployment
circuit breaker with rollback) and target-tracking auto scaling.

The image tag of a Dockerfile image is a hash of its build context (the Dockerfile's folder):
the same code always gives the same tag, a change gives a new tag and a new task definition,
and tags never need to be overwritten. `cloudc deploy` builds and pushes `REPOSITORY:TAG`
(recorded in the repository's `cloudc:image` metadata) before it updates the stack.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path as FsPath
from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Join, Pseudo, Ref, Sub, arn, pascal, statement
from cloudc.lower.network import require_vpc
from cloudc.schema.base import link_target
from cloudc.schema.sections.services import FARGATE_SIZES, HealthCheck, Service
from cloudc.source import Path

SECTION = "services"
ECR_PULL = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
# ecr:GetAuthorizationToken has no resource-level permission: AWS's managed execution policy
# is the one place it is granted.
EXECUTION_POLICY = "arn:${AWS::Partition}:iam::aws:policy/service-role/" \
                   "AmazonECSTaskExecutionRolePolicy"
_SECRET = re.compile(r"^\$\{\s*secret:([A-Za-z0-9_/+=.@-]+?)(?:\.([A-Za-z0-9_-]+))?\s*\}$")
_SECRET_REF = re.compile(r"^secrets\.([a-z0-9][a-z0-9_-]*)(?:\.([A-Za-z0-9_-]+))?$")
_SSM = re.compile(r"^\$\{\s*ssm:(/[^}\s]+)\s*\}$")
_PRIVATE_ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/([^:@]+)")
_SKIP = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "build", "dist"}


def declare(name: str, spec: Service, ctx: Context) -> Component:
    """Declare a service: its URL, cluster and name, and its links (compute: it consumes)."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "service", path, ctx.origin(path))
    physical = ctx.physical(name, 255)
    service = ctx.logical(comp, "Service")
    comp.extra.update(physical=physical, service=service, role=ctx.logical(comp, "TaskRole"))
    cluster = ctx.logical(_cluster_component(ctx), "Cluster")
    comp.attrs = {
        "id": Ref(service),
        "name": GetAtt(service, "Name", derived=Sub(physical)),
        "service": GetAtt(service, "Name", derived=Sub(physical)),
        "cluster": Ref(cluster, derived=Sub(_cluster_name(ctx))),
        "log_group": Sub(f"/ecs/{physical}"),
        "role_arn": GetAtt(comp.extra["role"], "Arn"),
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
        return
    scaling = spec.scaling
    if scaling.max < scaling.min:
        ctx.diags.add("E3005", f"scaling.max ({scaling.max}) is less than scaling.min "
                      f"({scaling.min})", origin=ctx.origin(path + ("scaling", "max")),
                      path=path + ("scaling", "max"))
        return
    net = require_vpc(ctx, path)
    cluster = _cluster(ctx)
    physical = comp.extra["physical"]
    assert comp.statements is not None and comp.environment is not None
    image, pull = _image(comp, spec, ctx)
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
    user_secrets = _user_secrets(comp, spec, ctx)
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
        container["Command"] = spec.command
    volumes, mount_points, ready = _mounts(comp, spec, ctx)
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
        "TaskRoleArn": GetAtt(comp.extra["role"], "Arn"),
        "ContainerDefinitions": [container],
    }
    if volumes:
        task_props["Volumes"] = volumes
    task = ctx.add(comp, "TaskDefinition", "AWS::ECS::TaskDefinition", task_props)
    if pull.get("metadata"):
        task.metadata["cloudc:image"] = pull["metadata"]
    # Links fill the environment and secrets in the link_permissions pass; only then is the
    # container's final Environment and Secrets list (and what the execution role reads) known.
    comp.extra["after_links"] = lambda ctx: _finish_container(comp, container, user_secrets,
                                                              exec_statements)

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

    public_subnets = net.extra["nat"] == "none"
    if public_subnets:
        ctx.warn("I1001", "the VPC has no NAT gateway, so tasks run in public subnets with a "
                 "public IP (to pull images and reach AWS APIs); their security group admits "
                 "only the load balancer", path,
                 hint="`network: { vpc: { nat: single } }` runs them in private subnets")
    desired = int(scaling.min)
    svc_props: dict[str, Any] = {
        "ServiceName": physical,
        "Cluster": Ref(cluster),
        "TaskDefinition": Ref(task.logical_id),
        "DesiredCount": desired,
        "PlatformVersion": "LATEST",
        "DeploymentConfiguration": {
            "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
            "MinimumHealthyPercent": 100,
            "MaximumPercent": 200,
        },
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": net.extra["public_subnets" if public_subnets else "private_subnets"],
            "SecurityGroups": [GetAtt(ctx.logical(comp, "SecurityGroup"), "GroupId")],
            "AssignPublicIp": "ENABLED" if public_subnets else "DISABLED",
        }},
        "PropagateTags": "SERVICE",
        "EnableECSManagedTags": True,
    }
    if spec.spot:
        svc_props["CapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE_SPOT",
                                                  "Weight": 1}]
    else:
        svc_props["LaunchType"] = "FARGATE"
    if lb is not None:
        svc_props["LoadBalancers"] = [{"ContainerName": comp.name,
                                       "ContainerPort": int(spec.port),
                                       "TargetGroupArn": Ref(lb["target_group"])}]
        svc_props["HealthCheckGracePeriodSeconds"] = int(lb["grace"])
    svc = ctx.add(comp, "Service", "AWS::ECS::Service", svc_props)
    if lb is not None:  # the target group must be attached to the load balancer first
        svc.depends_on.append(lb["listener"])
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


# --- image -------------------------------------------------------------------------------------


def is_dockerfile(image: str) -> bool:
    """Say whether `image` names a Dockerfile to build rather than an image to pull.

    >>> is_dockerfile("./Dockerfile"), is_dockerfile("api/Dockerfile.prod"), is_dockerfile("nginx:1.27")
    (True, True, False)
    """
    base = image.rsplit("/", 1)[-1]
    return image.startswith(("./", "../", "/")) or base.startswith("Dockerfile") \
        or base.endswith(".Dockerfile") or base.endswith(".dockerfile")


def context_hash(folder: FsPath) -> str:
    """Return a stable hash of a build context: every file's relative path and content."""
    digest = hashlib.sha256()
    for file in sorted(_files(folder, folder)):
        rel = file.relative_to(folder).as_posix()
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _files(root: FsPath, folder: FsPath) -> list[FsPath]:
    out = []
    for entry in folder.iterdir():
        if entry.name in _SKIP:
            continue
        if entry.is_dir():
            out.extend(_files(root, entry))
        elif entry.is_file():
            out.append(entry)
    return out


def _image(comp: Component, spec: Service, ctx: Context) -> tuple[Any, dict[str, Any]]:
    """Return the container image and what pulling it needs (repository ARN, metadata)."""
    path = comp.path + ("image",)
    image = spec.image.strip()
    if not is_dockerfile(image):
        m = _PRIVATE_ECR.match(image)
        if m:
            account, region, repo = m.groups()
            repo_arn = Sub(f"arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repo}")
            return image, {"repository": repo_arn}
        return ctx.value(image, path), {}
    dockerfile = (ctx.res.config_dir / image).resolve()
    if not dockerfile.is_file():
        ctx.diags.add("E1007", f"Dockerfile `{image}` not found", origin=ctx.origin(path),
                      path=path, hint=f"looked for {dockerfile}; or give an image URI "
                                      "such as `nginx:1.27`")
        tag = "missing"
    else:
        tag = spec.tag or f"src-{context_hash(dockerfile.parent)}"
    repo_name = ctx.physical(comp.name, 256)
    repo_props: dict[str, Any] = {
        "RepositoryName": repo_name,
        "ImageScanningConfiguration": {"ScanOnPush": True},
        "ImageTagMutability": "IMMUTABLE",
        "EncryptionConfiguration": {"EncryptionType": "AES256"},
        "LifecyclePolicy": {"LifecyclePolicyText": json.dumps({"rules": [
            {"rulePriority": 1, "description": "drop untagged images after a day",
             "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                           "countUnit": "days", "countNumber": 1},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "keep the 30 newest images",
             "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                           "countNumber": 30},
             "action": {"type": "expire"}},
        ]}, separators=(",", ":"))},
    }
    if not ctx.production:
        repo_props["EmptyOnDelete"] = True
    context_dir = dockerfile.parent
    try:
        rel_context = context_dir.relative_to(ctx.res.config_dir.resolve()).as_posix() or "."
    except ValueError:
        rel_context = context_dir.as_posix()
    metadata = {"repository": repo_name, "tag": tag, "dockerfile": image,
                "context": rel_context,
                "platform": "linux/arm64" if spec.architecture == "arm64" else "linux/amd64"}
    repo = ctx.add(comp, "Repository", "AWS::ECR::Repository", repo_props, path=path,
                   stateful=True)
    repo.metadata["cloudc:image"] = metadata
    uri = Sub(f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/"
              f"{repo_name}:{tag}")
    comp.attrs["repository_uri"] = Sub(
        f"${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{repo_name}")
    comp.attrs["image"] = uri
    repo_arn = GetAtt(repo.logical_id, "Arn", derived=arn("ecr", f"repository/{repo_name}"))
    return uri, {"repository": repo_arn.derived, "metadata": metadata}


# --- secrets -----------------------------------------------------------------------------------


def _user_secrets(comp: Component, spec: Service, ctx: Context) -> dict[str, Any]:
    """Turn `secrets:` entries into ECS ValueFrom expressions."""
    out: dict[str, Any] = {}
    for env_name, text in spec.secrets.items():
        path = comp.path + ("secrets", env_name)
        text = text.strip()
        value = _value_from(text, path, ctx)
        if value is not None:
            out[env_name] = value
    return out


def _value_from(text: str, path: Path, ctx: Context) -> Any | None:
    m = _SECRET.match(text) or _SECRET_REF.match(text)
    if m:
        name, key = m.group(1), m.group(2)
        target = ctx.component(f"secrets.{name}")
        if target is None:
            if text.startswith("secrets."):
                ctx.diags.add("E3001", f"`secrets.{name}` is not declared",
                              origin=ctx.origin(path), path=path)
                return None
            base: Any = arn("secretsmanager", f"secret:{name}")
        else:
            base = target.attrs["arn"]
            if _kind(base) == "ssm":
                if key:
                    ctx.diags.add("E3005", f"secret `{name}` is an SSM parameter, which has no "
                                  "JSON keys", origin=ctx.origin(path), path=path)
                return base
        if key:
            return Sub(f"${{arn}}:{key}::", (("arn", base),))
        return base
    m = _SSM.match(text)
    if m:
        return arn("ssm", f"parameter{m.group(1)}")
    if text.startswith("arn:") and (":secretsmanager:" in text or ":ssm:" in text):
        return Sub(text.replace("${", "${!"))
    ctx.diags.add("E2005", f"`{text}` is not a secret reference", origin=ctx.origin(path),
                  path=path, hint="use `${secret:NAME}`, `${secret:NAME.KEY}`, `secrets.NAME`, "
                                  "`${ssm:/path}` or a secret or parameter ARN")
    return None


def _kind(value: Any) -> str:
    """Say whether a ValueFrom points at SSM Parameter Store or Secrets Manager."""
    text = value.template if isinstance(value, Sub) else value if isinstance(value, str) else ""
    return "ssm" if ":ssm:" in text else "secretsmanager"


def _grant_target(value: Any) -> Any:
    """Return the IAM resource that reading a ValueFrom needs (the secret, not its JSON key)."""
    if isinstance(value, Sub) and value.template.startswith("${arn}:") and value.vars:
        return dict(value.vars)["arn"]
    if isinstance(value, Sub) and ":secretsmanager:" in value.template \
            and ":secret:" in value.template and not value.vars:
        body = value.template
        parts = body.split(":")
        if len(parts) >= 7:  # arn:partition:secretsmanager:region:account:secret:name[...]
            name = parts[6]
            base = ":".join(parts[:7])
            return Sub(base if re.search(r"-[A-Za-z0-9]{6}$", name) else base + "-??????")
    return value


def _finish_container(comp: Component, container: dict[str, Any],
                      user_secrets: dict[str, Any], exec_statements: list[Any]) -> None:
    """Write the container's environment and secrets lists and let the execution role read
    exactly the secrets it injects."""
    env = comp.environment or {}
    secrets = {**(comp.secrets or {}), **user_secrets}
    clash = sorted(set(env) & set(secrets))
    for name in clash:  # a secret always wins over a plain value of the same name
        env.pop(name)
    if env:
        container["Environment"] = [{"Name": k, "Value": v} for k, v in sorted(env.items())]
    if secrets:
        container["Secrets"] = [{"Name": k, "ValueFrom": v} for k, v in sorted(secrets.items())]
    sm: list[Any] = []
    ssm: list[Any] = []
    for value in (secrets[k] for k in sorted(secrets)):
        target = _grant_target(value)
        bucket = ssm if _kind(value) == "ssm" else sm
        if target not in bucket:
            bucket.append(target)
    if sm:
        exec_statements.append(statement(["secretsmanager:GetSecretValue"], sm))
    if ssm:
        exec_statements.append(statement(["ssm:GetParameters"], ssm))


# --- mounts ------------------------------------------------------------------------------------


def _mounts(comp: Component, spec: Service, ctx: Context
            ) -> tuple[list[Any], list[Any], list[str]]:
    """Return task volumes, container mount points and the mount targets to wait for."""
    volumes: list[Any] = []
    points: list[Any] = []
    ready: list[str] = []
    for container_path, ref in spec.mounts.items():
        path = comp.path + ("mounts", container_path)
        parts = ref.split(".")
        key = ".".join(parts[:2])
        target = ctx.component(key)
        if parts[0] != "file_systems" or len(parts) not in (2, 3) or target is None:
            ctx.diags.add("E3002", f"`{ref}` is not a file system to mount",
                          origin=ctx.origin(path), path=path,
                          hint="use `file_systems.NAME` or `file_systems.NAME.ACCESS_POINT`")
            continue
        if not container_path.startswith("/"):
            ctx.diags.add("E2005", f"mount path `{container_path}` is not absolute",
                          origin=ctx.origin(path), path=path)
            continue
        access_points = target.extra.get("access_points", {})
        auth: dict[str, Any] = {"IAM": "ENABLED"}
        if len(parts) == 3:
            if parts[2] not in access_points:
                ctx.diags.add("E3001", f"`{key}` has no access point `{parts[2]}`",
                              origin=ctx.origin(path), path=path,
                              hint=f"access points: {', '.join(access_points) or 'none'}")
                continue
            auth["AccessPointId"] = access_points[parts[2]]["id"]
        volume = f"{pascal(target.name)}{pascal(parts[2]) if len(parts) == 3 else ''}"
        if volume not in [v["Name"] for v in volumes]:
            volumes.append({"Name": volume, "EFSVolumeConfiguration": {
                "FilesystemId": target.attrs["id"], "TransitEncryption": "ENABLED",
                "AuthorizationConfig": auth}})
        points.append({"SourceVolume": volume, "ContainerPath": container_path,
                       "ReadOnly": False})
        from cloudc.lower.file_systems import mount_ready

        ready.extend(d for d in mount_ready(target, ctx) if d not in ready)
    return volumes, points, ready


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


def _scaling(comp: Component, spec: Service, ctx: Context, cluster: str,
             lb: dict[str, Any] | None) -> None:
    s = spec.scaling
    path = comp.path + ("scaling",)
    targets = {"cpu": s.cpu_target, "memory": s.memory_target,
               "requests": s.requests_per_target}
    if s.max == s.min and not any(v is not None for v in targets.values()):
        return
    if s.max == s.min:
        ctx.warn("I1001", "scaling targets have no effect while min equals max", path)
        return
    if not any(v is not None for v in targets.values()):
        targets["cpu"] = 70
    if targets["requests"] is not None and lb is None:
        ctx.diags.add("E3005", "requests_per_target needs a load balancer",
                      origin=ctx.origin(path + ("requests_per_target",)),
                      path=path + ("requests_per_target",))
        return
    service = comp.extra["service"]
    # No RoleARN: Application Auto Scaling uses its ECS service-linked role.
    target = ctx.add(comp, "ScalableTarget", "AWS::ApplicationAutoScaling::ScalableTarget", {
        "ServiceNamespace": "ecs",
        "ScalableDimension": "ecs:service:DesiredCount",
        "ResourceId": Join("/", ("service", Ref(cluster), GetAtt(service, "Name"))),
        "MinCapacity": int(s.min),
        "MaxCapacity": int(s.max),
    }, path=path)
    target.depends_on.append(service)
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

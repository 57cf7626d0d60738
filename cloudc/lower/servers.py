"""Lower `servers` entries to EC2: launch template, role, security group, and either an Auto
Scaling group behind an ALB or a single instance (with an Elastic IP when public).

Where instances run: private subnets when the VPC has NAT, else public subnets with a public
IP (they need egress to install packages), reachable only from their load balancer either way.
Shell access is through Session Manager (AmazonSSMManagedInstanceCore), not SSH.
"""

from __future__ import annotations

import re
from typing import Any

from cloudc import recipes as recipe_book
from cloudc.capabilities import Default, Metric, Widget
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Base64, Component, Expr, GetAtt, Join, Ref, Sub, arn, state_of, statement
from cloudc.lower._alb import load_balancer, web_acl_attachment
from cloudc.lower._metrics import LOAD_BALANCER
from cloudc.lower._servers_app import (
    AppState,
    app_statements,
    code_key,
    render_context,
    wait_for_group,
    wait_for_instance,
)
from cloudc.lower._vpc import require_vpc, vpc_of
from cloudc.schema.base import link_target
from cloudc.schema.sections.servers import Server
from cloudc.source import Path

SECTION = "servers"
SSM_CORE = "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
IMAGES = {
    # name: (SSM parameter with {arch} = amd64|arm64 or x86_64|arm64, root device)
    "ubuntu-24.04": ("/aws/service/canonical/ubuntu/server/24.04/stable/current/{deb}/hvm/"
                     "ebs-gp3/ami-id", "/dev/sda1"),
    "ubuntu-22.04": ("/aws/service/canonical/ubuntu/server/22.04/stable/current/{deb}/hvm/"
                     "ebs-gp2/ami-id", "/dev/sda1"),
    "amazon-linux-2023": ("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{rpm}",
                          "/dev/xvda"),
}
WEB_SERVERS = ("nginx", "caddy")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# What `monitoring` can watch on servers: their load balancer's metrics; `lower` adds EC2's.
METRICS = dict(LOAD_BALANCER)
ALARMS = (
    Default("Http5xxAlarm", "http_5xx", "Sum", ">=", 10,
            "the servers answered 10 or more 5xx responses in 5 minutes"),
    Default("UnhealthyAlarm", "unhealthy_hosts", "Maximum", ">", 0,
            "instances failed their health check", 2),
)
DASHBOARD = Widget("EC2", ("requests", "http_5xx", "response_time", "unhealthy_hosts"))


def declare(name: str, spec: Server, ctx: Context) -> Component:
    """Declare a server group: its attributes and its own links."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "server", path, ctx.origin(path))
    comp.statements = []
    comp.environment = {}
    comp.secrets = {}
    comp.links = [(*link_target(link), path + ("link", i)) for i, link in enumerate(spec.link)]
    comp.security_group = ctx.logical(comp, "SecurityGroup")
    role = ctx.logical(comp, "Role")
    comp.role, comp.physical = role, ctx.physical(name, 128)
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    comp.state = AppState()
    comp.attrs = {
        "role_arn": GetAtt(role, "Arn"),
        "role_name": Ref(role),
        "security_group": GetAtt(comp.security_group, "GroupId"),
    }
    if _behind_alb(spec):
        alb = ctx.logical(comp, "Alb")
        comp.attrs["dns_name"] = GetAtt(alb, "DNSName")
        comp.attrs["url"] = (f"https://{spec.domain}" if spec.domain
                             else Sub("http://${dns}", (("dns", GetAtt(alb, "DNSName")),)))
    if spec.scaling is not None:
        comp.attrs["id"] = comp.attrs["asg_name"] = Ref(ctx.logical(comp, "Group"))
    else:
        comp.attrs["id"] = comp.attrs["instance_id"] = Ref(ctx.logical(comp, "Instance"))
        if spec.public:
            eip = ctx.logical(comp, "Eip")
            comp.attrs["public_ip"] = Ref(eip)
            scheme = "https" if _tls_on_instance(spec) else "http"
            comp.attrs["url"] = (f"{scheme}://{spec.domain}" if spec.domain
                                 else Sub("http://${ip}", (("ip", Ref(eip)),)))
    return comp


def _behind_alb(spec: Server) -> bool:
    if spec.scaling is not None:
        return True
    if spec.public:
        return False
    if spec.load_balancer is not None:
        return bool(spec.load_balancer)
    return spec.domain is not None


def _recipes(spec: Server) -> list[str]:
    """Return the recipes this server runs: those listed, what they need (pm2 -> node,
    composer -> php, lets-encrypt -> nginx), and `systemd` when `start` is set and neither
    pm2 nor systemd would run it (SPEC 1.6: `start` is a systemd service); unknown names are
    left out (they are reported by `_check`)."""
    return recipe_book.resolve(_asked(spec))


def _asked(spec: Server) -> list[str]:
    """Return the known recipes listed, plus `systemd` when `start` needs something to run it."""
    names = [c for c in (recipe_book.canonical(r) for r in spec.recipes) if c is not None]
    if spec.start and "pm2" not in names and "systemd" not in names:
        names.append("systemd")
    return names


def recipes_of(spec: Server) -> list[str]:
    """Return every recipe the server runs, in order (see `_recipes`)."""
    return _recipes(spec)


def target_port(spec: Server) -> int:
    """Return the port the load balancer sends to: `port`, else 80 with nginx or caddy, else
    `app_port`."""
    web = any(r in _recipes(spec) for r in WEB_SERVERS)
    return int(spec.port or (80 if web else spec.app_port))


def app_port(spec: Server) -> int:
    """Return the port the app listens on (exported as PORT): `app_port` when set, else
    `port` when no nginx or caddy sits in front (the load balancer then asks the app itself),
    else 3000."""
    web = any(r in _recipes(spec) for r in WEB_SERVERS)
    if "app_port" in spec.model_fields_set or web or not spec.port:
        return int(spec.app_port)
    return int(spec.port)


def _tls_on_instance(spec: Server) -> bool:
    names = _recipes(spec)
    return bool(spec.public and spec.domain and ("caddy" in names or "lets-encrypt" in names))


def lower(comp: Component, spec: Server, ctx: Context) -> None:
    """Emit the role, security group, launch template and the instances behind their ALB."""
    path = comp.path
    if not _check(comp, spec, ctx):
        return
    net = require_vpc(ctx, path)
    port = target_port(spec)
    alb_wanted = _behind_alb(spec)
    if alb_wanted and vpc_of(net).zones < 2:
        ctx.diags.add("E3005", "a load balancer needs subnets in at least 2 zones, and the VPC "
                      "has 1", origin=ctx.origin(path), path=path,
                      hint="set network.vpc.zones to 2 or more")
        return
    if spec.ssh_key:
        ctx.warn("W1003", "an SSH key pair is set, but no SSH port is opened: connect with "
                 "Session Manager (`aws ssm start-session`), or open port 22 yourself",
                 path + ("ssh_key",))
    lb = None
    if alb_wanted:
        lb = load_balancer(comp, ctx, port=port, health_check=spec.health_check,
                           domain=spec.domain, path=path, target_type="instance")
        comp.attrs["url"] = lb["url"]
    private = vpc_of(net).nat != "none" and not spec.public
    if vpc_of(net).nat == "none" and not spec.public:
        ctx.diags.add("I1001", "the VPC has no NAT gateway, so these instances run in public "
                      "subnets with public IPs (to install packages); only their load "
                      "balancer can reach them" if lb else "the VPC has no NAT gateway, so "
                      "this instance runs in a public subnet with a public IP (to install "
                      "packages); nothing can reach it from outside",
                      origin=ctx.origin(path), path=path,
                      hint="network.vpc.nat: single keeps instances in private subnets")
    assert comp.environment is not None
    for key, value in spec.environment.items():  # before links, so they win over link values
        comp.environment[key] = ctx.value(_str(value), path + ("environment", key), weak=True)
    _secret_grants(comp, spec, ctx)
    key = state_of(comp, AppState).key = code_key(comp, spec, ctx)
    if key and comp.statements is not None:
        comp.statements.extend(app_statements(key))
    sg = _security_group(comp, spec, ctx, net, port, lb)
    _log_group(comp, spec, ctx)
    profile = _role(comp, ctx)
    template = _launch_template(comp, spec, ctx, profile, sg,
                                public_ip=not private, in_template=spec.scaling is not None)
    if spec.scaling is not None:
        _group(comp, spec, ctx, net, template, lb, private)
    else:
        _instance(comp, spec, ctx, net, template, sg, lb, port, private)
    _monitoring(comp, spec, ctx)


def _check(comp: Component, spec: Server, ctx: Context) -> bool:
    """Report unknown recipes and settings that cannot work together; say whether all is well."""
    path = comp.path
    ok = True
    for i, name in enumerate(spec.recipes):
        if recipe_book.canonical(name) is None:
            known = [*recipe_book.RECIPES, *recipe_book.ALIASES]
            ctx.diags.add("E3007", f"unknown recipe `{name}`; known recipes: "
                          f"{', '.join(recipe_book.RECIPES)}",
                          origin=ctx.origin(path + ("recipes", i)), path=path + ("recipes", i),
                          hint=did_you_mean(name, known))
            ok = False
    names = _recipes(spec)

    def bad(message: str, key: str, hint: str | None = None) -> None:
        nonlocal ok
        ok = False
        ctx.diags.add("E3005", message, origin=ctx.origin(path + (key,)), path=path + (key,),
                      hint=hint)

    asked = {recipe_book.canonical(r) for r in spec.recipes}
    if "caddy" in names and "lets-encrypt" in names:
        bad("the lets-encrypt recipe configures nginx, and caddy gets its own certificates: "
            "keep one", "recipes", hint="drop lets-encrypt to serve HTTPS with caddy")
    elif "nginx" in names and "caddy" in names:
        bad("nginx and caddy both serve port 80: keep one", "recipes")
    if "lets-encrypt" in names:
        if not spec.domain:
            bad("the lets-encrypt recipe needs a `domain`", "recipes")
        elif not spec.public:
            bad("lets-encrypt runs on the instance, so it needs `public: true`; behind a load "
                "balancer the certificate comes from ACM", "recipes",
                hint="drop lets-encrypt, or set public: true without scaling")
    if ("systemd" in names or "pm2" in names) and spec.start is not None:
        if "'" in spec.start or "\n" in spec.start:
            bad("`start` cannot contain single quotes or line breaks", "start")
    if "systemd" in asked and not spec.start:
        bad("the systemd recipe needs `start`, the command that runs the app", "recipes")
    if spec.public and spec.scaling is not None:
        bad("`public` is for a single instance; with `scaling` a load balancer faces the "
            "internet", "public")
    if spec.public and spec.load_balancer:
        bad("`public` puts the instance itself on the internet; drop `load_balancer`", "public")
    for key, value in spec.environment.items():
        if not ENV_NAME.match(key):
            bad(f"`{key}` is not a valid environment variable name", "environment")
        elif isinstance(value, str) and ("'" in value or "\n" in value):
            ok = False
            p = path + ("environment", key)
            ctx.diags.add("E2005", "environment values on servers cannot contain single "
                          "quotes or line breaks (they go into an env file)",
                          origin=ctx.origin(p), path=p)
    if spec.scaling is not None and spec.scaling.max < 1:
        bad("scaling.max must be at least 1", "scaling")
    return ok


def _security_group(comp: Component, spec: Server, ctx: Context, net: Component, port: int,
                    lb: dict[str, Any] | None) -> str:
    ingress: list[dict[str, Any]] = []
    if lb is not None:
        ingress.append({"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                        "SourceSecurityGroupId": GetAtt(lb["security_group"], "GroupId"),
                        "Description": "from the load balancer"})
    elif spec.public:
        ports = sorted({80, 443, port})
        for p in ports:
            ingress.append({"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                            "CidrIp": "0.0.0.0/0", "Description": "from the internet"})
        if not _tls_on_instance(spec):
            ctx.warn("W1001", "this public server has no TLS: add a `domain` and the caddy or "
                     "lets-encrypt recipe to serve HTTPS", comp.path + ("public",))
    props: dict[str, Any] = {
        "GroupDescription": f"{comp.physical} instances",
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0",
                                 "Description": "packages, AWS APIs and linked resources"}],
    }
    if ingress:
        props["SecurityGroupIngress"] = ingress
    return ctx.add(comp, "SecurityGroup", "AWS::EC2::SecurityGroup", props).logical_id


def log_group_name(comp: Component, ctx: Context) -> str:
    """Return the name of the log group the server's instances send /var/log/cloudc to."""
    return f"/cloudc/{ctx.slug}-{ctx.env}/servers/{comp.name}"


def _log_group(comp: Component, spec: Server, ctx: Context) -> None:
    """Add the server's log group, and let the instances (their CloudWatch agent) write to it
    and only to it: streams are created by the agent, one per instance and file."""
    name = log_group_name(comp, ctx)
    mon = getattr(ctx.config, "monitoring", None)
    retention = spec.log_retention_days or (int(mon.log_retention_days) if mon is not None
                                            else 30)
    ctx.add(comp, "Logs", "AWS::Logs::LogGroup",
            {"LogGroupName": name, "RetentionInDays": retention})
    group_arn = arn("logs", f"log-group:{name}")
    assert comp.statements is not None
    comp.statements.append(statement(
        ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        [group_arn, Sub(group_arn.template + ":*")]))


def _role(comp: Component, ctx: Context) -> str:
    """Add the instance role (Session Manager + link statements) and profile; return the profile."""
    ctx.add(comp, "Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [Sub(SSM_CORE)],
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": comp.statements}}],
    })
    return ctx.add(comp, "InstanceProfile", "AWS::IAM::InstanceProfile",
                   {"Roles": [Ref(comp.role)]}).logical_id


def _architecture(spec: Server) -> str:
    """Return arm64 for Graviton instance families (a1, t4g, m7g, c7gn, g5g, ...), else x86_64.

    >>> _architecture(Server(instance="t4g.small")), _architecture(Server(instance="g5.xlarge"))
    ('arm64', 'x86_64')
    >>> _architecture(Server(instance="a1.large")), _architecture(Server(instance="g4dn.xlarge"))
    ('arm64', 'x86_64')
    """
    if spec.architecture:
        return spec.architecture
    family = spec.instance.split(".", 1)[0]
    if family == "a1":  # the first Graviton generation has no `g` in its name
        return "arm64"
    m = re.match(r"^[a-z]+\d+([a-z-]*)$", family)
    return "arm64" if m and "g" in m.group(1).split("-")[0] else "x86_64"


def _image(spec: Server) -> tuple[str, str]:
    """Return (ImageId value, root device name)."""
    arch = _architecture(spec)
    if spec.image in IMAGES:
        param, root = IMAGES[spec.image]
        name = param.format(deb="arm64" if arch == "arm64" else "amd64",
                            rpm="arm64" if arch == "arm64" else "x86_64")
        # EC2 resolves the parameter at each launch: new AMIs reach new instances without a
        # deploy, and a new AMI never changes the template (nor replaces a running instance).
        return f"resolve:ssm:{name}", root
    return spec.image, spec.root_device or "/dev/xvda"


def _launch_template(comp: Component, spec: Server, ctx: Context, profile: str, sg: str, *,
                     public_ip: bool, in_template: bool) -> str:
    image, root = _image(spec)
    data: dict[str, Any] = {
        "ImageId": image,
        "InstanceType": spec.instance,
        "IamInstanceProfile": {"Arn": GetAtt(profile, "Arn")},
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled",
                            "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [{"DeviceName": root, "Ebs": {
            "VolumeSize": spec.disk_gb, "VolumeType": "gp3", "Encrypted": True,
            "DeleteOnTermination": True}}],
        "Monitoring": {"Enabled": bool(spec.detailed_monitoring)},
        "UserData": "",
        "TagSpecifications": [
            {"ResourceType": kind, "Tags": [{"Key": "Name", "Value": comp.physical}]}
            for kind in ("instance", "volume")
        ],
    }
    if in_template:  # the group picks the subnet; the interface carries SG and public IP
        data["NetworkInterfaces"] = [{"DeviceIndex": 0, "Groups": [GetAtt(sg, "GroupId")],
                                      "AssociatePublicIpAddress": public_ip,
                                      "DeleteOnTermination": True}]
    if spec.ssh_key:
        data["KeyName"] = spec.ssh_key
    return ctx.add(comp, "LaunchTemplate", "AWS::EC2::LaunchTemplate", {
        "LaunchTemplateName": comp.physical,
        "LaunchTemplateData": data,
    }).logical_id


def _group(comp: Component, spec: Server, ctx: Context, net: Component, template: str,
           lb: dict[str, Any] | None, private: bool) -> None:
    scaling = spec.scaling
    assert scaling is not None
    lo, hi = int(scaling.min), int(scaling.max)
    props: dict[str, Any] = {
        "MinSize": str(lo),
        "MaxSize": str(hi),
        "LaunchTemplate": {"LaunchTemplateId": Ref(template),
                           "Version": GetAtt(template, "LatestVersionNumber")},
        "VPCZoneIdentifier": vpc_of(net).subnets("private" if private else "public"),
        "HealthCheckType": "ELB" if lb else "EC2",
        "HealthCheckGracePeriod": 600,
        "MetricsCollection": [{"Granularity": "1Minute"}],
    }
    if lb is not None:
        props["TargetGroupARNs"] = [Ref(lb["target_group"])]
    group = ctx.add(comp, "Group", "AWS::AutoScaling::AutoScalingGroup", props,
                    path=comp.path + ("scaling",))
    if spec.code:  # each new instance signals when the app answers; a failure rolls back
        wait_for_group(group, spec, lo, hi)
    else:  # new launch template versions roll through the group one at a time
        group.update_policy = {"AutoScalingRollingUpdate": {
            "MinInstancesInService": min(lo, hi - 1) if hi > 1 else 0,
            "MaxBatchSize": 1,
            "PauseTime": "PT5M",  # time for the recipes to finish before the next batch
        }}
    _scaling_policy(comp, spec, ctx, group.logical_id, lo, hi)


def _scaling_policy(comp: Component, spec: Server, ctx: Context, group: str, lo: int,
                    hi: int) -> None:
    """Add target tracking on average CPU, unless the group has a fixed size."""
    scaling = spec.scaling
    assert scaling is not None
    if lo == hi:  # nothing to scale: no policy (the checks warn about a cpu_target here)
        return
    ctx.add(comp, "CpuScaling", "AWS::AutoScaling::ScalingPolicy", {
        "AutoScalingGroupName": Ref(group),
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingConfiguration": {
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": float(scaling.cpu_target),
        },
    }, path=comp.path + ("scaling", "cpu_target"))


def _instance(comp: Component, spec: Server, ctx: Context, net: Component, template: str,
              sg: str, lb: dict[str, Any] | None, port: int, private: bool) -> None:
    subnets = vpc_of(net).subnets("private" if private else "public")
    res = ctx.add(comp, "Instance", "AWS::EC2::Instance", {
        "LaunchTemplate": {"LaunchTemplateId": Ref(template),
                           "Version": GetAtt(template, "LatestVersionNumber")},
        "NetworkInterfaces": [{"DeviceIndex": "0", "SubnetId": subnets[0],
                               "GroupSet": [GetAtt(sg, "GroupId")],
                               "AssociatePublicIpAddress": not private,
                               "DeleteOnTermination": True}],
    })
    instance = res.logical_id
    if spec.code:  # a code change replaces the instance; the new one signals when it answers
        wait_for_instance(res, spec)
    if lb is not None:
        tg = ctx.ir.resources[lb["target_group"]]
        tg.properties["Targets"] = [{"Id": Ref(instance), "Port": port}]
    if spec.public:
        eip = ctx.add(comp, "Eip", "AWS::EC2::EIP", {
            "Domain": "vpc", "InstanceId": Ref(instance),
            "Tags": [{"Key": "Name", "Value": comp.physical}]},
            path=comp.path + ("public",))
        if spec.domain:
            _a_record(comp, spec, ctx, eip.logical_id)


def _a_record(comp: Component, spec: Server, ctx: Context, eip: str) -> None:
    from cloudc.lower._zones import note_outside, zone_for

    assert spec.domain is not None
    path = comp.path + ("domain",)
    zone = zone_for(ctx, spec.domain)
    if zone is None:
        note_outside(ctx, spec.domain, path, "point an A record at the Elastic IP yourself")
        return
    ctx.add(comp, "DnsRecord", "AWS::Route53::RecordSet", {
        "HostedZoneId": zone, "Name": spec.domain, "Type": "A", "TTL": "300",
        "ResourceRecords": [Ref(eip)]}, path=path)


def _monitoring(comp: Component, spec: Server, ctx: Context) -> None:
    """Offer EC2 metrics to `monitoring` (cpu; status checks and their alarm for one instance)."""
    dims = _group_dims if spec.scaling is not None else _instance_dims
    comp.metrics.update({
        "cpu": Metric("AWS/EC2", "CPUUtilization", dims),
        "status_check_failed": Metric("AWS/EC2", "StatusCheckFailed", dims),
    })
    if spec.scaling is None:  # a group replaces failed instances itself; one instance cannot
        comp.alarms += (Default("StatusCheckAlarm", "status_check_failed", "Maximum",
                                ">", 0, "the instance failed its status checks", 2),)


def _group_dims(c: Component, ctx: Context) -> list[tuple[str, Any]]:
    return [("AutoScalingGroupName", Ref(ctx.logical(c, "Group")))]


def _instance_dims(c: Component, ctx: Context) -> list[tuple[str, Any]]:
    return [("InstanceId", Ref(ctx.logical(c, "Instance")))]


# --- user data ------------------------------------------------------------------------------

def after_links(comp: Component, spec: Server, ctx: Context) -> None:
    """Compose the user data once links have filled in the environment and secrets."""
    template = ctx.logical(comp, "LaunchTemplate")
    if template not in ctx.ir.resources:
        return  # lowering stopped early (an error was reported)
    path = comp.path
    assert comp.environment is not None and comp.secrets is not None and \
        comp.statements is not None
    values: list[Any] = []

    def hole(value: Any) -> str:
        values.append(value)
        return f"@@CLOUDC_HOLE_{len(values) - 1}@@"

    env: dict[str, str] = {}
    secrets = []
    for key, value in comp.environment.items():
        reference = _dynamic_secret(value)
        if reference is not None:  # read at boot, so the value never sits in user data
            secrets.append((key, hole(reference) if isinstance(reference, Expr) else reference))
        else:
            env[key] = hole(value) if isinstance(value, Expr) else str(value)
    # Linked secrets arrive as references (a Secrets Manager ARN, with :key:: for one JSON
    # key, or an SSM parameter ARN); the link already granted reading them.
    secrets += [(key, hole(value) if isinstance(value, Expr) else str(value))
                for key, value in comp.secrets.items()]
    names = _asked(spec)  # render adds what they need, and names it in the script's header
    signal_target = ctx.logical(comp, "Group" if spec.scaling is not None else "Instance")
    serving = bool(spec.start) or any(r in _recipes(spec) for r in WEB_SERVERS)
    app = render_context(spec, state_of(comp, AppState).key, signal_target, target_port(spec),
                         serving, hole)
    extra = None
    if spec.user_data:
        text = ctx.value(spec.user_data, path + ("user_data",), weak=True)
        extra = hole(text) if isinstance(text, Expr) else text
    script = recipe_book.render(names, {
        "name": comp.physical,
        "app_dir": spec.directory,
        "app_port": app_port(spec),
        "health_check": spec.health_check,
        "domain": spec.domain or "",
        "email": spec.email or "",
        "start": spec.start or "",
        "service": re.sub(r"[^a-z0-9-]", "-", comp.name),
        "tls_on_instance": _tls_on_instance(spec),
        "environment": env,
        "secrets": secrets,
        "user_data": extra,
        "log_group": log_group_name(comp, ctx),
        **app,
    })
    lt = ctx.ir.resources[template]
    lt.properties["LaunchTemplateData"]["UserData"] = Base64(_sub(script, values))
    role = ctx.ir.resources.get(comp.role)
    if role is not None:
        role.properties.pop("Policies", None)
        if comp.statements:
            role.properties["Policies"] = [{"PolicyName": "cloudc", "PolicyDocument": {
                "Version": "2012-10-17", "Statement": comp.statements}}]


def _sub(script: str, values: list[Any]) -> Join | str:
    """Fill the script's holes: a plain string, or a Join of literal text and expressions."""
    parts: list[Any] = []
    for piece in re.split(r"(@@CLOUDC_HOLE_\d+@@)", script):
        m = re.fullmatch(r"@@CLOUDC_HOLE_(\d+)@@", piece)
        value = values[int(m.group(1))] if m else piece
        if isinstance(value, Sub) and not value.vars and "${" not in value.template:
            value = value.template
        if isinstance(value, str) and parts and isinstance(parts[-1], str):
            parts[-1] += value
        elif value != "":
            parts.append(value)
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    return Join("", tuple(parts))


SECRET_REFS = ("{{resolve:secretsmanager:", "{{resolve:ssm-secure:")


def _dynamic_secret(value: Any) -> Any:
    """Return a secret dynamic reference without its braces (for the boot script), else None."""
    text = value.template if isinstance(value, Sub) else value
    if not isinstance(text, str) or not text.startswith(SECRET_REFS) or not text.endswith("}}"):
        return None
    if isinstance(value, Sub):
        return Sub(text[2:-2], value.vars)
    return text[2:-2]


def _secret_grants(comp: Component, spec: Server, ctx: Context) -> None:
    """Let the instance read the secrets its `environment` names with `${secret:...}`."""
    assert comp.statements is not None
    for key, value in spec.environment.items():
        if not isinstance(value, str):
            continue
        for name in re.findall(r"\$\{\s*secret:\s*([A-Za-z0-9_-]+)", value):
            target = ctx.component(f"secrets.{name}")
            if target is not None:
                grants = target.grants.get("read", [])
            else:
                grants = [statement(["secretsmanager:GetSecretValue"], [arn(
                    "secretsmanager", f"secret:{name}-??????")])]
            for st in grants:
                if st not in comp.statements:
                    comp.statements.append(st)
            where = comp.path + ("environment", key)
            if not re.fullmatch(r"\$\{\s*secret:[^{}]+\}", value.strip()):
                ctx.diags.add("E3005", "on servers a `${secret:...}` must be the whole value "
                              "(it is read at boot, never written into user data)",
                              origin=ctx.origin(where), path=where)


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = ["SECTION", "Path", "app_port", "declare", "lower", "recipes_of", "target_port",
           "web_acl_attachment"]  # security.waf protects the load balancer

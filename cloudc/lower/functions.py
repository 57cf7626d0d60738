"""Lower `functions` entries to Lambda functions, roles, log groups and event sources."""

from __future__ import annotations

from typing import Any

from cloudc.capabilities import Default, Invocable, Metric, Widget
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, collect_targets, statement
from cloudc.lower import _functions_delivery as delivery
from cloudc.lower import _functions_release as release
from cloudc.lower._metrics import named
from cloudc.schema.sections.functions import Event, Function

SECTION = "functions"
AFTER = ("storage",)  # bucket events add a notification to the bucket
S3_EVENTS = {"created": "s3:ObjectCreated:*", "removed": "s3:ObjectRemoved:*",
             "restored": "s3:ObjectRestore:*"}

_FN = named("FunctionName")
# What `monitoring` can watch on a function.
METRICS = {
    "errors": Metric("AWS/Lambda", "Errors", _FN),
    "throttles": Metric("AWS/Lambda", "Throttles", _FN),
    "invocations": Metric("AWS/Lambda", "Invocations", _FN),
    "duration": Metric("AWS/Lambda", "Duration", _FN, stat="Average"),
    "concurrent_executions": Metric("AWS/Lambda", "ConcurrentExecutions", _FN),
    "iterator_age": Metric("AWS/Lambda", "IteratorAge", _FN, stat="Maximum"),
}
ALARMS = (
    Default("ErrorsAlarm", "errors", "Sum", ">", 0, "invocations failed"),
    Default("ThrottlesAlarm", "throttles", "Sum", ">", 0, "invocations were throttled"),
)
DASHBOARD = Widget("Lambda", ("invocations", "errors", "throttles", "duration"))


def declare(name: str, spec: Function, ctx: Context) -> Component:
    """Declare a function: its attributes, what linking it grants, and its own links."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "function", path, ctx.origin(path))
    physical = ctx.physical(name, 64)
    fn = ctx.logical(comp, "Function")
    fn_arn = arn("lambda", f"function:{physical}")
    comp.physical, comp.role = physical, ctx.logical(comp, "Role")
    comp.attrs = {
        "id": Ref(fn, derived=Sub(physical)),
        "name": Ref(fn, derived=Sub(physical)),
        "arn": GetAtt(fn, "Arn", derived=fn_arn),
        "role_arn": GetAtt(comp.role, "Arn"),
        "log_group": Sub(f"/aws/lambda/{physical}"),
    }
    # The function and its versions and aliases (`name:live`): a workflow's lambda:invoke task
    # or an SDK call with a Qualifier invokes the qualified ARN, which `fn_arn` does not cover.
    invoke = [fn_arn, Sub(fn_arn.template + ":*")]
    comp.grants = {"read": [statement(["lambda:InvokeFunction"], invoke)],
                   "write": [statement(["lambda:InvokeFunction"], invoke)]}
    comp.link_env = {"NAME": Sub(physical), "ARN": fn_arn}
    comp.statements = []
    comp.environment = {}
    comp.links = [(*_link(link), path + ("link", i)) for i, link in enumerate(spec.link)]
    comp.invoke = Invocable(fn, comp.attrs["arn"], comp.attrs["name"])
    release.declare(comp, spec, ctx, fn_arn)  # with `release`, callers invoke the alias
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    return comp


def _link(link: Any) -> tuple[str, str]:
    from cloudc.schema.base import link_target

    return link_target(link)


def lower(comp: Component, spec: Function, ctx: Context) -> None:
    """Emit the role, log group, function and one set of resources per event."""
    path = comp.path
    physical = comp.physical
    log_group_name = f"/aws/lambda/{physical}"
    retention = spec.log_retention_days or _retention(ctx)
    log = ctx.add(comp, "Logs", "AWS::Logs::LogGroup",
                  {"LogGroupName": log_group_name, "RetentionInDays": retention})
    assert comp.statements is not None and comp.environment is not None
    log_arn = arn("logs", f"log-group:{log_group_name}")
    comp.statements.append(statement(["logs:CreateLogStream", "logs:PutLogEvents"],
                                     [Sub(log_arn.template + ":*")]))
    managed = []
    if spec.tracing:
        managed.append(Sub("arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"))
    vpc = _vpc(comp, spec, ctx)
    if vpc is not None:
        managed.append(Sub(
            "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"))
    role_props: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": comp.statements}}],
    }
    if managed:
        role_props["ManagedPolicyArns"] = managed
    ctx.add(comp, "Role", "AWS::IAM::Role", role_props)
    for key, value in spec.environment.items():
        comp.environment[key] = ctx.value(_str(value), path + ("environment", key), weak=True)
    props: dict[str, Any] = {
        "FunctionName": physical,
        "Runtime": spec.runtime,
        "Handler": spec.handler,
        "Code": _code(spec, path, ctx),
        "MemorySize": spec.memory,
        "Timeout": spec.timeout,
        "Architectures": [spec.architecture],
        "Role": GetAtt(comp.role, "Arn"),
        "Environment": {"Variables": comp.environment},
        "LoggingConfig": {"LogGroup": Ref(log.logical_id)},
    }
    if spec.description:
        props["Description"] = spec.description
    if spec.tracing:
        props["TracingConfig"] = {"Mode": "Active"}
    if spec.reserved_concurrency is not None:
        props["ReservedConcurrentExecutions"] = spec.reserved_concurrency
    if spec.ephemeral_storage:
        props["EphemeralStorage"] = {"Size": spec.ephemeral_storage}
    if spec.layers:
        props["Layers"] = [_layer(comp, spec, i, ctx) for i in range(len(spec.layers))]
    dlq = delivery.dead_letter(comp, spec, ctx)
    if dlq is not None:
        props["DeadLetterConfig"] = dlq
    mounts = _mounts(comp, ctx) if vpc is not None else []
    if vpc is not None:
        props["VpcConfig"] = vpc
    if mounts:
        props["FileSystemConfigs"] = [m for m, _ in mounts]
    function = ctx.add(comp, "Function", "AWS::Lambda::Function", props)
    for _, ready in mounts:  # Lambda checks the mount targets exist when it creates the function
        function.depends_on.extend(d for d in ready if d not in function.depends_on)
    release.lower(comp, spec, function, ctx)
    rel = release.release_of(spec)
    delivery.destinations(comp, spec, rel.alias if rel else "$LATEST",
                          [ctx.logical(comp, "Alias")] if rel else [], ctx)
    for i, event in enumerate(spec.events):
        _event(comp, spec, event, i, ctx)
    if spec.url is not None:
        _url(comp, spec, ctx)


def after_links(comp: Component, spec: Function, ctx: Context) -> None:
    """Seal the release: a new version exactly when the function's final properties change."""
    release.seal(comp, spec, ctx)


def _layer(comp: Component, spec: Function, i: int, ctx: Context) -> Any:
    """Return a layer's ARN: as given, or a layer version built from a folder of the app."""
    ref = spec.layers[i]
    path = comp.path + ("layers", i)
    if not ref.startswith(("./", "../")):
        return ctx.value(ref, path)
    layer = ctx.add(comp, f"Layer{i + 1}", "AWS::Lambda::LayerVersion", {
        "LayerName": ctx.physical(f"{comp.name}-layer{i + 1}", 140),
        "Description": f"{comp.key}: {ref}",
        "Content": ctx.code_asset(ref, path, "layer folder"),
        "CompatibleRuntimes": [spec.runtime],
        "CompatibleArchitectures": [spec.architecture],
    }, path=path)
    return Ref(layer.logical_id)


def _vpc(comp: Component, spec: Function, ctx: Context) -> dict[str, Any] | None:
    """Put the function in the VPC's private subnets, with its own security group, when asked
    (`vpc: true`) or when it links to something reachable only inside the VPC."""
    inside = [key for key, _, _ in comp.links
              if (t := ctx.component(key)) is not None and t.ingress is not None]
    if spec.vpc is False and inside:
        ctx.diags.add("E3005", f"`{inside[0]}` is reachable only inside the VPC, and this "
                      "function has `vpc: false`", origin=ctx.origin(comp.path + ("vpc",)),
                      path=comp.path + ("vpc",), hint="remove `vpc: false`")
    if spec.vpc is False or (spec.vpc is None and not inside):
        return None
    from cloudc.lower._vpc import require_vpc, vpc_of

    net = require_vpc(ctx, comp.path)
    if vpc_of(net).nat == "none":
        ctx.warn("I1001", "this function runs in private subnets without a NAT gateway: it "
                 "reaches what it links to in the VPC, and AWS APIs only through VPC endpoints "
                 "(see `network.endpoints`), never the internet", comp.path,
                 hint="`network: { vpc: { nat: single } }` gives it a way out")
    sg = ctx.add(comp, "SecurityGroup", "AWS::EC2::SecurityGroup", {
        "GroupDescription": f"{comp.physical} function",
        "VpcId": net.attrs["vpc_id"],
        "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0",
                                 "Description": "outbound (AWS APIs, linked resources)"}],
    })
    comp.security_group = sg.logical_id
    return {"SubnetIds": vpc_of(net).private_subnets,
            "SecurityGroupIds": [GetAtt(sg.logical_id, "GroupId")]}


def _mounts(comp: Component, ctx: Context) -> list[tuple[dict[str, Any], list[str]]]:
    """Mount linked file systems at /mnt/NAME through their (first) access point."""
    out = []
    for key, _, path in comp.links:
        target = ctx.component(key)
        if target is None or target.section != "file_systems":
            continue
        points = target.mountable.access_points if target.mountable else {}
        if not points:
            ctx.diags.add("E3005", f"a function mounts `{key}` through an access point, and it "
                          "has none", origin=ctx.origin(path), path=path,
                          hint=f"add `access_points: {{ app: {{ path: /{comp.name} }} }}` to {key}")
            continue
        from cloudc.lower._vpc import mount_ready

        ap = next(iter(points.values()))
        out.append(({"Arn": ap["arn"], "LocalMountPath": f"/mnt/{target.name.replace('-', '_')}"},
                    mount_ready(target, ctx)))
    return out


def _retention(ctx: Context) -> int:
    mon = getattr(ctx.config, "monitoring", None)
    return int(mon.log_retention_days) if mon is not None else 30


def _str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _target(ctx: Context, section: str, ref: str, path: tuple[Any, ...],
            need: str) -> Component | None:
    """Find the component an event names (`jobs` or `queues.jobs`) and check it offers `need`."""
    key = ref if "." in ref else f"{section}.{ref}"
    comp = ctx.component(key)
    if comp is None:
        from cloudc.diagnostics import did_you_mean

        names = [c.name for c in ctx.ir.components.values() if c.section == section]
        ctx.diags.add("E3001", f"`{key}` is not declared", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(key.split(".", 1)[-1], names))
        return None
    if getattr(comp, need) is None:
        ctx.diags.add("E3002", f"`{key}` cannot be used as a {section[:-1]} event source",
                      origin=ctx.origin(path), path=path)
        return None
    return comp


def _event(comp: Component, spec: Function, event: Event, i: int, ctx: Context) -> None:
    path = comp.path + ("events", i)
    n = str(i + 1)
    assert comp.statements is not None
    if event.queue is not None:
        qname = event.queue if isinstance(event.queue, str) else event.queue.name
        target = _target(ctx, "queues", qname, path + ("queue",), "event_source")
        if target is None:
            return
        vt = target.event_source.visibility_timeout if target.event_source else None
        if isinstance(vt, int) and vt < spec.timeout:
            ctx.diags.add("E3005", f"queue `{target.name}` has a visibility timeout of {vt}s, "
                          f"shorter than this function's timeout of {spec.timeout}s; AWS rejects "
                          "the event source", origin=ctx.origin(path + ("queue",)), path=path,
                          hint=f"set queues.{target.name}.visibility_timeout to at least "
                               f"{spec.timeout * 6} (six times the timeout, as AWS advises)")
        batch = event.batch_size or (event.queue.batch_size if not isinstance(event.queue, str)
                                     else 10)
        _mapping(comp, target, n, path, ctx, batch, event)
    elif event.stream is not None:
        key = event.stream if "." in event.stream else (
            f"streams.{event.stream}" if ctx.component(f"streams.{event.stream}")
            else f"databases.{event.stream}")
        target = _target(ctx, key.split(".")[0], key, path + ("stream",), "event_source")
        if target is not None:
            _mapping(comp, target, n, path, ctx, event.batch_size or 100, event)
    elif event.topic is not None:
        target = _target(ctx, "topics", event.topic, path + ("topic",), "topic")
        if target is None:
            return
        sub: dict[str, Any] = {"Protocol": "lambda", "Endpoint": _invoke(comp).arn,
                               "TopicArn": _topic_arn(target)}
        if event.filter:
            sub["FilterPolicy"] = event.filter
        subscription = ctx.add(comp, f"Event{n}Subscription", "AWS::SNS::Subscription", sub,
                               path=path)
        permission = ctx.add(comp, f"Event{n}Permission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": _invoke(comp).name,
            "Principal": "sns.amazonaws.com", "SourceArn": _topic_arn(target)}, path=path)
        subscription.movable_to = permission.movable_to = _source_of(_topic_arn(target))
    elif event.schedule is not None:
        rule = ctx.add(comp, f"Event{n}Rule", "AWS::Events::Rule", {
            "ScheduleExpression": event.schedule, "State": "ENABLED",
            "Targets": [{"Arn": _invoke(comp).arn, "Id": "function"}]}, path=path)
        ctx.add(comp, f"Event{n}Permission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": _invoke(comp).name,
            "Principal": "events.amazonaws.com", "SourceArn": GetAtt(rule.logical_id, "Arn")},
            path=path)
    elif event.bucket is not None:
        target = _target(ctx, "storage", event.bucket.name, path + ("bucket", "name"), "bucket")
        if target is None:
            return
        perm = ctx.add(comp, f"Event{n}Permission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": _invoke(comp).name,
            "Principal": "s3.amazonaws.com", "SourceArn": target.attrs["arn"].derived,
            "SourceAccount": Pseudo("AWS::AccountId")}, path=path)
        bucket = ctx.ir.resources[target.bucket]
        config = bucket.properties.setdefault("NotificationConfiguration", {})
        lambdas = config.setdefault("LambdaConfigurations", [])
        rules = []
        if event.bucket.prefix:
            rules.append({"Name": "prefix", "Value": event.bucket.prefix})
        if event.bucket.suffix:
            rules.append({"Name": "suffix", "Value": event.bucket.suffix})
        for kind in event.bucket.events:
            entry: dict[str, Any] = {"Event": S3_EVENTS[kind], "Function": _invoke(comp).arn}
            if rules:
                entry["Filter"] = {"S3Key": {"Rules": rules}}
            lambdas.append(entry)
        bucket.depends_on.append(perm.logical_id)


def _mapping(comp: Component, target: Component, n: str, path: tuple[Any, ...], ctx: Context,
             batch: int, event: Event) -> None:
    assert comp.statements is not None
    source = target.event_source
    assert source is not None
    comp.statements.extend(source.statements)
    props: dict[str, Any] = {
        "EventSourceArn": source.arn,
        "FunctionName": _invoke(comp).name,
        "BatchSize": batch,
    }
    if source.starting_position:
        props["StartingPosition"] = source.starting_position
    else:
        props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    window = getattr(event.queue, "batch_window", 0)
    if window:
        props["MaximumBatchingWindowInSeconds"] = window
    res = ctx.add(comp, f"Event{n}Mapping", "AWS::Lambda::EventSourceMapping", props, path=path)
    # The role's policy must exist before Lambda checks it can read the source.
    res.depends_on.append(comp.role)
    res.movable_to = _source_of(source.arn)


def _url(comp: Component, spec: Function, ctx: Context) -> None:
    assert spec.url is not None
    path = comp.path + ("url",)
    props: dict[str, Any] = {"TargetFunctionArn": GetAtt(_function(comp), "Arn"),
                             "AuthType": "AWS_IAM" if spec.url.auth == "iam" else "NONE"}
    if _invoke(comp).qualifier:
        props["Qualifier"] = _invoke(comp).qualifier
    if spec.url.cors:
        props["Cors"] = {"AllowOrigins": spec.url.cors}
    url = ctx.add(comp, "Url", "AWS::Lambda::Url", props, path=path)
    if _invoke(comp).qualifier:
        url.depends_on.append(ctx.logical(comp, "Alias"))
    comp.attrs["url"] = GetAtt(url.logical_id, "FunctionUrl")
    if spec.url.auth == "none":
        ctx.warn("W1001", "function URL without authentication", path + ("auth",))
        ctx.add(comp, "UrlPermission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunctionUrl", "FunctionName": _invoke(comp).name,
            "Principal": "*", "FunctionUrlAuthType": "NONE"}, path=path)
        # Since October 2025 a new public URL also needs lambda:InvokeFunction, allowed only
        # through the URL: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html
        ctx.add(comp, "UrlInvokePermission", "AWS::Lambda::Permission", {
            "Action": "lambda:InvokeFunction", "FunctionName": _invoke(comp).name,
            "Principal": "*", "InvokedViaFunctionUrl": True}, path=path)


def _source_of(value: Any) -> str | None:
    """Return the logical ID an event source's ARN refers to (None for a literal ARN)."""
    targets = collect_targets(value)
    return targets[0].target if targets else None


def _invoke(comp: Component) -> Invocable:
    """Return what callers invoke: the function, or its release alias."""
    assert comp.invoke is not None
    return comp.invoke


def _function(comp: Component) -> str:
    """Return the logical ID of this function's AWS::Lambda::Function."""
    assert comp.invoke is not None
    return comp.invoke.function


def _topic_arn(topic: Component) -> Any:
    assert topic.topic is not None
    return topic.topic.arn


_HANDLER_FILES = {"nodejs": (".js", ".mjs", ".cjs"), "python": (".py", "/__init__.py"),
                  "ruby": (".rb",)}


def _code(spec: Function, path: tuple[Any, ...], ctx: Context) -> str:
    """Zip the code folder; warn when the handler's file is not in it (every call would fail
    with Runtime.ImportModuleError or its like)."""
    asset = ctx.code_asset(spec.code, path + ("code",))
    family = next((f for f in _HANDLER_FILES if spec.runtime.startswith(f)), None)
    if family is None or "." not in spec.handler or asset.endswith("/missing.zip"):
        return asset
    module = spec.handler.rsplit(".", 1)[0] if family != "ruby" else spec.handler.split(".")[0]
    if family == "python":
        module = module.replace(".", "/")
    folder = ctx.res.config_dir / spec.code
    names = [module + ext for ext in _HANDLER_FILES[family]]
    if not any((folder / n).is_file() for n in names):
        ctx.warn("W1004", f"handler `{spec.handler}`: no {' or '.join(names)} in the code folder "
                 f"`{spec.code}`", path + ("handler",),
                 hint=f"every invocation would fail to load the handler; for {spec.runtime} "
                      f"`file.function` names {names[0]} inside `{spec.code}`")
    return asset

"""Lower `monitoring`: a notify topic, default and user alarms, a dashboard.

Monitoring lowers last (ORDER 200) and reads every other component. All its resources live in
the `monitoring` nested stack. A default alarm is owned by the resource it watches (logical ID
`FunctionsWorkerErrorsAlarm`), so adding or removing one function adds or removes only that
function's alarms; user alarms, the notify topic and the dashboard are owned by `monitoring`.

Monitoring knows no section: each section declares, on its components, the metrics they
publish (`comp.metrics`, name -> `capabilities.Metric`), their default alarms (`comp.alarms`)
and their dashboard widget (`comp.dashboard`).
"""

from __future__ import annotations

import json
from typing import Any

from cloudc.capabilities import Metric, TopicFacts
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, Pseudo, Ref, Sub, arn, pascal
from cloudc.lower._topic_keys import account_administers
from cloudc.schema.sections.monitoring import Alarm, Monitoring

SECTION = "monitoring"
AFTER = "*"  # alarms and the dashboard watch every other section


COMPARISON = {">": "GreaterThanThreshold", ">=": "GreaterThanOrEqualToThreshold",
              "<": "LessThanThreshold", "<=": "LessThanOrEqualToThreshold"}
PERIOD = 300


def declare(name: str, spec: Monitoring, ctx: Context) -> Component:
    """Declare monitoring: its notify topic's ARN, which functions and schedules may use."""
    path = (SECTION,)
    comp = Component(SECTION, "", "monitoring", path, ctx.origin(path))
    if spec.notify:
        physical = ctx.physical("monitoring-alarms", 256)
        lid = ctx.logical(comp, "Topic")
        topic_arn = Ref(lid, derived=arn("sns", physical))
        comp.physical = physical
        comp.topic = TopicFacts(lid, topic_arn)
        comp.attrs = {"topic_arn": topic_arn}
    return comp


def lower(comp: Component, spec: Monitoring, ctx: Context) -> None:
    """Emit the notify topic, the alarms and the dashboard."""
    actions: list[Any] = []
    if spec.notify:
        _notify(comp, spec, ctx)
        actions = [Ref(comp.topic.topic if comp.topic else "")]
    enabled = _enabled_kinds(spec, ctx)
    watched = [c for c in ctx.ir.components.values() if c is not comp]
    for target in watched:
        if target.section not in enabled:
            continue
        for d in target.alarms:
            metric = target.metrics.get(d.metric)
            if metric is None or metric.dims(target, ctx) is None:
                continue
            alarm_name = ctx.physical(
                f"{target.section}-{target.name}-{d.suffix.removesuffix('Alarm').lower()}", 255)
            alarm = _alarm(alarm_name, f"{target.key}: {d.what}", target, metric, d.statistic,
                           d.comparison, d.threshold, PERIOD, d.evaluations, ctx)
            _actions(alarm, actions, True)
            ctx.add(target, d.suffix, "AWS::CloudWatch::Alarm", alarm, group=SECTION)
    for name, user in spec.alarms.items():
        if user is not None:
            _user_alarm(comp, name, user, actions, ctx)
    if spec.dashboard:
        _dashboard(comp, watched, ctx)


def _enabled_kinds(spec: Monitoring, ctx: Context) -> set[str]:
    """Return the sections whose resources get default alarms."""
    sections = {c.section for c in ctx.ir.components.values()}
    if isinstance(spec.defaults, bool):
        return sections if spec.defaults else set()
    known = sorted({c.section for c in ctx.ir.components.values()} | _sections())
    for key in spec.defaults:
        if key not in known:
            where = (SECTION, "defaults", key)
            ctx.diags.add("E2005", f"`{key}` is not a section", origin=ctx.origin(where),
                          path=where, hint=did_you_mean(key, known))
    return {s for s in sections if spec.defaults.get(s, True)}


def _sections() -> set[str]:
    from cloudc.schema import section_names

    return set(section_names())


def _notify(comp: Component, spec: Monitoring, ctx: Context) -> None:
    """Emit the notify topic, under a key that CloudWatch may use, and its subscriptions.

    CloudWatch cannot publish to a topic under the AWS managed `aws/sns` key (its policy cannot
    name CloudWatch), so the topic gets its own customer managed key.
    """
    # In a key policy, `Resource: "*"` means "this key" and is the form AWS documents (the key's
    # own ARN is not known when its policy is written); the principals do the scoping. Key
    # policies are the only place cloudc writes a `*` resource (docs/sections/security.md).
    keys = "*"
    key = ctx.add(comp, "Key", "AWS::KMS::Key", {
        "Description": f"{ctx.slug} {ctx.env}: alarm notifications",
        "EnableKeyRotation": True,
        "KeyPolicy": {"Version": "2012-10-17", "Statement": [
            account_administers(),
            {"Sid": "CloudWatchPublishes", "Effect": "Allow",
             "Principal": {"Service": "cloudwatch.amazonaws.com"},
             "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": keys,
             "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}},
        ]},
    }, path=(SECTION, "notify"))
    ctx.add(comp, "KeyAlias", "AWS::KMS::Alias", {
        "AliasName": f"alias/{ctx.physical('monitoring-alarms', 240)}",
        "TargetKeyId": Ref(key.logical_id),
    }, path=(SECTION, "notify"))
    ctx.add(comp, "Topic", "AWS::SNS::Topic", {
        "TopicName": comp.physical,
        "DisplayName": f"{ctx.slug} {ctx.env} alarms"[:100],
        "KmsMasterKeyId": Ref(key.logical_id),
    }, path=(SECTION, "notify"))
    for i, n in enumerate(spec.notify):
        where = (SECTION, "notify", i)
        if n.webhook is not None:  # a chat webhook: posted to by a forwarding function
            from cloudc.lower._webhook import forwarder

            forwarder(comp, f"Notify{i + 1}", Ref(comp.topic.topic if comp.topic else ""),
                      ctx.value(n.webhook, where + ("webhook",)), ctx, where + ("webhook",),
                      name=f"monitoring-webhook-{i + 1}")
            continue
        protocol, endpoint = ("email", n.email) if n.email is not None else ("https", n.https)
        ctx.add(comp, f"Notify{i + 1}", "AWS::SNS::Subscription", {
            "Protocol": protocol, "Endpoint": ctx.value(endpoint, where),
            "TopicArn": Ref(comp.topic.topic if comp.topic else ""),
        }, path=where)


def _alarm(name: str, description: str, target: Component, metric: Metric, statistic: str,
           comparison: str, threshold: float, period: int, evaluations: int,
           ctx: Context) -> dict[str, Any]:
    """Return an alarm's properties, less its actions."""
    period = metric.period or period
    props: dict[str, Any] = {"AlarmName": name, "AlarmDescription": description}
    if metric.parts:
        metrics = []
        for i, part in enumerate(metric.parts):
            m = target.metrics[part]
            metrics.append({"Id": f"m{i + 1}", "ReturnData": False, "MetricStat": {
                "Metric": _metric_spec(m, target, ctx), "Period": period, "Stat": statistic}})
        expression = " + ".join(f"FILL(m{i + 1}, 0)" for i in range(len(metric.parts)))
        metrics.append({"Id": "total", "Expression": expression, "Label": metric.name,
                        "ReturnData": True})
        props["Metrics"] = metrics
    else:
        props.update(_metric_spec(metric, target, ctx))
        if statistic.startswith("p"):
            props["ExtendedStatistic"] = statistic
        else:
            props["Statistic"] = statistic
        props["Period"] = period
    props.update({
        "EvaluationPeriods": evaluations,
        "Threshold": int(threshold) if float(threshold).is_integer() else threshold,
        "ComparisonOperator": COMPARISON[comparison],
        "TreatMissingData": "notBreaching",
    })
    return props


def _metric_spec(metric: Metric, target: Component, ctx: Context) -> dict[str, Any]:
    dims = metric.dims(target, ctx) or []
    return {"Namespace": metric.namespace, "MetricName": metric.name,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dims]}


def _actions(props: dict[str, Any], actions: list[Any], enabled: bool) -> None:
    if actions:
        props["ActionsEnabled"] = enabled
        props["AlarmActions"] = list(actions)
        props["OKActions"] = list(actions)


def _user_alarm(comp: Component, name: str, user: Alarm, actions: list[Any],
                ctx: Context) -> None:
    where = (SECTION, "alarms", name, "metric")
    parts = user.metric.split(".")
    if len(parts) != 3:
        ctx.diags.add("E2005", f"`{user.metric}` is not `section.name.metric`",
                      origin=ctx.origin(where), path=where, hint="e.g. functions.api.errors")
        return
    key, metric_name = f"{parts[0]}.{parts[1]}", parts[2]
    target = ctx.component(key)
    if target is None:
        names = [f"{c.section}.{c.name}" for c in ctx.ir.components.values() if c.name]
        ctx.diags.add("E3001", f"`{key}` is not declared", origin=ctx.origin(where), path=where,
                      hint=did_you_mean(key, names))
        return
    known = target.metrics
    metric = known.get(metric_name)
    if metric is None:
        ctx.diags.add("E3004", f"`{key}` ({target.kind}) has no metric `{metric_name}`",
                      origin=ctx.origin(where), path=where,
                      hint=did_you_mean(metric_name, known)
                      or (f"metrics: {', '.join(sorted(known))}" if known
                          else f"cloudc knows no metrics of {target.kind} resources yet"))
        return
    if metric.dims(target, ctx) is None:
        ctx.diags.add("E3005", f"`{key}` has no `{metric_name}`: {metric.missing}",
                      origin=ctx.origin(where), path=where)
        return
    props = _alarm(ctx.physical(name, 255), f"{user.metric} {user.comparison} {user.threshold:g}",
                   target, metric, user.statistic, user.comparison, float(user.threshold),
                   int(user.period), int(user.evaluation_periods), ctx)
    _actions(props, actions, bool(user.enabled))
    if not actions and not user.enabled:
        props["ActionsEnabled"] = False
    ctx.add(comp, f"Alarm{pascal(name)}", "AWS::CloudWatch::Alarm", props,
            path=(SECTION, "alarms", name))


def _dashboard(comp: Component, watched: list[Component], ctx: Context) -> None:
    """Emit one dashboard: a widget per watched resource, in declaration order."""
    widgets: list[dict[str, Any]] = []
    variables: list[tuple[str, Any]] = []
    for target in watched:
        if target.dashboard is None:
            continue
        title, names = target.dashboard.title, target.dashboard.metrics
        known = target.metrics
        lines = []
        for n in names:
            m = known.get(n)
            if m is None or m.parts:
                continue
            dims = m.dims(target, ctx)
            if dims is None:
                continue
            line: list[Any] = [m.namespace, m.name]
            for k, v in dims:
                if not isinstance(v, str):  # a deploy-time value: a variable of the Sub
                    known_vars = {value: var for var, value in variables}
                    if v not in known_vars:
                        known_vars[v] = f"d{len(variables)}"
                        variables.append((known_vars[v], v))
                    v = f"${{{known_vars[v]}}}"
                line += [k, v]
            line.append({"stat": m.stat, "label": n})
            lines.append(line)
        if not lines:
            continue
        i = len(widgets)
        widgets.append({"type": "metric", "x": (i % 2) * 12, "y": (i // 2) * 6, "width": 12,
                        "height": 6, "properties": {
                            "title": f"{title}: {target.key}", "view": "timeSeries",
                            "region": "${AWS::Region}", "period": PERIOD, "metrics": lines}})
    if not widgets:
        ctx.warn("W1003", "the dashboard has nothing to show", (SECTION, "dashboard"))
        return
    body = json.dumps({"widgets": widgets}, sort_keys=True, separators=(",", ":"))
    ctx.add(comp, "Dashboard", "AWS::CloudWatch::Dashboard", {
        "DashboardName": ctx.physical("dashboard", 255),
        "DashboardBody": Sub(body, tuple(variables)),
    }, path=(SECTION, "dashboard"))

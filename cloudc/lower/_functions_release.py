"""Releases of a function: a version per change, an alias callers invoke, gradual shifting.

With `release`, every change to the function publishes an `AWS::Lambda::Version` and moves an
`AWS::Lambda::Alias` (`live`) to it; everything that invokes the function names the alias
(`comp.invoke` carries the alias's ARN). `strategy: canary | linear` hands the move to
CodeDeploy (the alias's `CodeDeployLambdaAliasUpdate` update policy), which shifts traffic in
steps and rolls back when an alarm fires:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html#cfn-attributes-updatepolicy-codedeploylambdaaliasupdate
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cloudc.capabilities import Invocable
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Resource, Sub, collect_targets
from cloudc.resource_specs import create_only
from cloudc.schema.sections.functions import Function, Release

# The managed policy CodeDeploy's service role needs for Lambda deployments (alias updates,
# alarm reads): https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSCodeDeployRoleForLambda.html
CODEDEPLOY_POLICY = "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"
ERRORS = "errors"  # the alarm name in `release.alarms` for cloudc's own alias errors alarm


def release_of(spec: Function) -> Release | None:
    """Return the function's release settings (`release: true` is all defaults), or None."""
    if spec.release is None or spec.release is False:
        return None
    return Release() if spec.release is True else spec.release


def gradual(rel: Release) -> bool:
    """Say whether CodeDeploy shifts the traffic (canary or linear)."""
    return rel.strategy != "all_at_once"


def declare(comp: Component, spec: Function, ctx: Context, fn_arn: Sub) -> None:
    """Point what invokes the function at its alias: `comp.invoke`, the link's ARN, attrs."""
    rel = release_of(spec)
    if rel is None:
        return
    assert comp.invoke is not None
    alias = ctx.logical(comp, "Alias")
    alias_arn = Ref(alias, derived=Sub(f"{fn_arn.template}:{rel.alias}"))
    comp.invoke = Invocable(comp.invoke.function, alias_arn, alias_arn, qualifier=rel.alias)
    comp.attrs["alias"] = rel.alias
    comp.attrs["alias_arn"] = alias_arn
    comp.attrs["version"] = GetAtt(ctx.logical(comp, "Version"), "Version")
    comp.link_env["ARN"] = alias_arn.derived  # SDK callers invoke the alias too


def lower(comp: Component, spec: Function, function: Resource, ctx: Context) -> None:
    """Emit the version, the alias (with provisioned concurrency) and, for gradual
    releases, the CodeDeploy application, deployment config and group, role and alarm."""
    rel = release_of(spec)
    if rel is None:
        return
    path = comp.path + ("release",)
    version = ctx.add(comp, "Version", "AWS::Lambda::Version", {
        "FunctionName": Ref(function.logical_id),
        "Description": "cloudc release",  # the digest of the function, set by `seal`
    }, path=path)
    # Versions are kept: an alias may still point at the one a replaced resource published
    # (Lambda returns the existing version when nothing changed), and CodeDeploy rolls back
    # to the previous one. This is what AWS SAM's AutoPublishAlias does.
    version.deletion_policy = version.update_replace_policy = "Retain"
    props: dict[str, Any] = {"FunctionName": Ref(function.logical_id),
                             "FunctionVersion": GetAtt(version.logical_id, "Version"),
                             "Name": rel.alias}
    if spec.provisioned_concurrency:
        props["ProvisionedConcurrencyConfig"] = {
            "ProvisionedConcurrentExecutions": spec.provisioned_concurrency}
    alias = ctx.add(comp, "Alias", "AWS::Lambda::Alias", props, path=path)
    if gradual(rel):
        _codedeploy(comp, rel, alias, ctx)


def _codedeploy(comp: Component, rel: Release, alias: Resource, ctx: Context) -> None:
    """Let CodeDeploy move the alias: canary or linear, rolled back on alarms or failure."""
    path = comp.path + ("release",)
    app = ctx.add(comp, "DeployApplication", "AWS::CodeDeploy::Application", {
        "ApplicationName": ctx.physical(comp.name, 100), "ComputePlatform": "Lambda"}, path=path)
    role = ctx.add(comp, "DeployRole", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "codedeploy.amazonaws.com"},
            "Action": "sts:AssumeRole"}]},
        "ManagedPolicyArns": [Sub(CODEDEPLOY_POLICY)]}, path=path)
    kind = "TimeBasedCanary" if rel.strategy == "canary" else "TimeBasedLinear"
    step = ({"CanaryPercentage": rel.percent, "CanaryInterval": rel.minutes}
            if rel.strategy == "canary"
            else {"LinearPercentage": rel.percent, "LinearInterval": rel.minutes})
    # No name: every property is create-only, so a change replaces it, under a new name.
    config = ctx.add(comp, "DeployConfig", "AWS::CodeDeploy::DeploymentConfig", {
        "ComputePlatform": "Lambda",
        "TrafficRoutingConfig": {"Type": kind, kind: step}}, path=path + ("strategy",))
    names = _alarm_names(comp, rel, ctx)
    group_props: dict[str, Any] = {
        "ApplicationName": Ref(app.logical_id),
        "DeploymentGroupName": ctx.physical(f"{comp.name}-{rel.alias}", 100),
        "ServiceRoleArn": GetAtt(role.logical_id, "Arn"),
        "DeploymentConfigName": Ref(config.logical_id),
        "DeploymentStyle": {"DeploymentType": "BLUE_GREEN",
                            "DeploymentOption": "WITH_TRAFFIC_CONTROL"},
        "AutoRollbackConfiguration": {
            "Enabled": True,
            "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    }
    if names:
        group_props["AlarmConfiguration"] = {"Enabled": True,
                                             "Alarms": [{"Name": n} for n in names]}
    group = ctx.add(comp, "DeploymentGroup", "AWS::CodeDeploy::DeploymentGroup", group_props,
                    path=path)
    alias.update_policy = {"CodeDeployLambdaAliasUpdate": {
        "ApplicationName": Ref(app.logical_id),
        "DeploymentGroupName": Ref(group.logical_id)}}


def _alarm_names(comp: Component, rel: Release, ctx: Context) -> list[Any]:
    """Return the alarms that stop a deployment: cloudc's own alias errors alarm (`errors`)
    and user alarms of `monitoring.alarms`, by name (unknown names are E3251, a check)."""
    out: list[Any] = []
    wanted = [ERRORS] if rel.alarms is None else rel.alarms
    for name in wanted:
        if name == ERRORS:
            alarm = ctx.add(comp, "ReleaseErrorsAlarm", "AWS::CloudWatch::Alarm", {
                "AlarmName": ctx.physical(f"functions-{comp.name}-{rel.alias}-errors", 255),
                "AlarmDescription": f"{comp.key}: the {rel.alias} alias returned errors "
                                    "during a release",
                "Namespace": "AWS/Lambda", "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": comp.physical},
                               {"Name": "Resource", "Value": f"{comp.physical}:{rel.alias}"}],
                "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching"}, path=comp.path + ("release", "alarms"))
            out.append(Ref(alarm.logical_id))
        else:
            out.append(ctx.physical(name, 255))  # monitoring's name for `monitoring.alarms.X`
    return out


def seal(comp: Component, spec: Function, ctx: Context) -> None:
    """Write the digest of the function's final properties into its version's description.

    `AWS::Lambda::Version` publishes once, when it is created; its Description is create-only,
    so a digest of the code and configuration there replaces the version (publishes a new one)
    exactly when the function changes. Run after links have filled the environment.
    A property that names another resource (a layer, a queue's URL) changes at deploy time when
    that resource is replaced, so the create-only properties of what it names count too.
    """
    if release_of(spec) is None:
        return
    assert comp.invoke is not None
    function = ctx.ir.resources.get(comp.invoke.function)
    version = ctx.ir.resources.get(ctx.logical(comp, "Version"))
    if function is None or version is None:
        return
    text = json.dumps([function.properties, _replaced_with(function.properties, ctx)],
                      sort_keys=True, default=repr)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    version.properties["Description"] = f"cloudc release {digest}"


def _replaced_with(value: Any, ctx: Context) -> dict[str, Any]:
    """Return, for every resource `value` names (and, in turn, what those name), the
    create-only properties whose change replaces it and so changes the value it gives."""
    out: dict[str, Any] = {}
    todo = [t.target for t in collect_targets(value)]
    while todo:
        lid = todo.pop()
        res = ctx.ir.resources.get(lid)
        if lid in out or res is None:
            continue
        fixed = {k: v for k, v in res.properties.items() if k in create_only(res.type)}
        out[lid] = fixed
        todo.extend(t.target for t in collect_targets(fixed))
    return out

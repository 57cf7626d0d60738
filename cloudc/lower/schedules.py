"""Lower `schedules` entries to EventBridge Scheduler schedules, each with its own role.

The role trusts only `scheduler.amazonaws.com` calling from this account, and may do exactly one
thing: invoke the target function, send to the target queue, publish to the target topic,
start an execution of the target workflow, or run one task of the target service (with its
`command`) in the service's cluster, subnets and security group, passing the task's two roles.
"""

from __future__ import annotations

import json
from typing import Any

from cloudc.capabilities import RunTask
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, statement
from cloudc.schema.sections.schedules import Schedule

SECTION = "schedules"
# A FIFO queue target needs a message group; a service target its task definition and network.
AFTER = ("queues", "services")


def declare(name: str, spec: Schedule, ctx: Context) -> Component:
    """Declare a schedule's attributes (it cannot be linked)."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "schedule", path, ctx.origin(path))
    physical = ctx.physical(name, 64)
    lid = ctx.logical(comp, "Schedule")
    comp.physical, comp.primary, comp.role = physical, lid, ctx.logical(comp, "Role")
    comp.attrs = {
        "id": Ref(lid, derived=Sub(physical)),
        "name": Ref(lid, derived=Sub(physical)),
        "arn": GetAtt(lid, "Arn", derived=arn("scheduler", f"schedule/default/{physical}")),
    }
    return comp


def lower(comp: Component, spec: Schedule, ctx: Context) -> None:
    """Emit the execution role and the schedule."""
    path = comp.path
    expression = _expression(spec)
    target = _target(spec, path, ctx)
    if target is None:
        return
    target_arn, statements, extra = target
    ctx.add(comp, "Role", "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}}]},
        "Policies": [{"PolicyName": "target", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": statements}}],
    })
    tgt: dict[str, Any] = {"Arn": target_arn, "RoleArn": GetAtt(comp.role, "Arn")}
    tgt.update(extra)
    if spec.input is not None and "EcsParameters" not in tgt:
        text = json.dumps(spec.input, sort_keys=True, separators=(",", ":"), default=str)
        tgt["Input"] = ctx.value(text, path + ("input",), weak=True)
    ctx.add(comp, "Schedule", "AWS::Scheduler::Schedule", {
        "Name": comp.physical,
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": spec.timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED" if spec.enabled else "DISABLED",
        "Target": tgt,
    })


def _expression(spec: Schedule) -> str:
    """Return `cron(...)`, `rate(...)` or `at(...)` (checked by cloudc/checks/schedules.py)."""
    if spec.cron is not None:
        return f"cron({_unwrap(spec.cron, 'cron')})"
    if spec.rate is not None:
        return f"rate({_unwrap(spec.rate, 'rate')})"
    assert spec.at is not None
    return f"at({_unwrap(spec.at, 'at')})"


def _unwrap(text: str, word: str) -> str:
    text = text.strip()
    if text.startswith(f"{word}(") and text.endswith(")"):
        return text[len(word) + 1 : -1].strip()
    return text


def _target(spec: Schedule, path: tuple[Any, ...],
            ctx: Context) -> tuple[Any, list[dict[str, Any]], dict[str, Any]] | None:
    """Return the target's ARN, the role's statements, and extra Target settings."""
    where = path + ("target",)
    target = ctx.component(spec.target)
    if target is None:
        section = spec.target.split(".", 1)[0]
        names = [c.name for c in ctx.ir.components.values() if c.section == section]
        ctx.diags.add("E3001", f"`{spec.target}` is not declared", origin=ctx.origin(where),
                      path=where, hint=did_you_mean(spec.target.split(".", 1)[-1], names))
        return None
    if target.invoke is not None:
        fn_arn = target.invoke.arn  # the release alias when the function has one
        return fn_arn, [statement(["lambda:InvokeFunction"], [fn_arn.derived or fn_arn])], {}
    if target.section == "workflows" and target.primary:
        sm_arn = target.attrs["arn"]
        return sm_arn, [statement(["states:StartExecution"], [sm_arn.derived or sm_arn])], {}
    if target.run_task is not None:
        return _run_task(target.run_task, spec)
    if target.publish is not None:
        pub = target.publish
        extra: dict[str, Any] = {}
        queue = ctx.ir.resources.get(target.queue.queue) if target.queue is not None else None
        if queue is not None and queue.properties.get("FifoQueue"):
            extra["SqsParameters"] = {"MessageGroupId": spec.target.split(".", 1)[1]}
        return target.attrs.get("arn", pub.arn), list(pub.statements), extra
    ctx.diags.add("E3002", f"`{spec.target}` ({target.kind}) cannot be a schedule target",
                  origin=ctx.origin(where), path=where,
                  hint="targets are functions, queues, topics, workflows and services")
    return None


def _run_task(task: RunTask, spec: Schedule) -> tuple[Any, list[dict[str, Any]], dict[str, Any]]:
    """Return the cluster, the role's statements and the ECS settings to run one task.

    RunTask is allowed on the service's task definition family in its cluster only; PassRole
    on exactly its execution and task roles, to ECS only; TagResource only while RunTask
    creates the task (managed tags). https://docs.aws.amazon.com/AmazonECS/latest/developerguide/CWE_IAM_role.html
    """
    family = arn("ecs", f"task-definition/{task.task_family}:*")
    statements = [
        statement(["ecs:RunTask"], [family],
                  Condition={"ArnEquals": {"ecs:cluster": task.cluster}}),
        statement(["iam:PassRole"], list(task.pass_roles),
                  Condition={"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}),
        statement(["ecs:TagResource"], [arn("ecs", "task/*")],
                  Condition={"StringEquals": {"ecs:CreateAction": "RunTask"}}),
    ]
    ecs: dict[str, Any] = {
        "TaskDefinitionArn": task.task_definition,
        "TaskCount": 1,
        "PlatformVersion": "LATEST",
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": list(task.subnets),
            "SecurityGroups": list(task.security_groups),
            "AssignPublicIp": "ENABLED" if task.public_ip else "DISABLED",
        }},
        "EnableECSManagedTags": True,
        "PropagateTags": "TASK_DEFINITION",
    }
    if task.spot:
        ecs["CapacityProviderStrategy"] = [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}]
    else:
        ecs["LaunchType"] = "FARGATE"
    extra: dict[str, Any] = {"EcsParameters": ecs}
    if spec.command:
        command = ["sh", "-c", spec.command] if isinstance(spec.command, str) \
            else list(spec.command)
        # Scheduler passes a templated ECS target's Input to RunTask as its `overrides`.
        extra["Input"] = json.dumps({"containerOverrides": [
            {"name": task.container, "command": command}]}, separators=(",", ":"))
    return task.cluster, statements, extra

"""Lower `schedules` entries to EventBridge Scheduler schedules, each with its own role.

The role trusts only `scheduler.amazonaws.com` calling from this account, and may do exactly one
thing: invoke the target function, send to the target queue, publish to the target topic, or
start an execution of the target workflow.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, statement
from cloudc.schema.sections.schedules import Schedule

SECTION = "schedules"

_RATE = re.compile(r"^(\d+) (minute|minutes|hour|hours|day|days)$")
_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")


def declare(name: str, spec: Schedule, ctx: Context) -> Component:
    """Declare a schedule's attributes (it cannot be linked)."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "schedule", path, ctx.origin(path))
    physical = ctx.physical(name, 64)
    lid = ctx.logical(comp, "Schedule")
    comp.extra.update(physical=physical, schedule=lid, role=ctx.logical(comp, "Role"))
    comp.attrs = {
        "id": Ref(lid, derived=Sub(physical)),
        "name": Ref(lid, derived=Sub(physical)),
        "arn": GetAtt(lid, "Arn", derived=arn("scheduler", f"schedule/default/{physical}")),
    }
    return comp


def lower(comp: Component, spec: Schedule, ctx: Context) -> None:
    """Emit the execution role and the schedule."""
    path = comp.path
    expression = _expression(spec, path, ctx)
    target = _target(spec, path, ctx)
    _check_timezone(spec.timezone, path + ("timezone",), ctx)
    if expression is None or target is None:
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
    tgt: dict[str, Any] = {"Arn": target_arn, "RoleArn": GetAtt(comp.extra["role"], "Arn")}
    tgt.update(extra)
    if spec.input is not None:
        text = json.dumps(spec.input, sort_keys=True, separators=(",", ":"), default=str)
        tgt["Input"] = ctx.value(text, path + ("input",), weak=True)
    ctx.add(comp, "Schedule", "AWS::Scheduler::Schedule", {
        "Name": comp.extra["physical"],
        "ScheduleExpression": expression,
        "ScheduleExpressionTimezone": spec.timezone,
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "State": "ENABLED" if spec.enabled else "DISABLED",
        "Target": tgt,
    })


def _expression(spec: Schedule, path: tuple[Any, ...], ctx: Context) -> str | None:
    """Return `cron(...)`, `rate(...)` or `at(...)`, or report why the expression is wrong."""
    if spec.cron is not None:
        body = _unwrap(spec.cron, "cron")
        fields = body.split()
        where = path + ("cron",)
        if len(fields) != 6:
            ctx.diags.add("E2005", "cron takes six fields: minutes hours day-of-month month "
                          "day-of-week year", origin=ctx.origin(where), path=where)
            return None
        if "?" not in (fields[2], fields[4]):
            ctx.diags.add("E2005", f"cron `{body}` sets both day-of-month and day-of-week; AWS "
                          "needs `?` in one of them", origin=ctx.origin(where), path=where,
                          hint=f"e.g. `{' '.join(fields[:4] + ['?', fields[5]])}`")
            return None
        return f"cron({body})"
    if spec.rate is not None:
        body = _unwrap(spec.rate, "rate")
        where = path + ("rate",)
        m = _RATE.match(body)
        if m is None or int(m.group(1)) == 0:
            ctx.diags.add("E2005", f"rate `{body}` is not `N minutes`, `N hours` or `N days`",
                          origin=ctx.origin(where), path=where, hint="e.g. `rate: 5 minutes`")
            return None
        n, unit = int(m.group(1)), m.group(2)
        singular = unit.rstrip("s")
        want = singular if n == 1 else singular + "s"
        if unit != want:
            ctx.diags.add("E2005", f"rate `{body}` must read `{n} {want}`",
                          origin=ctx.origin(where), path=where)
            return None
        return f"rate({body})"
    assert spec.at is not None
    body = _unwrap(spec.at, "at")
    where = path + ("at",)
    if not _AT.match(body):
        ctx.diags.add("E2005", f"at `{body}` is not yyyy-mm-ddThh:mm:ss",
                      origin=ctx.origin(where), path=where, hint="e.g. `2030-01-31T09:00:00`")
        return None
    return f"at({body})"


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
    if "invoke" in target.extra:
        fn_arn = target.attrs["arn"]
        return fn_arn, [statement(["lambda:InvokeFunction"], [fn_arn.derived or fn_arn])], {}
    if target.section == "workflows" and "state_machine" in target.extra:
        sm_arn = target.attrs["arn"]
        return sm_arn, [statement(["states:StartExecution"], [sm_arn.derived or sm_arn])], {}
    if "publish" in target.extra:
        pub = target.extra["publish"]
        extra: dict[str, Any] = {}
        queue = ctx.ir.resources.get(target.extra.get("queue", ""))
        if queue is not None and queue.properties.get("FifoQueue"):
            extra["SqsParameters"] = {"MessageGroupId": spec.target.split(".", 1)[1]}
        return target.attrs.get("arn", pub["arn"]), list(pub["statements"]), extra
    ctx.diags.add("E3002", f"`{spec.target}` ({target.kind}) cannot be a schedule target",
                  origin=ctx.origin(where), path=where,
                  hint="targets are functions, queues, topics and workflows")
    return None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    try:
        import zoneinfo

        return frozenset(zoneinfo.available_timezones())
    except Exception:  # no tz database on this machine: skip the check
        return frozenset()


def _check_timezone(tz: str, path: tuple[Any, ...], ctx: Context) -> None:
    zones = _zones()
    if zones and tz not in zones and tz != "UTC":
        ctx.diags.add("E2005", f"unknown time zone `{tz}`", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(tz, zones) or "use an IANA name such as Europe/Paris")

"""Where a function's asynchronous events go: a dead-letter queue, on-success and
on-failure destinations, with the IAM the function's role needs to deliver to them.

Lambda checks the execution role can deliver when it creates the function (dead-letter
target) and the event invoke config (destinations), so the statements are part of the role:
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

import re
from typing import Any

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, Ref, statement
from cloudc.schema.sections.functions import Function
from cloudc.source import Path

# The action a role needs to deliver a record to each kind of destination, by ARN service.
DELIVER = {"sqs": "sqs:SendMessage", "sns": "sns:Publish", "lambda": "lambda:InvokeFunction",
           "events": "events:PutEvents"}
KINDS = {"sqs": "queues", "sns": "topics", "lambda": "functions", "events": "buses"}
_ARN = re.compile(r"^arn:aws[a-z-]*:(sqs|sns|lambda|events):")


def target(ref: str, path: Path, ctx: Context, kinds: tuple[str, ...]) -> tuple[Any, str] | None:
    """Return (ARN, action) of a destination: `queues.X`, `topics.X`, `functions.X` (among
    `kinds`) or a literal ARN of those services or an EventBridge bus; None after an error."""
    m = _ARN.match(ref)
    if m is not None and KINDS[m.group(1)] in kinds:
        return ref, DELIVER[m.group(1)]
    comp = ctx.component(ref)
    section = ref.split(".", 1)[0]
    if comp is None or section not in kinds:
        names = [c.key for c in ctx.ir.components.values() if c.section in kinds]
        ctx.diags.add("E3002" if comp is not None else "E3001",
                      f"`{ref}` cannot receive this function's events" if comp is not None
                      else f"`{ref}` is not declared", origin=ctx.origin(path), path=path,
                      hint=did_you_mean(ref, names)
                      or f"name one of: {', '.join(kinds)} (`{kinds[0]}.NAME`)")
        return None
    if comp.invoke is not None:
        return comp.invoke.arn, DELIVER["lambda"]
    if comp.queue is not None:
        return comp.attrs["arn"], DELIVER["sqs"]
    if comp.topic is not None:
        return comp.attrs["arn"], DELIVER["sns"]
    return None


def dead_letter(comp: Component, spec: Function, ctx: Context) -> dict[str, Any] | None:
    """Return the function's DeadLetterConfig, granting its role the send."""
    if spec.dead_letter is None:
        return None
    path = comp.path + ("dead_letter",)
    got = target(spec.dead_letter, path, ctx, ("queues", "topics"))
    if got is None:
        return None
    arn, action = got
    assert comp.statements is not None
    comp.statements.append(statement([action], [_weak(arn)]))
    return {"TargetArn": arn}


def destinations(comp: Component, spec: Function, qualifier: str, depends: list[str],
                 ctx: Context) -> None:
    """Emit the event invoke config (on the alias when releasing, else `$LATEST`)."""
    dest = spec.destinations
    if dest is None:
        return
    path = comp.path + ("destinations",)
    config: dict[str, Any] = {}
    assert comp.statements is not None
    for key, prop in (("on_success", "OnSuccess"), ("on_failure", "OnFailure")):
        ref = getattr(dest, key)
        if ref is None:
            continue
        got = target(ref, path + (key,), ctx, ("queues", "topics", "functions", "buses"))
        if got is None:
            continue
        arn, action = got
        comp.statements.append(statement([action], [_weak(arn)]))
        config[prop] = {"Destination": arn}
    assert comp.invoke is not None
    props: dict[str, Any] = {"FunctionName": Ref(comp.invoke.function), "Qualifier": qualifier}
    if config:
        props["DestinationConfig"] = config
    if dest.retries is not None:
        props["MaximumRetryAttempts"] = dest.retries
    if dest.max_event_age is not None:
        props["MaximumEventAgeInSeconds"] = dest.max_event_age
    res = ctx.add(comp, "EventInvokeConfig", "AWS::Lambda::EventInvokeConfig", props, path=path)
    # Lambda checks the role can deliver, and the alias must exist.
    res.depends_on.extend([comp.role, *depends])


def _weak(value: Any) -> Any:
    """Return the computed form of an ARN (IAM needs the name, not the resource)."""
    return getattr(value, "derived", None) or value

"""Lower `workflows` entries to Step Functions state machines with least-privilege roles.

The ASL file is interpolated like the config: build-time tokens (`${var:x}`, `${environment}`)
are replaced, and each deploy-time reference (`${functions.charge.arn}`) becomes a
`DefinitionSubstitutions` entry, so the definition itself stays plain JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Pseudo, Ref, Sub, arn, pascal, statement
from cloudc.resolve import INTERP, PSEUDO
from cloudc.schema.base import link_target
from cloudc.schema.sections.workflows import Logging, Workflow
from cloudc.source import Path

SECTION = "workflows"
TYPES = {"standard": "STANDARD", "express": "EXPRESS"}


def declare(name: str, spec: Workflow, ctx: Context) -> Component:
    """Declare a state machine: its attributes, what linking it grants, and its own links."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "state-machine", path, ctx.origin(path))
    physical = ctx.physical(name, 80)
    sm = ctx.logical(comp, "StateMachine")
    sm_arn = arn("states", f"stateMachine:{physical}")
    executions = arn("states", f"execution:{physical}:*")
    comp.physical, comp.primary, comp.role = physical, sm, ctx.logical(comp, "Role")
    comp.attrs = {
        "id": Ref(sm, derived=sm_arn),
        "arn": Ref(sm, derived=sm_arn),
        "name": GetAtt(sm, "Name", derived=Sub(physical)),
    }
    start = ["states:StartExecution"]
    if spec.type == "express":
        start.append("states:StartSyncExecution")
    comp.grants = {
        "read": [statement(["states:DescribeStateMachine", "states:ListExecutions"], [sm_arn]),
                 statement(["states:DescribeExecution", "states:GetExecutionHistory"],
                           [executions])],
        "write": [statement(start, [sm_arn])],
    }
    comp.link_env = {"ARN": sm_arn, "NAME": Sub(physical)}
    comp.statements = []
    comp.links = [(*link_target(link), path + ("link", i)) for i, link in enumerate(spec.link)]
    return comp


def lower(comp: Component, spec: Workflow, ctx: Context) -> None:
    """Emit the role, optional log group, and the state machine."""
    path = comp.path
    physical = comp.physical
    loaded = _definition(comp, spec, ctx)
    if loaded is None:
        return
    definition, substitutions = loaded
    assert comp.statements is not None
    managed: list[Any] = []
    props: dict[str, Any] = {
        "StateMachineName": physical,
        "StateMachineType": TYPES[spec.type],
        "RoleArn": GetAtt(comp.role, "Arn"),
        "Definition": definition,
    }
    if substitutions:
        props["DefinitionSubstitutions"] = substitutions
    logging = spec.logging
    if logging is True:
        logging = Logging()
    if isinstance(logging, Logging):
        log = ctx.add(comp, "Logs", "AWS::Logs::LogGroup", {
            "LogGroupName": f"/aws/vendedlogs/states/{physical}",
            "RetentionInDays": logging.retention_days or _retention(ctx)}, path=path + ("logging",))
        props["LoggingConfiguration"] = {
            "Level": logging.level, "IncludeExecutionData": logging.include_data,
            "Destinations": [{"CloudWatchLogsLogGroup": {
                "LogGroupArn": GetAtt(log.logical_id, "Arn")}}]}
        # CreateLogDelivery and its siblings accept only Resource "*"; rather than write a
        # wildcard statement, attach the AWS-managed policy and say so.
        managed.append(Sub("arn:${AWS::Partition}:iam::aws:policy/CloudWatchLogsFullAccess"))
        ctx.warn("W1001", "Step Functions log delivery needs logs:CreateLogDelivery and "
                 "related actions on every resource, so the role gets the AWS-managed "
                 "CloudWatchLogsFullAccess policy", path + ("logging",),
                 hint="turn logging off, or accept the wider logs permissions")
        if logging.include_data:
            ctx.warn("W1001", "execution inputs and outputs are written to the logs",
                     path + ("logging", "include_data"))
    elif spec.type == "express":
        ctx.diags.add("I1001", "an express workflow without `logging` keeps no execution "
                      "history", origin=ctx.origin(path + ("type",)), path=path + ("type",))
    if spec.tracing:
        props["TracingConfiguration"] = {"Enabled": True}
        managed.append(Sub("arn:${AWS::Partition}:iam::aws:policy/AWSXrayWriteOnlyAccess"))
    role_props: dict[str, Any] = {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": Pseudo("AWS::AccountId")}}}]},
        "Policies": [{"PolicyName": "cloudc", "PolicyDocument": {
            "Version": "2012-10-17", "Statement": comp.statements}}],
    }
    if managed:
        role_props["ManagedPolicyArns"] = managed
    ctx.add(comp, "Role", "AWS::IAM::Role", role_props)
    ctx.add(comp, "StateMachine", "AWS::StepFunctions::StateMachine", props)


def _retention(ctx: Context) -> int:
    mon = getattr(ctx.config, "monitoring", None)
    days = getattr(mon, "log_retention_days", None) if mon is not None else None
    return int(days) if days else 30


def _definition(comp: Component, spec: Workflow,
                ctx: Context) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Read and check the ASL file; return it with its deploy-time substitutions."""
    where = comp.path + ("definition",)
    text = ctx.read_file(spec.definition, where)
    if text is None:
        return None
    try:
        if spec.definition.endswith((".yaml", ".yml")):
            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        ctx.diags.add("E2005", f"`{spec.definition}` is not valid "
                      f"{'YAML' if spec.definition.endswith(('.yaml', '.yml')) else 'JSON'}: "
                      f"{str(exc).splitlines()[0]}", origin=ctx.origin(where), path=where)
        return None
    if not isinstance(data, dict) or "StartAt" not in data or "States" not in data:
        ctx.diags.add("E2005", f"`{spec.definition}` is not a state machine definition: it "
                      "needs `StartAt` and `States`", origin=ctx.origin(where), path=where)
        return None
    subs: dict[str, Any] = {}
    used: set[str] = set()
    out = _walk(data, where, ctx, subs, used)
    linked = {link_target(link)[0] for link in spec.link}
    for key in sorted(used - linked):
        if key.startswith("functions."):
            ctx.diags.add("I1001", f"the definition calls `{key}`, which this workflow does not "
                          "link: the state machine may not invoke it", origin=ctx.origin(where),
                          path=where, hint=f"add `{key}` to `link`")
    return out, subs


def _walk(value: Any, where: Path, ctx: Context, subs: dict[str, Any], used: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, where, ctx, subs, used) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, where, ctx, subs, used) for v in value]
    if isinstance(value, str) and "${" in value:
        return _string(value, where, ctx, subs, used)
    return value


def _string(text: str, where: Path, ctx: Context, subs: dict[str, Any], used: set[str]) -> Any:
    """Replace build-time tokens, and turn deploy-time ones into substitution placeholders."""
    got = ctx.res.interpolate_text(text, where)
    if not isinstance(got, str) or "${" not in got:
        return got

    def placeholder(m: re.Match[str]) -> str:
        tok = m.group(1).strip()
        if tok.startswith("secret:"):
            ctx.diags.add("E3005", f"`${{{tok}}}` would put a secret into the state machine "
                          "definition, readable by anyone who can describe it",
                          origin=ctx.origin(where), path=where,
                          hint="read it at run time with the Secrets Manager SDK integration "
                               "(arn:aws:states:::aws-sdk:secretsmanager:getSecretValue)")
            return ""
        if "." in tok and ":" not in tok:
            parts = tok.split(".")
            ref = f"{parts[0]}.{parts[1]}"
            single = ctx.component(parts[0]) is not None  # `network.vpc_id`
            if parts[0] != "email" and not single and ctx.component(ref) is None:
                names = [c.key for c in ctx.ir.components.values()]
                ctx.diags.add("E3001", f"`{ref}` in the definition is not declared",
                              origin=ctx.origin(where), path=where, hint=did_you_mean(ref, names))
                return m.group(0)
            used.add(ref)
        key = pascal(tok.replace("ssm:", "ssm ")) or "Value"
        if tok not in PSEUDO and ":" not in tok and "." not in tok:
            return m.group(0)
        value = ctx.value(m.group(0), where)
        while key in subs and subs[key] != value:  # `a-b` and `a_b` give the same key
            key += "X"
        subs[key] = value
        return "${" + key + "}"

    return INTERP.sub(placeholder, got)

"""Lower `ai` entries: Bedrock invoke permissions and model ids for the compute that uses them.

No resource is created: Bedrock foundation models need no provisioning, only IAM. A model id
grants `bedrock:InvokeModel` (and `InvokeModelWithResponseStream`) on exactly
`arn:${AWS::Partition}:bedrock:${AWS::Region}::foundation-model/ID`. A cross-region inference
profile id (`us.anthropic...`) grants the profile in this account and region, and the
underlying model in whichever region the profile routes to (the region part of that ARN is a
wildcard, as AWS documents), only when called through that profile
(`bedrock:InferenceProfileArn` condition).
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Sub, statement
from cloudc.schema import map_sections
from cloudc.schema.sections.ai import Assistant

SECTION = "ai"

# Geography prefix of an inference profile id -> region prefixes the project may be in.
PROFILES = {"us": ("us-",), "us-gov": ("us-gov-",), "eu": ("eu-",), "apac": ("ap-",),
            "jp": ("ap-northeast-1", "ap-northeast-3"), "au": ("ap-southeast-2", "ap-southeast-4"),
            "ca": ("ca-",), "global": ("",)}


def declare(name: str, spec: Assistant, ctx: Context) -> Component:
    """Declare the model access: link grants, the MODEL_ID variable and attributes."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "ai", path, ctx.origin(path))
    statements = []
    for i, model in enumerate(spec.models):
        statements.extend(_statements(model, spec, ctx, path + ("models", i)))
    comp.grants = {"read": statements, "write": statements}
    comp.link_env = {"MODEL_ID": spec.models[0]}
    if len(spec.models) > 1:
        comp.link_env["MODEL_IDS"] = ",".join(spec.models)
    comp.attrs = {"id": spec.models[0], "model_id": spec.models[0]}
    return comp


def _statements(model: str, spec: Assistant, ctx: Context, path: Any) -> list[dict[str, Any]]:
    actions = ["bedrock:InvokeModel"]
    if spec.streaming:
        actions.append("bedrock:InvokeModelWithResponseStream")
    geo, _, rest = model.partition(".")
    if geo not in PROFILES or "." not in rest:
        return [statement(actions, [Sub(
            f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}::foundation-model/{model}")])]
    if not ctx.region.startswith(PROFILES[geo]):
        ctx.diags.add("E3005", f"inference profile `{model}` is for the `{geo}` geography, but "
                      f"the project's region is {ctx.region}", origin=ctx.origin(path),
                      path=path, hint=f"use the model id `{rest}` or the profile of your region's "
                                      "geography")
    profile = Sub(f"arn:${{AWS::Partition}}:bedrock:${{AWS::Region}}:${{AWS::AccountId}}:"
                  f"inference-profile/{model}")
    return [
        statement(actions, [profile]),
        statement(actions, [Sub(f"arn:${{AWS::Partition}}:bedrock:*::foundation-model/{rest}")],
                  Condition={"StringLike": {"bedrock:InferenceProfileArn": profile}}),
    ]


def lower(comp: Component, spec: Assistant, ctx: Context) -> None:
    """Give each `used_by` consumer the invoke permissions and the model id variables."""
    for i, ref in enumerate(spec.used_by):
        path = comp.path + ("used_by", i)
        target = ctx.component(ref)
        if target is None:
            if ref.split(".", 1)[0] not in map_sections():
                ctx.diags.add("E3002", f"`{ref}` cannot use a model",
                              origin=ctx.origin(path), path=path,
                              hint="used_by takes functions.NAME, services.NAME or servers.NAME")
            continue  # an undeclared entry of a known section is reported by validate
        if target.statements is None or target.environment is None:
            ctx.diags.add("E3002", f"`{ref}` ({target.kind}) is not compute and cannot invoke "
                          "a model", origin=ctx.origin(path), path=path,
                          hint="used_by takes functions.NAME, services.NAME or servers.NAME")
            continue
        for st in comp.grants["read"]:
            if st not in target.statements:
                target.statements.append(st)
        for suffix, value in comp.link_env.items():
            target.environment.setdefault(f"{comp.env_prefix}_{suffix}", value)

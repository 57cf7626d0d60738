"""Read a deployed root stack, its nested stacks and their templates."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml

from cloudc.aws.diff import Side
from cloudc.aws.session import Aws, AwsError, api_errors, error_code

# A stack in one of these states holds no deployed resources to compare against.
ABSENT = {"REVIEW_IN_PROGRESS", "DELETE_COMPLETE"}


@dataclass
class Deployed:
    """What is deployed under one root stack name."""

    name: str
    status: str | None = None  # None: no such stack
    stack_id: str | None = None
    side: Side = field(default_factory=lambda: Side("", None))
    nested_ids: dict[str, str] = field(default_factory=dict)  # root logical ID -> stack id
    outputs: dict[str, str] = field(default_factory=dict)
    termination_protection: bool = False

    @property
    def exists(self) -> bool:
        """Say whether a stack holds resources (or the remains of a failed create)."""
        return self.status is not None and self.status not in ABSENT


def describe(aws: Aws, name: str) -> dict[str, Any] | None:
    """Return DescribeStacks' entry for `name`, or None when there is no such stack."""
    cfn = aws.client("cloudformation")
    try:
        with api_errors(f"describe stack {name}"):
            stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except AwsError as exc:
        # CloudFormation reports a missing stack only as a ValidationError whose message says
        # so; there is no dedicated error code to match instead.
        cause = exc.__cause__
        if error_code(cause) == "ValidationError" and "does not exist" in str(cause):
            return None
        raise
    return stacks[0] if stacks else None


def fetch(aws: Aws, name: str) -> Deployed:
    """Fetch the root stack `name`, every nested stack's template, and the stack tags."""
    found = Deployed(name, side=Side(name, None))
    info = describe(aws, name)
    if info is None:
        return found
    found.status = info["StackStatus"]
    found.stack_id = info["StackId"]
    found.outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in info.get("Outputs") or []}
    found.termination_protection = bool(info.get("EnableTerminationProtection"))
    if not found.exists or found.status == "ROLLBACK_COMPLETE":
        return found  # a failed first create left no resources to compare against
    cfn = aws.client("cloudformation")
    with api_errors(f"read the template of stack {name}"):
        root = parse_template(cfn.get_template(StackName=found.stack_id,
                                               TemplateStage="Original")["TemplateBody"])
    with api_errors(f"list the resources of stack {name}"):
        pages = cfn.get_paginator("list_stack_resources").paginate(StackName=found.stack_id)
        for page in pages:
            for r in page["StackResourceSummaries"]:
                if (r["ResourceType"] == "AWS::CloudFormation::Stack"
                        and r.get("PhysicalResourceId")
                        and r.get("ResourceStatus") != "DELETE_COMPLETE"):
                    found.nested_ids[r["LogicalResourceId"]] = r["PhysicalResourceId"]

    def nested(item: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        lid, stack = item
        with api_errors(f"read the template of nested stack {lid} ({stack})"):
            body = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        return lid, parse_template(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        templates = dict(pool.map(nested, sorted(found.nested_ids.items())))
    tags = {t["Key"]: t["Value"] for t in info.get("Tags") or []}
    found.side = Side(name, root, templates, tags=tags)
    return found


def parse_template(body: Any) -> dict[str, Any]:
    """Return a template body (boto3 gives JSON as a dict, YAML as text) as a dict."""
    if isinstance(body, dict):  # OrderedDicts from botocore: make them plain dicts
        return dict(json.loads(json.dumps(body)))
    text = str(body)
    try:
        doc = json.loads(text)
    except ValueError:
        doc = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(doc, dict):
        raise AwsError("the deployed template is not a map")
    return doc


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short forms (`!Ref`, `!GetAtt`, `!Sub`...)."""


def _short_form(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _short_form)

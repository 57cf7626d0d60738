"""Find a deployed environment's pieces: the resources of a config entry, by what the compiler
emitted (the IR) and what CloudFormation made of it (physical IDs, nested stack by stack)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudc.aws.fetch import describe
from cloudc.aws.session import Aws, AwsError, api_errors
from cloudc.diagnostics import did_you_mean

if TYPE_CHECKING:
    from cloudc.compile import Build
    from cloudc.ir import Component, Resource


class NotFound(Exception):
    """A target that the config does not declare, or that is not deployed; one line."""


@dataclass(frozen=True)
class Deployed:
    """One deployed resource: where it is and what CloudFormation calls it."""

    logical_id: str
    physical_id: str
    type: str
    status: str
    stack: str  # the stack's name or ARN
    label: str  # `root`, or the nested stack's logical ID in the root


def component(build: Build, target: str, sections: tuple[str, ...]) -> Component:
    """Return the declared entry `section.name` among `sections`, or raise NotFound."""
    assert build.ir is not None
    section, _, name = target.partition(".")
    known = sorted(k for k, c in build.ir.components.items() if c.section in sections and c.name)
    comp = build.ir.components.get(target)
    if section not in sections or not name or comp is None:
        hint = did_you_mean(target, known)
        choices = ", ".join(known) or f"none: declare one in {' or '.join(sections)}"
        raise NotFound(f"`{target}` is not one of the targets this command takes"
                       + (f" ({hint})" if hint else "") + f"; targets: {choices}")
    return comp


def owned(build: Build, owner: str, *types: str) -> list[Resource]:
    """Return the resources `owner` emitted, of the given types (all when none), in order."""
    assert build.ir is not None
    return [r for r in build.ir.resources.values()
            if r.owner == owner and (not types or r.type in types)]


def resources(aws: Aws, name: str, build: Build | None = None) -> dict[str, Deployed]:
    """Return every deployed resource of the root stack `name` and its nested stacks; given
    the `build`, of every root stack of the app (several past 2,500 resources, cloudc/roots.py).

    cloudc's logical IDs are unique across all of an app's stacks, so one map holds them all.
    """
    if build is not None and build.more_roots:
        from cloudc.roots import root_stacks

        every: dict[str, Deployed] = {}
        for each in root_stacks(build, name):
            every.update(resources(aws, each.name))
        return every
    info = describe(aws, name)
    if info is None or info["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
        raise AwsError(f"stack {name} is not deployed (run `cloudc deploy` first)")
    root = _list(aws, info["StackId"], "root")
    nested = [(r.logical_id, r.physical_id) for r in root.values()
              if r.type == "AWS::CloudFormation::Stack" and r.physical_id]
    out = dict(root)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for found in pool.map(lambda item: _list(aws, item[1], item[0]), nested):
            out.update(found)
    return out


def _list(aws: Aws, stack: str, label: str) -> dict[str, Deployed]:
    out = {}
    cfn = aws.client("cloudformation")
    with api_errors(f"list the resources of stack {stack}"):
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
            for r in page["StackResourceSummaries"]:
                out[r["LogicalResourceId"]] = Deployed(
                    r["LogicalResourceId"], r.get("PhysicalResourceId", ""),
                    r["ResourceType"], r.get("ResourceStatus", ""), stack, label)
    return out


def literal(value: Any) -> str | None:
    """Return a property value that is a plain string in the template, else None."""
    return value if isinstance(value, str) else None


def physical(aws: Aws, name: str, resource: Resource,
             cache: dict[str, Deployed] | None = None) -> str:
    """Return a resource's physical ID as deployed under the root stack `name`."""
    found = (cache if cache is not None else resources(aws, name)).get(resource.logical_id)
    if found is None or not found.physical_id:
        raise AwsError(f"{resource.logical_id} ({resource.type}) is not deployed in stack "
                       f"{name}; deploy the environment first")
    return found.physical_id

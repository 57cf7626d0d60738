"""Delete an environment's stacks, and say what stays behind because its policy keeps it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudc.aws import deploy as d
from cloudc.aws import locate
from cloudc.aws.fetch import Deployed
from cloudc.aws.session import Aws, api_errors

KEEPING = ("Retain", "RetainExceptOnCreate", "Snapshot")


@dataclass(frozen=True)
class Kept:
    """A resource that deleting its stack leaves behind (or, for Snapshot, its last snapshot)."""

    logical_id: str
    type: str
    physical_id: str
    stack: str
    policy: str

    def line(self) -> str:
        """Return one line for the user."""
        what = "its final snapshot" if self.policy == "Snapshot" else self.policy
        name = self.physical_id or "(not created)"
        return f"{self.type:<28} {name}  ({self.logical_id} in stack {self.stack}: {what})"


def retained(deployed: Deployed, found: dict[str, locate.Deployed]) -> list[Kept]:
    """Return what deleting `deployed` keeps, from its templates' DeletionPolicy."""
    side = deployed.side
    templates: list[tuple[str, dict[str, Any]]] = [("root", side.root or {})]
    templates += [(side.label(lid), doc) for lid, doc in sorted(side.nested.items())]
    out = []
    for label, doc in templates:
        for lid, body in (doc.get("Resources") or {}).items():
            policy = str(body.get("DeletionPolicy") or "")
            if policy in KEEPING:
                where = found.get(lid)
                if where is not None and where.status == "DELETE_COMPLETE":
                    continue
                out.append(Kept(lid, str(body.get("Type", "")),
                                where.physical_id if where else "", label, policy))
    return out


def labels(deployed: Deployed) -> dict[str, str]:
    """Return the display label of each nested stack, by its logical ID in the root."""
    return {lid: deployed.side.label(lid) for lid in deployed.side.nested}


def delete(aws: Aws, deployed: Deployed, say: Callable[..., None]) -> tuple[str, str]:
    """Delete the root stack (CloudFormation deletes the nested ones), streaming its events.

    Return the final status (DELETE_COMPLETE when gone) and, on failure, the first failure.
    """
    stack = deployed.stack_id or deployed.name
    cfn = aws.client("cloudformation")
    watcher = d.Watcher(aws, stack, labels(deployed), say)
    watcher.skip_existing()
    if deployed.termination_protection:
        say(f"turning off termination protection for {deployed.name}")
        with api_errors(f"turn off termination protection for {deployed.name}"):
            cfn.update_termination_protection(StackName=stack,
                                              EnableTerminationProtection=False)
    with api_errors(f"delete stack {deployed.name}"):
        cfn.delete_stack(StackName=stack)
    info = d.watch(aws, stack, watcher)
    status = info["StackStatus"] if info else "DELETE_COMPLETE"
    failure = ""
    failed = watcher.first_failure()
    if status != "DELETE_COMPLETE" and failed is not None:
        failure = (f"{failed.get('LogicalResourceId', '')} ({failed.get('ResourceType')}) in "
                   f"stack {watcher.label_of(failed)}: {failed.get('ResourceStatus')}: "
                   f"{failed.get('ResourceStatusReason', 'no reason given')}")
    return status, failure

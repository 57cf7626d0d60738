"""Move resources between nested stacks with a CloudFormation stack refactor, not a replacement.

When a build places a resource in another nested stack than the deployed one (an owner outgrew
its stack, or `cloudc build --rebalance`), updating the root would delete it in one stack and
create it in the other, data and all. A stack refactor moves it instead: `deploy` runs one
before the change set. A refactor may not create, delete or change anything (and may not add
parameters), so its templates are the *deployed* ones with only the moved resources carried
across; the change set that follows applies every other change.
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-refactoring.html

A move the refactor cannot carry is left to the update (and `diff` shows it as a replacement):
its new nested stack does not exist yet, it reads a value its new stack has no parameter for,
something left behind (a resource or an output) still refers to it, it names
`AWS::StackName`/`AWS::StackId` (which differ between the stacks), or its old stack would be
left empty. At most five stacks take part in one refactor, so moves are batched.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from cloudc.aws.diff import Plan, Side, _stateful
from cloudc.aws.fetch import Deployed
from cloudc.aws.session import Aws, AwsError, api_errors

MAX_STACKS = 5  # stacks one refactor may touch
POLL_SECONDS = 2.0
# Pseudo parameters whose value differs between the source and destination stacks.
STACK_PSEUDO = ("AWS::StackName", "AWS::StackId")
_DONE = ("CREATE_COMPLETE", "CREATE_FAILED", "DELETE_COMPLETE", "DELETE_FAILED")
_EXECUTED = ("EXECUTE_COMPLETE", "EXECUTE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED",
             "OBSOLETE", "UNAVAILABLE")


@dataclass(frozen=True)
class Move:
    """One resource leaving one nested stack (root logical IDs) for another."""

    logical_id: str
    source: str
    target: str


@dataclass
class Batch:
    """One refactor: the stacks it touches (root logical ID -> new template) and its moves."""

    templates: dict[str, dict[str, Any]] = field(default_factory=dict)
    moves: list[Move] = field(default_factory=list)


@dataclass
class RefactorPlan:
    """What deploy will move by refactors, and the moves no refactor can carry (and why)."""

    batches: list[Batch] = field(default_factory=list)
    blocked: dict[str, str] = field(default_factory=dict)  # logical ID -> reason

    @property
    def carried(self) -> set[str]:
        """Return the logical IDs the refactors move."""
        return {m.logical_id for b in self.batches for m in b.moves}


def moves_between(old: Side, new: Side) -> list[Move]:
    """Return every resource that lives in another nested stack on `new` than on `old`."""
    was = {lid: key for key, t in old.nested.items() for lid in t.get("Resources") or {}}
    out = []
    for key, t in new.nested.items():
        for lid in t.get("Resources") or {}:
            if lid in was and was[lid] != key:
                out.append(Move(lid, was[lid], key))
    return out


def plan_refactor(old: Side, new: Side, existing: set[str] | None = None) -> RefactorPlan:
    """Plan the refactors that carry `old` -> `new` moves; `existing` names the deployed nested
    stacks (root logical IDs; default: those `old` has templates for)."""
    have = set(old.nested) if existing is None else existing
    plan = RefactorPlan()
    moves = moves_between(old, new)
    moving = {m.logical_id: m for m in moves}
    ok: list[Move] = []
    for m in moves:
        why = _blocker(m, old, moving, have, new)
        if why:
            plan.blocked[m.logical_id] = why
        else:
            ok.append(m)
    # A stack emptied by its moves cannot be refactored (CloudFormation has no empty stacks).
    for key, t in old.nested.items():
        leaving = [m for m in ok if m.source == key]
        arriving = [m for m in ok if m.target == key]
        if leaving and len(leaving) == len(t.get("Resources") or {}) and not arriving:
            for m in leaving:
                plan.blocked[m.logical_id] = (f"it is the last resource of nested stack "
                                              f"{old.label(key)}, and a refactor cannot leave "
                                              "a stack empty")
    ok = [m for m in ok if m.logical_id not in plan.blocked]
    for moves_in in _batches(ok):
        batch = Batch(moves=moves_in)
        for key in dict.fromkeys(k for m in moves_in for k in (m.source, m.target)):
            batch.templates[key] = _after(old.nested[key], key, moves_in, old)
        plan.batches.append(batch)
    return plan


def _blocker(m: Move, old: Side, moving: dict[str, Move], have: set[str], new: Side) -> str:
    """Return why a refactor cannot carry `m` ("" when it can)."""
    label = new.label(m.target)
    if m.target not in have:
        return (f"its new nested stack {label} does not exist yet (a refactor cannot create a "
                "nested stack)")
    source = old.nested[m.source]
    target = old.nested[m.target]
    body = source["Resources"][m.logical_id]
    names, pseudo = _names(body)
    if pseudo:
        return f"it uses {pseudo}, which differs between the two stacks"
    params = set(target.get("Parameters") or {})
    for n in names:
        mover = moving.get(n)
        if mover is not None and mover.target == m.target:
            continue
        if n in (target.get("Resources") or {}) or n in params:
            continue
        return f"it needs `{n}`, which nested stack {label} has no parameter or resource for"
    for lid, other in (source.get("Resources") or {}).items():
        if lid in moving and moving[lid].target == m.target:
            continue
        if m.logical_id in _names(other)[0]:
            return f"{lid}, left in {old.label(m.source)}, still refers to it"
    for key, out in (source.get("Outputs") or {}).items():
        if m.logical_id in _names(out)[0]:
            return f"output {key} of {old.label(m.source)} reads it (the root passes it on)"
    return ""


def _names(value: Any) -> tuple[set[str], str]:
    """Return the logical names a template value refers to, and a stack pseudo it uses."""
    names: set[str] = set()
    pseudo = ""
    for kind, name in _refs(value):
        if name in STACK_PSEUDO:
            pseudo = name
        elif not name.startswith("AWS::"):
            names.add(name if kind != "sub" else name.split(".", 1)[0])
    return names, pseudo


def _refs(value: Any) -> Iterator[tuple[str, str]]:
    """Yield (kind, name) for every Ref, GetAtt, Sub variable and DependsOn in a value."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "Ref" and isinstance(v, str):
                yield "ref", v
            elif k == "Fn::GetAtt" and isinstance(v, list) and v and isinstance(v[0], str):
                yield "getatt", v[0]
            elif k == "Fn::GetAtt" and isinstance(v, str):
                yield "getatt", v.split(".", 1)[0]
            elif k == "Fn::Sub":
                text, local = (v, {}) if isinstance(v, str) else (v[0], v[1]) if (
                    isinstance(v, list) and len(v) == 2 and isinstance(v[1], dict)) else ("", {})
                for name in _sub_names(str(text)):
                    if name not in local:
                        yield "sub", name
                yield from _refs(local)
            elif k == "DependsOn":
                for d in [v] if isinstance(v, str) else v if isinstance(v, list) else []:
                    yield "ref", str(d)
            elif k != "Metadata":
                yield from _refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from _refs(v)


def _sub_names(text: str) -> Iterator[str]:
    i = 0
    while True:
        i = text.find("${", i)
        if i < 0:
            return
        j = text.find("}", i)
        if j < 0:
            return
        if not text.startswith("${!", i):
            yield text[i + 2:j]
        i = j + 1


def _batches(moves: list[Move]) -> list[list[Move]]:
    """Pack moves into batches that touch at most MAX_STACKS stacks each."""
    pairs: dict[tuple[str, str], list[Move]] = {}
    for m in moves:
        pairs.setdefault((m.source, m.target), []).append(m)
    out: list[list[Move]] = []
    stacks: list[set[str]] = []
    for (a, b), ms in sorted(pairs.items()):
        for i, have in enumerate(stacks):
            if len(have | {a, b}) <= MAX_STACKS:
                have |= {a, b}
                out[i] += ms
                break
        else:
            stacks.append({a, b})
            out.append(list(ms))
    return out


def _after(template: dict[str, Any], key: str, moves: list[Move], old: Side) -> dict[str, Any]:
    """Return a deployed template with this batch's moves out of it and into it."""
    doc = copy.deepcopy(template)
    resources = doc.setdefault("Resources", {})
    for m in moves:
        if m.source == key:
            resources.pop(m.logical_id, None)
        if m.target == key:
            resources[m.logical_id] = copy.deepcopy(old.nested[m.source]["Resources"]
                                                    [m.logical_id])
    return doc


def mark_carried(plan: Plan, refactors: RefactorPlan) -> None:
    """Show the moves a refactor will carry as moves that keep the resource (no replacement)."""
    carried = refactors.carried
    for rc in plan.resources:
        if rc.action != "move":
            continue
        if rc.logical_id not in carried:
            why = refactors.blocked.get(rc.logical_id)
            if why:
                rc.reasons.append(f"no stack refactor can carry it: {why}")
            continue
        rc.reasons[0] = (f"moves from nested stack {rc.from_stack} to {rc.stack} by a stack "
                         "refactor before the update: the resource is kept, not replaced")
        level = ""
        for c in rc.props:
            if c.replacement == "yes" or (c.replacement == "maybe" and not level):
                level = c.replacement
        for reason in rc.reasons[1:]:
            if "forces replacement" in reason:
                level = "yes"
            elif "may force replacement" in reason and not level:
                level = "maybe"
        rc.replacement = level
        rc.data_loss = rc.lost = rc.kept = ""
        if level:
            _stateful(rc, {"UpdateReplacePolicy": rc.policy} if rc.policy else {},
                      "UpdateReplacePolicy", level)


def describe_moves(plan: RefactorPlan, labels: Callable[[str], str]) -> list[str]:
    """Return one line per move: what a refactor carries, and what it cannot."""
    lines = [f"{m.logical_id}: {labels(m.source)} -> {labels(m.target)} (stack refactor)"
             for b in plan.batches for m in b.moves]
    lines += [f"{lid}: cannot be refactored: {why}" for lid, why in sorted(plan.blocked.items())]
    return lines


def _sleep() -> None:
    import time

    time.sleep(POLL_SECONDS)


Upload = Callable[[bytes], str]  # stores a template, returns its S3 URL


def run(aws: Aws, plan: RefactorPlan, stack_ids: dict[str, str], upload: Upload,
        say: Callable[[str], None]) -> None:
    """Create, check and execute each refactor of `plan`; raise AwsError when one fails.

    `stack_ids` maps a nested stack's root logical ID to its stack ID (ARN); templates are
    passed by URL (`upload`), as nested templates can exceed TemplateBody's 51,200 bytes.
    """
    cfn = aws.client("cloudformation")
    for n, batch in enumerate(plan.batches, 1):
        request = build_request(batch, stack_ids, upload, n)
        with api_errors("create a stack refactor"):
            made = cfn.create_stack_refactor(**request)
        rid = made["StackRefactorId"]
        desc = _wait(cfn, rid, "Status", _DONE)
        if desc.get("Status") != "CREATE_COMPLETE":
            raise AwsError(f"stack refactor {rid} could not be created: "
                           f"{desc.get('StatusReason') or desc.get('Status')}")
        say(f"refactor {n}/{len(plan.batches)}: moving {len(batch.moves)} resource(s) between "
            f"{len(batch.templates)} nested stacks")
        with api_errors(f"execute stack refactor {rid}"):
            cfn.execute_stack_refactor(StackRefactorId=rid)
        desc = _wait(cfn, rid, "ExecutionStatus", _EXECUTED)
        if desc.get("ExecutionStatus") != "EXECUTE_COMPLETE":
            raise AwsError(f"stack refactor {rid} failed ({desc.get('ExecutionStatus')}): "
                           f"{desc.get('ExecutionStatusReason', 'no reason given')}")


def build_request(batch: Batch, stack_ids: dict[str, str], upload: Upload,
                  n: int = 1) -> dict[str, Any]:
    """Return CreateStackRefactor's arguments for one batch."""
    defs = []
    for key, doc in batch.templates.items():
        data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
        defs.append({"StackName": stack_ids[key], "TemplateURL": upload(data)})
    return {
        "Description": f"cloudc: move {len(batch.moves)} resource(s) between nested stacks "
                      f"(batch {n})",
        "EnableStackCreation": False,
        "StackDefinitions": defs,
        "ResourceMappings": [
            {"Source": {"StackName": stack_ids[m.source], "LogicalResourceId": m.logical_id},
             "Destination": {"StackName": stack_ids[m.target],
                             "LogicalResourceId": m.logical_id}}
            for m in batch.moves],
    }


def _wait(cfn: Any, rid: str, key: str, final: tuple[str, ...]) -> dict[str, Any]:
    while True:
        with api_errors(f"describe stack refactor {rid}"):
            desc: dict[str, Any] = cfn.describe_stack_refactor(StackRefactorId=rid)
        if desc.get(key) in final:
            return desc
        _sleep()


def content_key(data: bytes) -> str:
    """Return the artifacts-bucket key of a template (content-hashed, like deploy's)."""
    return f"templates/{hashlib.sha256(data).hexdigest()}.json"


class Asker(Protocol):
    """What `refactor_first` needs from deploy's reporter."""

    def say(self, message: str, fg: str | None = None) -> None:
        """Print a status line."""

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question."""


def refactor_first(aws: Aws, deployed: Deployed, local: Side, bucket: str,
                   out: Asker) -> int | None:
    """Move what changes nested stack by refactors before the update; return how many moved
    (None: the user said no). Moves no refactor can carry are left to the update (and named).
    """
    from cloudc.aws.deploy import template_url, upload

    plan = plan_refactor(deployed.side, local, set(deployed.nested_ids))
    for lid, why in sorted(plan.blocked.items()):
        out.say(f"{lid} changes nested stack but no stack refactor can carry it: {why}; the "
                "update replaces it", fg="yellow")
    if not plan.batches:
        return 0
    for line in describe_moves(plan, local.label):
        if "cannot be refactored" not in line:
            out.say(f"  {line}")
    n = len(plan.carried)
    if not out.confirm(f"Move {n} resource(s) between nested stacks with a CloudFormation "
                       "stack refactor first (nothing is deleted or changed)?"):
        out.say("not deployed", fg="yellow")
        return None
    region = None if aws.endpoint_url else aws.region

    def store(data: bytes) -> str:
        key = content_key(data)
        upload(aws, bucket, {key: data})
        return template_url(bucket, key, region)

    run(aws, plan, deployed.nested_ids, store, out.say)
    out.say(f"moved {n} resource(s) between nested stacks", fg="green")
    return n

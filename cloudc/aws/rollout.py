"""The deploy state machine: from the stack's status to a deployed (or rolled-back) stack.

`deploy_stack` decides what the stack's status allows (watch, refuse, recreate a rolled-back
first create), packages and uploads, creates one change set, asks, executes it and follows
the events; `follow` reports success (outputs, sites) or the first failure at its config line.
The caller supplies a `Reporter`, which does every bit of printing and asking, so this module
never imports the CLI.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cloudc.aws import deploy as d
from cloudc.aws import history
from cloudc.aws.diff import Plan, Side
from cloudc.aws.diff import diff as compare
from cloudc.aws.fetch import describe, fetch
from cloudc.aws.images import Images
from cloudc.aws.refactor import refactor_first
from cloudc.aws.session import Aws, api_errors
from cloudc.aws.sites import sync_sites
from cloudc.diagnostics import Diagnostic
from cloudc.signals import Interrupted
from cloudc.source import Origin

if TYPE_CHECKING:
    from collections.abc import Callable

    from cloudc.compile import Build

PRODUCTION = ("production", "prod")


class Outcome(enum.Enum):
    """How a deploy ended; the command maps each to its exit code."""

    DONE = "done"                # deployed, or nothing to do
    NOT_CONFIRMED = "declined"   # the user (or no terminal) said no
    FAILED = "failed"            # a failed deployment, or a stack in a state we cannot touch
    UNBUILDABLE = "unbuildable"  # an image to build and no container tool: nothing changed
    STOPPED = "stopped"          # Ctrl-C while watching; CloudFormation carries on


class Reporter(Protocol):
    """What the deploy needs from its caller: status lines, the product, questions, findings."""

    def say(self, message: str, fg: str | None = None) -> None:
        """Print a status line (stderr)."""

    def plan(self, plan: Plan) -> None:
        """Show the plan (stdout)."""

    def output(self, line: str) -> None:
        """Print one line of product (stdout): a stack output."""

    def confirm(self, question: str) -> bool:
        """Ask a yes/no question; True means go ahead."""

    def findings(self, found: list[Diagnostic]) -> None:
        """Report diagnostics at their config lines."""


def stack_name(build: Build) -> str:
    """Return the root stack's name: `{slug}-{env}`."""
    return f"{build.config.project.slug}-{build.env}"


def stack_tags(build: Build) -> dict[str, str]:
    """Return the tags cloudc puts on the root stack (CloudFormation copies them down)."""
    return {"project": str(build.config.project.slug), "environment": build.env,
            **{str(k): str(v) for k, v in (build.config.tags or {}).items()}}


def deploy_stack(aws: Aws, path: Path, build: Build, name: str, out: Reporter, *,
                 watch_only: bool = False) -> Outcome:
    """Deploy `build` to the root stack `name` (or only watch what is running)."""
    local = Side.from_build(name, build.root, build.nested, stack_tags(build))
    env = build.env
    info = describe(aws, name)
    status = info["StackStatus"] if info else None
    stack = info["StackId"] if info else name
    if watch_only:
        if status is None or not status.endswith("_IN_PROGRESS"):
            out.say(f"stack {name}: {status or 'does not exist'}; nothing is running")
            return Outcome.DONE
        watcher = d.Watcher(aws, stack, local.labels, out.say)
        watcher.skip_existing()
        return follow(aws, path, build, name, watcher, out)
    refused = _refusal(name, env, status)
    if refused:
        out.say(refused, fg="red")
        return Outcome.FAILED
    # Container images (cloudc/aws/images.py): only reads here, so a missing container tool
    # stops the deploy before anything changes; pushes happen once the change set is agreed.
    images = Images.prepare(aws, build, name, stack_tags(build), path)
    problems = images.problems(build, path)
    if problems:
        out.findings(problems)
        out.say("not deployed: nothing was changed", fg="red")
        return Outcome.UNBUILDABLE
    if status == "ROLLBACK_COMPLETE":
        outcome = _recreate(aws, name, stack, out)
        if outcome is not None:
            return outcome
    deployed = fetch(aws, name)
    plan = compare(deployed.side, local)
    plan.resources += images.changes
    create = not deployed.exists or deployed.status == "ROLLBACK_COMPLETE"
    if plan.identical and not create and not images.missing:
        return _up_to_date(aws, path, build, name, plan, out)
    bucket = d.ensure_bucket(aws, out.say)
    if not create:  # resources that change nested stack move by a refactor first (lock.py)
        moved = refactor_first(aws, deployed, local, bucket, out)
        if moved is None:
            return Outcome.NOT_CONFIRMED
        if moved:
            deployed = fetch(aws, name)
            plan = compare(deployed.side, local)
    # Real S3 wants regional template URLs; an emulator (--endpoint-url) the global form.
    pkg = d.package(build.root, build.nested, build.assets.files, bucket,
                    None if aws.endpoint_url else aws.region)
    sent = d.upload(aws, bucket, pkg.uploads)
    out.say(f"uploaded {sent} of {len(pkg.uploads)} files to s3://{bucket} "
            f"({len(pkg.uploads) - sent} already there)")
    # Before the change set: executing it would fail on a missing service-linked role.
    d.ensure_linked_roles(aws, [build.root, *build.nested.values()], out.say)
    cs = d.create_change_set(aws, name, pkg, create=create, tags=stack_tags(build))
    cs.created_stack = create and status in (None, "ROLLBACK_COMPLETE")
    if cs.empty:
        images.publish(aws, out.say)
        images.finish(aws, out.say)
        return _up_to_date(aws, path, build, name, plan, out)
    try:  # until it is executed, the change set is ours to delete (Ctrl-C, "no", a failure)
        if not review(aws, cs, plan, local, out, f"Deploy this change set to {name}?",
                      "not deployed"):
            return Outcome.NOT_CONFIRMED
        watcher = d.Watcher(aws, cs.stack_id, local.labels, out.say)
        if not create:
            watcher.skip_existing()
    except BaseException:
        if not d.discard(aws, cs):
            out.say(f"change set {cs.id} could not be deleted: delete it with `aws "
                    f"cloudformation delete-change-set --change-set-name {cs.id}`", fg="yellow")
        raise
    try:  # the repositories, then the images the new task definitions name
        images.publish(aws, out.say)
    except BaseException:
        d.discard(aws, cs)
        raise
    d.execute(aws, cs, name)
    out.say(f"deploying {name} ...")
    def recorded() -> None:  # what `cloudc rollback` and `cloudc status` read
        images.finish(aws, out.say)
        history.record(aws, bucket, pkg, build, name, stack_tags(build), out.say)

    return follow(aws, path, build, name, watcher, out, on_complete=recorded)


def deploy_roots(aws: Aws, path: Path, build: Build, name: str, out: Reporter, *,
                 watch_only: bool = False, parallel: bool = False) -> Outcome:
    """Deploy every root of `build` (one, or several past 2,500 resources; cloudc/roots.py) in
    dependency order; with `parallel` (no questions to ask) the roots of a wave run at once.
    Stops at the first root that does not end DONE."""
    from concurrent.futures import ThreadPoolExecutor

    from cloudc.roots import part, root_stacks, waves

    roots = root_stacks(build, name)
    if len(roots) == 1:
        return deploy_stack(aws, path, build, name, out, watch_only=watch_only)
    out.say(f"{len(roots)} root stacks (the app is over one operation's 2,500 resources): "
            + ", ".join(r.name for r in roots))
    bucket = None
    if not watch_only:  # once, before roots run in parallel (each would race to create it)
        bucket = d.ensure_bucket(aws, out.say)
    for wave in waves(roots):
        def one(root: Any) -> Outcome:
            return deploy_stack(aws, path, part(build, root), root.name, out,
                                watch_only=watch_only)

        if parallel and len(wave) > 1:
            with ThreadPoolExecutor(max_workers=len(wave)) as pool:
                outcomes = list(pool.map(one, wave))
        else:
            outcomes = []
            for root in wave:
                outcomes.append(one(root))
                if outcomes[-1] is not Outcome.DONE:
                    break
        bad = [o for o in outcomes if o is not Outcome.DONE]
        if bad:
            return bad[0]
    if bucket is not None:  # the set of root records `cloudc rollback` returns to
        from cloudc.aws import apps

        apps.record(aws, bucket, name, build.env, roots, out.say)
    return Outcome.DONE


def review(aws: Aws, cs: d.ChangeSet, plan: Plan, local: Side, out: Reporter, question: str,
           declined: str) -> bool:
    """Show `plan` with the change set's replacements merged in, warn about data loss, and ask
    `question`; on "no", delete the change set, say `declined` and return False."""
    d.merge_change_set(plan, cs, local)
    out.plan(plan)
    if plan.data_loss:
        out.say(f"{len(plan.data_loss)} change(s) destroy stateful data; read the plan "
                "above", fg="red")
    if out.confirm(question):
        return True
    d.discard(aws, cs)
    out.say(declined, fg="yellow")
    return False


def _refusal(name: str, env: str, status: str | None) -> str | None:
    """Return why a stack in `status` cannot be deployed now, or None."""
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        return (f"stack {name} is busy ({status}); watch it with "
                f"`cloudc deploy --env {env} --watch`, then deploy again")
    if status == "UPDATE_ROLLBACK_FAILED":
        return (f"stack {name} is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back "
                "an update. Fix the cause (see the events), then run `aws cloudformation "
                f"continue-update-rollback --stack-name {name}` (add --resources-to-skip for "
                "resources that cannot be restored), and deploy again.")
    if status in ("DELETE_FAILED", "ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"):
        return (f"stack {name} is {status}; see `aws cloudformation describe-stack-events "
                f"--stack-name {name}`, fix the cause and delete the stack")
    return None


def _recreate(aws: Aws, name: str, stack: str, out: Reporter) -> Outcome | None:
    """Delete a stack whose first create failed, if the user agrees; None when it is gone."""
    out.say(f"stack {name} is ROLLBACK_COMPLETE: its first create failed and it cannot "
            "be updated; it has no resources and must be deleted and created again",
            fg="yellow")
    if not out.confirm(f"Delete stack {name} and create it again?"):
        return Outcome.NOT_CONFIRMED
    with api_errors(f"delete stack {name}"):
        aws.client("cloudformation").delete_stack(StackName=stack)
    gone = d.wait_until_settled(aws, stack)
    if gone is not None and gone["StackStatus"] != "DELETE_COMPLETE":
        out.say(f"stack {name} could not be deleted ({gone['StackStatus']})", fg="red")
        return Outcome.FAILED
    out.say(f"deleted stack {name}")
    return None


def _up_to_date(aws: Aws, path: Path, build: Build, name: str, plan: Plan,
                out: Reporter) -> Outcome:
    out.plan(plan)
    out.say(f"no changes: stack {name} is up to date", fg="green")
    _sync_sites(aws, name, build, path, out)
    return Outcome.DONE


def follow(aws: Aws, path: Path, build: Build, name: str, watcher: d.Watcher,
           out: Reporter, on_complete: Callable[[], None] | None = None) -> Outcome:
    """Stream events until the stack settles, then report success or the first failure.

    `on_complete` (recording the deployment) runs as soon as the stack is complete, before the
    site uploads, with Ctrl-C held off: a stack that changed is always recorded."""
    env = build.env
    try:
        info = d.watch(aws, watcher.root, watcher)
    except (KeyboardInterrupt, Interrupted):
        out.say(f"stopped watching. CloudFormation keeps deploying {name}: watch it again "
                f"with `cloudc deploy --env {env} --watch`, or stop an update with "
                f"`aws cloudformation cancel-update-stack --stack-name {name}`", fg="yellow")
        return Outcome.STOPPED
    status = info["StackStatus"] if info else "DELETE_COMPLETE"
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        if on_complete is not None:
            with d.shielded():
                on_complete()
        if env in PRODUCTION and info is not None and not info.get("EnableTerminationProtection"):
            _protect(aws, name, out)
        for o in (info or {}).get("Outputs") or []:
            out.output(f"{o['OutputKey']} = {o.get('OutputValue', '')}")
        out.say(f"deployed {name}: {status}", fg="green")
        _sync_sites(aws, name, build, path, out)
        return Outcome.DONE
    failed = watcher.first_failure()
    if failed is not None:
        lid = failed.get("LogicalResourceId", "")
        label = watcher.label_of(failed)
        message = (f"{lid} ({failed.get('ResourceType')}) in stack {label}: "
                   f"{failed.get('ResourceStatus')}: "
                   f"{failed.get('ResourceStatusReason', 'no reason given')}")
        origin = _origin(build, path, lid, label)
        out.findings([Diagnostic("E5001", message, origin, file=str(path))])
    out.say(f"deploy failed: stack {name} is {status}; {_failure_hint(name, env, status)}",
            fg="red")
    return Outcome.FAILED


def _protect(aws: Aws, name: str, out: Reporter) -> None:
    """Turn on termination protection; a failure is a warning (the deploy itself succeeded)."""
    try:
        with api_errors(f"turn on termination protection for {name}"):
            aws.client("cloudformation").update_termination_protection(
                StackName=name, EnableTerminationProtection=True)
        out.say(f"termination protection is on for {name}")
    except Exception as exc:  # noqa: BLE001 - a warning, the deploy itself succeeded
        out.say(f"warning: could not turn on termination protection: {exc}", fg="yellow")


def _failure_hint(name: str, env: str, status: str) -> str:
    if status == "ROLLBACK_COMPLETE":
        return (f"the stack was rolled back; the next `cloudc deploy --env {env}` offers to "
                "delete and create it again (--yes does it)")
    if status == "UPDATE_ROLLBACK_COMPLETE":
        return "the update was rolled back; the previous version is in place"
    if status == "UPDATE_ROLLBACK_FAILED":
        return (f"the rollback failed too; fix the cause, then run `aws cloudformation "
                f"continue-update-rollback --stack-name {name}`")
    return f"see `aws cloudformation describe-stack-events --stack-name {name}`"


def _origin(build: Build, path: Path, lid: str, label: str) -> Origin | None:
    """Return where in the config a resource was declared."""
    if build.ir is not None and lid in build.ir.resources:
        origin = build.ir.resources[lid].origin
        if origin is not None:
            return origin
    templates = [build.nested[g] for g in build.nested if g == label] + [build.root]
    for t in templates:
        meta = (t.get("Resources", {}).get(lid) or {}).get("Metadata") or {}
        where = str(meta.get("cloudc:origin", ""))
        file, _, line = where.rpartition(":")
        if file and line.isdigit():
            return Origin(str(path.parent / file), int(line), 1)
    return None


def _sync_sites(aws: Aws, name: str, build: Build, path: Path, out: Reporter) -> None:
    """Upload each site's folder to its bucket (the stack must be deployed)."""
    with api_errors("upload the sites' files"):
        sync_sites(aws, name, build.nested, path.parent, lambda m: out.say(m))

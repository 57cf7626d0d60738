"""`cloudc diff` and `cloudc deploy`: compare with and update the deployed stacks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudc.cli import (EXIT_AWS, EXIT_INPUT, EXIT_OK, EXIT_USAGE, Options, cli, default_env,
                        report, say)
from cloudc.diagnostics import Diagnostic, did_you_mean
from cloudc.project import find_config
from cloudc.source import Origin

if TYPE_CHECKING:
    from cloudc.compile import Build

PRODUCTION = ("production", "prod")


def stack_name(build: Build) -> str:
    """Return the root stack's name: `{slug}-{env}`."""
    return f"{build.config.project.slug}-{build.env}"


def stack_tags(build: Build) -> dict[str, str]:
    """Return the tags cloudc puts on the root stack (CloudFormation copies them down)."""
    return {"project": str(build.config.project.slug), "environment": build.env,
            **{str(k): str(v) for k, v in (build.config.tags or {}).items()}}


def _compile(opts: Options, file: str | None, env: str | None,
             sets: tuple[str, ...]) -> tuple[Path, Build]:
    from cloudc.compile import compile_config

    path = find_config(file)
    build = compile_config(path, default_env(env), list(sets))
    report(opts, build.diagnostics.sorted())
    if build.diagnostics.has_errors:
        n = len(build.diagnostics.errors)
        say(opts, f"cannot compile {path}: {n} error{'s' if n != 1 else ''}", fg="red")
        raise SystemExit(EXIT_INPUT)
    return path, build


def _aws(opts: Options, build: Build) -> Any:
    from cloudc.aws.session import Aws

    return Aws(opts.region or str(build.config.project.region), opts.profile, opts.endpoint_url)


def _fail(opts: Options, exc: Exception) -> None:
    click.secho(f"cloudc: error: {exc}", err=True, fg="red" if opts.color else None)
    raise SystemExit(EXIT_AWS)


def _only(plan: Any, stack: str) -> None:
    """Keep only the changes in one stack (a group name like `storage`, or `root`)."""
    plan.resources = [r for r in plan.resources if stack in (r.stack, r.from_stack)]
    for part in ("stacks", "parameters", "outputs"):
        setattr(plan, part, [c for c in getattr(plan, part)
                             if c.path == stack or c.path.startswith(stack + ": ")])
    plan.other = []


# --- diff -----------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None,
              help="Environment (default $CLOUDC_ENV, else development).")
@click.option("--stack", "only", default=None, metavar="GROUP",
              help="Show only one nested stack (e.g. storage), or root.")
@click.option("--stack-name", "root_name", default=None,
              help="Root stack name (default {slug}-{env}).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def diff(opts: Options, file: str | None, env: str | None, only: str | None,
         root_name: str | None, fmt: str, sets: tuple[str, ...]) -> None:
    """Compare FILE, compiled, with the deployed stack and every nested stack.

    Exit 0: no changes; 1: changes (or errors in FILE); 3: AWS/API failure.
    """
    path, build = _compile(opts, file, env, sets)
    from cloudc.aws.diff import Side, diff as compare
    from cloudc.aws.fetch import fetch
    from cloudc.aws.render import render_json, render_text
    from cloudc.aws.session import AwsError

    name = root_name or stack_name(build)
    try:
        deployed = fetch(_aws(opts, build), name)
    except AwsError as exc:
        _fail(opts, exc)
        return
    status = deployed.status or ""
    if status == "ROLLBACK_COMPLETE":
        say(opts, f"stack {name} is ROLLBACK_COMPLETE (its first create failed): "
                  "comparing against nothing", fg="yellow")
    elif status.endswith(("_IN_PROGRESS", "_FAILED")) and status != "REVIEW_IN_PROGRESS":
        say(opts, f"stack {name} is {status}: comparing against its current template",
            fg="yellow")
    local = Side.from_build(name, build.root, build.nested, stack_tags(build))
    plan = compare(deployed.side, local)
    if only:
        known = {"root", *local.labels.values(),
                 *(deployed.side.label(k) for k in deployed.side.nested)}
        if only not in known:
            hint = did_you_mean(only, known)
            click.echo(f"cloudc: no nested stack `{only}`" + (f" ({hint})" if hint else "")
                       + f"; stacks: {', '.join(sorted(known))}", err=True)
            raise SystemExit(EXIT_USAGE)
        _only(plan, only)
    if fmt == "json":
        click.echo(render_json(plan))
    else:
        click.echo(render_text(plan, color=opts.color, verbose=opts.verbose))
    raise SystemExit(1 if plan.changed else EXIT_OK)


# --- deploy ---------------------------------------------------------------------------------


def _say(opts: Options) -> Any:
    """Return a `say` bound to the options, for code that reports progress."""
    def bound(message: str, fg: str | None = None) -> None:
        say(opts, message, fg=fg)
    return bound


def _confirm(opts: Options, question: str, yes: bool) -> bool:
    """Ask a yes/no question on the terminal; without one, the answer is no (unless --yes)."""
    if yes:
        return True
    if not sys.stdin.isatty():
        say(opts, f"{question} -- no terminal to ask on: treating as no (pass --yes)",
            fg="yellow")
        return False
    return click.confirm(question, default=False, err=True)


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


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None,
              help="Environment (default $CLOUDC_ENV, else development).")
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask: deploy (and recreate a rolled-back stack).")
@click.option("--watch", is_flag=True,
              help="Only stream the events of an operation already running.")
@click.option("--stack-name", "root_name", default=None,
              help="Root stack name (default {slug}-{env}).")
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def deploy(opts: Options, file: str | None, env: str | None, yes: bool, watch: bool,
           root_name: str | None, sets: tuple[str, ...]) -> None:
    """Upload templates and code, create one change set, show it, execute it, stream events.

    Exit 0: deployed (or nothing to do); 1: errors in FILE, or not confirmed; 3: AWS/API
    failure or a failed deployment; 130: stopped watching with Ctrl-C.
    """
    path, build = _compile(opts, file, env, sets)
    from cloudc.aws.session import AwsError

    name = root_name or stack_name(build)
    try:
        code = _deploy(opts, path, build, name, yes=yes, watch_only=watch)
    except AwsError as exc:
        _fail(opts, exc)
        return
    raise SystemExit(code)


def _deploy(opts: Options, path: Path, build: Build, name: str, *, yes: bool,
            watch_only: bool) -> int:
    from cloudc.aws import deploy as d
    from cloudc.aws.diff import Side, diff as compare
    from cloudc.aws.fetch import describe, fetch
    from cloudc.aws.render import render_text
    from cloudc.aws.session import api_errors

    aws = _aws(opts, build)
    local = Side.from_build(name, build.root, build.nested, stack_tags(build))
    env = build.env
    info = describe(aws, name)
    status = info["StackStatus"] if info else None
    stack = info["StackId"] if info else name
    if watch_only:
        if status is None or not status.endswith("_IN_PROGRESS"):
            say(opts, f"stack {name}: {status or 'does not exist'}; nothing is running")
            return EXIT_OK
        watcher = d.Watcher(aws, stack, local.labels, _say(opts))
        watcher.skip_existing()
        return _follow(opts, aws, path, build, name, watcher)
    if status is not None and status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS":
        say(opts, f"stack {name} is busy ({status}); watch it with "
                  f"`cloudc deploy --env {env} --watch`, then deploy again", fg="red")
        return EXIT_AWS
    if status == "UPDATE_ROLLBACK_FAILED":
        say(opts, f"stack {name} is UPDATE_ROLLBACK_FAILED: CloudFormation could not roll back "
                  "an update. Fix the cause (see the events), then run `aws cloudformation "
                  f"continue-update-rollback --stack-name {name}` (add --resources-to-skip for "
                  "resources that cannot be restored), and deploy again.", fg="red")
        return EXIT_AWS
    if status in ("DELETE_FAILED", "ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"):
        say(opts, f"stack {name} is {status}; see `aws cloudformation describe-stack-events "
                  f"--stack-name {name}`, fix the cause and delete the stack", fg="red")
        return EXIT_AWS
    if status == "ROLLBACK_COMPLETE":
        say(opts, f"stack {name} is ROLLBACK_COMPLETE: its first create failed and it cannot "
                  "be updated; it has no resources and must be deleted and created again",
            fg="yellow")
        if not _confirm(opts, f"Delete stack {name} and create it again?", yes):
            return EXIT_INPUT
        with api_errors(f"delete stack {name}"):
            aws.client("cloudformation").delete_stack(StackName=stack)
        gone = d.wait_until_settled(aws, stack)
        if gone is not None and gone["StackStatus"] != "DELETE_COMPLETE":
            say(opts, f"stack {name} could not be deleted ({gone['StackStatus']})", fg="red")
            return EXIT_AWS
        say(opts, f"deleted stack {name}")
    deployed = fetch(aws, name)
    plan = compare(deployed.side, local)
    create = not deployed.exists or deployed.status == "ROLLBACK_COMPLETE"
    if plan.identical and not create:
        click.echo(render_text(plan, color=opts.color, verbose=opts.verbose))
        say(opts, f"no changes: stack {name} is up to date", fg="green")
        _sync_sites(opts, aws, name, build, path)
        return EXIT_OK
    bucket = d.ensure_bucket(aws, _say(opts))
    # Real S3 wants regional template URLs; an emulator (--endpoint-url) the global form.
    pkg = d.package(build.root, build.nested, build.assets.files, bucket,
                    None if aws.endpoint_url else aws.region)
    sent = d.upload(aws, bucket, pkg.uploads)
    say(opts, f"uploaded {sent} of {len(pkg.uploads)} files to s3://{bucket} "
              f"({len(pkg.uploads) - sent} already there)")
    # Before the change set: executing it would fail on a missing service-linked role.
    d.ensure_linked_roles(aws, [build.root, *build.nested.values()], _say(opts))
    cs = d.create_change_set(aws, name, pkg, create=create, tags=stack_tags(build))
    cs.created_stack = create and status in (None, "ROLLBACK_COMPLETE")
    if cs.empty:
        click.echo(render_text(plan, color=opts.color, verbose=opts.verbose))
        say(opts, f"no changes: stack {name} is up to date", fg="green")
        _sync_sites(opts, aws, name, build, path)
        return EXIT_OK
    try:  # until it is executed, the change set is ours to delete (Ctrl-C, "no", a failure)
        d.merge_change_set(plan, cs, local)
        click.echo(render_text(plan, color=opts.color, verbose=opts.verbose))
        if plan.data_loss:
            say(opts, f"{len(plan.data_loss)} change(s) destroy stateful data; read the plan "
                      "above", fg="red")
        if not _confirm(opts, f"Deploy this change set to {name}?", yes):
            d.discard(aws, cs)
            say(opts, "not deployed", fg="yellow")
            return EXIT_INPUT
        watcher = d.Watcher(aws, cs.stack_id, local.labels, _say(opts))
        if not create:
            watcher.skip_existing()
    except BaseException:
        if not d.discard(aws, cs):
            say(opts, f"change set {cs.id} could not be deleted: delete it with `aws "
                      f"cloudformation delete-change-set --change-set-name {cs.id}`", fg="yellow")
        raise
    with api_errors(f"execute the change set on {name}"):
        aws.client("cloudformation").execute_change_set(ChangeSetName=cs.id,
                                                        StackName=cs.stack_id)
    say(opts, f"deploying {name} ...")
    return _follow(opts, aws, path, build, name, watcher)


def _follow(opts: Options, aws: Any, path: Path, build: Build, name: str,
            watcher: Any) -> int:
    """Stream events until the stack settles, then report success or the first failure."""
    from cloudc.aws import deploy as d
    from cloudc.aws.session import api_errors

    env = build.env
    from cloudc.cli import Interrupted

    try:
        info = d.watch(aws, watcher.root, watcher)
    except (KeyboardInterrupt, Interrupted):
        say(opts, f"stopped watching. CloudFormation keeps deploying {name}: watch it again "
                  f"with `cloudc deploy --env {env} --watch`, or stop an update with "
                  f"`aws cloudformation cancel-update-stack --stack-name {name}`", fg="yellow")
        return 130
    status = info["StackStatus"] if info else "DELETE_COMPLETE"
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"):
        if env in PRODUCTION and info is not None and not info.get("EnableTerminationProtection"):
            try:
                with api_errors(f"turn on termination protection for {name}"):
                    aws.client("cloudformation").update_termination_protection(
                        StackName=name, EnableTerminationProtection=True)
                say(opts, f"termination protection is on for {name}")
            except Exception as exc:  # noqa: BLE001 - a warning, the deploy itself succeeded
                say(opts, f"warning: could not turn on termination protection: {exc}",
                    fg="yellow")
        for o in (info or {}).get("Outputs") or []:
            click.echo(f"{o['OutputKey']} = {o.get('OutputValue', '')}")
        say(opts, f"deployed {name}: {status}", fg="green")
        _sync_sites(opts, aws, name, build, path)
        return EXIT_OK
    failed = watcher.first_failure()
    if failed is not None:
        lid = failed.get("LogicalResourceId", "")
        label = watcher.label_of(failed)
        message = (f"{lid} ({failed.get('ResourceType')}) in stack {label}: "
                   f"{failed.get('ResourceStatus')}: "
                   f"{failed.get('ResourceStatusReason', 'no reason given')}")
        origin = _origin(build, path, lid, label)
        report(opts, [Diagnostic("E5001", message, origin, file=str(path))])
    if status == "ROLLBACK_COMPLETE":
        hint = (f"the stack was rolled back; the next `cloudc deploy --env {env}` offers to "
                "delete and create it again (--yes does it)")
    elif status == "UPDATE_ROLLBACK_COMPLETE":
        hint = "the update was rolled back; the previous version is in place"
    elif status == "UPDATE_ROLLBACK_FAILED":
        hint = (f"the rollback failed too; fix the cause, then run `aws cloudformation "
                f"continue-update-rollback --stack-name {name}`")
    else:
        hint = f"see `aws cloudformation describe-stack-events --stack-name {name}`"
    say(opts, f"deploy failed: stack {name} is {status}; {hint}", fg="red")
    return EXIT_AWS


def _sync_sites(opts: Options, aws: Any, name: str, build: Build, path: Path) -> None:
    """Upload each site's folder to its bucket (the stack must be deployed)."""
    from cloudc.aws.session import api_errors
    from cloudc.aws.sites import sync_sites

    with api_errors("upload the sites' files"):
        sync_sites(aws, name, build.nested, path.parent, lambda m: say(opts, m))

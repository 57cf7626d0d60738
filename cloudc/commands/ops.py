"""`cloudc destroy`, `outputs`, `status` and `rollback`: an environment's stacks, day to day."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from cloudc.cli import (
    EXIT_AWS,
    EXIT_INPUT,
    EXIT_OK,
    EXIT_USAGE,
    Options,
    cli,
    default_env,
    report,
    say,
)
from cloudc.commands.aws import _EXIT, _aws, _compile, _fail, _Terminal
from cloudc.project import find_config

ENV_HELP = "Environment (default $CLOUDC_ENV, else development)."
STACK_HELP = "Root stack name (default {slug}-{env})."


def _stack(opts: Options, file: str | None, env: str | None, sets: tuple[str, ...],
           root_name: str | None) -> tuple[Any, str, Any]:
    """Compile; return (aws, root stack name, build).

    These commands need only the stack's name and region, so a config with errors (a half-made
    edit, the very reason for a rollback) still works when `project` can be read: the errors
    are shown, and the stack is named from `project.slug` (or `name`) and `project.region`.
    """
    from cloudc.aws.rollout import stack_name
    from cloudc.aws.session import Aws
    from cloudc.compile import compile_config

    path = find_config(file)
    build = compile_config(path, default_env(env), list(sets))
    if not build.diagnostics.has_errors:
        report(opts, build.diagnostics.sorted())
        return _aws(opts, build), root_name or stack_name(build), build
    found = _project(build)
    if found is None:
        _compile(opts, file, env, sets)  # reports the errors and exits 1
        raise SystemExit(EXIT_INPUT)
    report(opts, build.diagnostics.sorted())
    slug, region = found
    name = root_name or f"{slug}-{build.env}"
    say(opts, f"{path} has errors (above); going on with stack {name} in {region}, named by "
              "`project`", fg="yellow")
    return Aws(opts.region or region, opts.profile, opts.endpoint_url), name, build


def _project(build: Any) -> tuple[str, str] | None:
    """Return (slug, region) from the merged config's `project`, or None when unreadable."""
    import re

    from cloudc.resolve import slugify

    data = build.resolved.data if build.resolved is not None else {}
    project = data.get("project") if isinstance(data, dict) else None
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        return None
    slug = project.get("slug")
    if not (isinstance(slug, str) and re.fullmatch(r"[a-z][a-z0-9-]{0,30}", slug)):
        slug = slugify(project["name"])
    region = project.get("region")
    return slug, region if isinstance(region, str) else "us-east-1"


# --- destroy --------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--yes", "-y", is_flag=True,
              help="Do not ask. In production, also give --confirm with the environment's name.")
@click.option("--confirm", "typed", default=None, metavar="ENV",
              help="The environment's name, typed: what deleting production takes with --yes.")
@click.option("--stack-name", "root_name", default=None, help=STACK_HELP)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def destroy(opts: Options, file: str | None, env: str | None, yes: bool, typed: str | None,
            root_name: str | None, sets: tuple[str, ...]) -> None:
    """Delete the environment's stacks; list what their deletion policies keep.

    Production (or prod) is deleted only with `--yes --confirm production`, or when its name
    is typed at the prompt. Exit 0: deleted (or nothing there); 1: not confirmed or errors in
    FILE; 3: AWS/API failure or a failed deletion.
    """
    from cloudc.aws import locate
    from cloudc.aws.destroy import delete, retained
    from cloudc.aws.fetch import fetch
    from cloudc.aws.session import AwsError

    aws, name, build = _stack(opts, file, env, sets, root_name)
    try:
        deployed = fetch(aws, name)
        if not deployed.exists:
            say(opts, f"stack {name} does not exist: nothing to destroy")
            raise SystemExit(EXIT_OK)
        status = deployed.status or ""
        if status.endswith("_IN_PROGRESS"):
            say(opts, f"stack {name} is busy ({status}); wait for it (`cloudc status`), then "
                      "destroy", fg="red")
            raise SystemExit(EXIT_AWS)
        found = locate.resources(aws, name)
        kept = retained(deployed, found)
        count = sum(1 for r in found.values() if r.type != "AWS::CloudFormation::Stack"
                    and r.status != "DELETE_COMPLETE")
        n = len(deployed.nested_ids)
        say(opts, f"stack {name} ({status}) and its {n} nested stack{'s' if n != 1 else ''} "
                  f"will be deleted, with the {count} resources they hold")
        if kept:
            click.echo(f"Retained by their DeletionPolicy ({len(kept)}); delete them yourself "
                       "when they are no longer needed:")
            for k in kept:
                click.echo(f"  {k.line()}")
        else:
            click.echo("Nothing is retained: every resource goes with its stack.")
        if not _confirmed(opts, build.env, name, yes, typed):
            say(opts, "not destroyed", fg="yellow")
            raise SystemExit(EXIT_INPUT)
        result, failure = delete(aws, deployed, lambda m, fg=None: say(opts, m, fg=fg))
    except AwsError as exc:
        _fail(opts, exc)
        return
    if result != "DELETE_COMPLETE":
        if failure:
            say(opts, failure, fg="red")
        say(opts, f"destroy failed: stack {name} is {result}; fix the cause (a bucket that "
                  "still holds objects must be emptied, for one) and run `cloudc destroy` "
                  "again", fg="red")
        raise SystemExit(EXIT_AWS)
    say(opts, f"destroyed {name}" + (f"; {len(kept)} retained resources are listed above"
                                     if kept else ""), fg="green")
    raise SystemExit(EXIT_OK)


def _confirmed(opts: Options, env: str, name: str, yes: bool, typed: str | None) -> bool:
    """Ask, or check the flags; production takes its name typed (flag or prompt)."""
    from cloudc.aws.rollout import PRODUCTION

    if typed is not None and typed != env:
        say(opts, f"--confirm {typed} does not name the environment ({env})", fg="red")
        return False
    if env in PRODUCTION:
        if yes and typed == env:
            return True
        if yes:
            say(opts, f"{env} is deleted only with its name typed: add `--confirm {env}`",
                fg="red")
            return False
        if not sys.stdin.isatty():
            say(opts, f"no terminal to ask on: pass `--yes --confirm {env}` to delete {name}",
                fg="yellow")
            return False
        answer = click.prompt(f"Type `{env}` to delete stack {name} and everything it holds",
                              default="", show_default=False, err=True)
        return bool(answer.strip() == env)
    if yes:
        return True
    if not sys.stdin.isatty():
        say(opts, f"Delete stack {name}? -- no terminal to ask on: treating as no (pass --yes)",
            fg="yellow")
        return False
    return bool(click.confirm(f"Delete stack {name}?", default=False, err=True))


# --- outputs --------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--stack-name", "root_name", default=None, help=STACK_HELP)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def outputs(opts: Options, file: str | None, env: str | None, fmt: str,
            root_name: str | None, sets: tuple[str, ...]) -> None:
    """Print the deployed stack's outputs (URLs, endpoints): `KEY = VALUE`, or JSON.

    Exit 0: printed; 1: errors in FILE; 3: not deployed, or an AWS/API failure.
    """
    from cloudc.aws.fetch import describe
    from cloudc.aws.session import AwsError

    aws, name, _ = _stack(opts, file, env, sets, root_name)
    try:
        info = describe(aws, name)
        if info is None or info["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
            raise AwsError(f"stack {name} is not deployed (run `cloudc deploy` first)")
    except AwsError as exc:
        _fail(opts, exc)
        return
    values = {o["OutputKey"]: o.get("OutputValue", "") for o in info.get("Outputs") or []}
    if fmt == "json":
        click.echo(json.dumps(values, indent=2, sort_keys=True))
    else:
        for key in sorted(values):
            click.echo(f"{key} = {values[key]}")
        if not values:
            say(opts, f"stack {name} has no outputs")


# --- status ---------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--last", "last", type=click.IntRange(1, 1000), default=5, show_default=True,
              help="How many deployments to list.")
@click.option("--stack-name", "root_name", default=None, help=STACK_HELP)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def status(opts: Options, file: str | None, env: str | None, fmt: str, last: int,
           root_name: str | None, sets: tuple[str, ...]) -> None:
    """Print the stack's status, its nested stacks' and the last deployments.

    Exit 0: printed (also when nothing is deployed); 1: errors in FILE; 3: AWS/API failure.
    """
    from cloudc.aws import history
    from cloudc.aws.fetch import describe
    from cloudc.aws.session import AwsError, api_errors

    aws, name, _ = _stack(opts, file, env, sets, root_name)
    try:
        info = describe(aws, name)
        nested: dict[str, str] = {}
        if info is not None:
            cfn = aws.client("cloudformation")
            with api_errors(f"list the resources of stack {name}"):
                for page in cfn.get_paginator("list_stack_resources").paginate(
                        StackName=info["StackId"]):
                    for r in page["StackResourceSummaries"]:
                        if r["ResourceType"] == "AWS::CloudFormation::Stack":
                            nested[r["LogicalResourceId"]] = r.get("ResourceStatus", "")
        bucket = history.bucket_of(aws)
        records = history.listing(aws, bucket, name)[:last] if bucket else []
    except AwsError as exc:
        _fail(opts, exc)
        return
    state = info["StackStatus"] if info else "NOT_DEPLOYED"
    changed = info.get("LastUpdatedTime") or info.get("CreationTime") if info else None
    if fmt == "json":
        click.echo(json.dumps({
            "stack": name, "status": state, "changed": changed.isoformat() if changed else None,
            "termination_protection": bool(info and info.get("EnableTerminationProtection")),
            "nested": nested, "deployments": [vars(r) for r in records]},
            indent=2, sort_keys=True, default=str))
        return
    click.echo(f"stack      {name}")
    click.echo(f"status     {state}" + (f"  (since {changed:%Y-%m-%d %H:%M:%S %Z})"
                                        if changed else ""))
    if info is not None:
        click.echo("protected  " + ("yes" if info.get("EnableTerminationProtection") else "no"))
    for lid, st in sorted(nested.items()):
        click.echo(f"  {lid:<28} {st}")
    if records:
        click.echo("deployments (newest first):")
        for r in records:
            note = f"  rollback to {r.rollback_of}" if r.rollback_of else ""
            click.echo(f"  {r.id}  {r.time}  config {r.config_sha256[:12]}{note}")
    else:
        click.echo("deployments: none recorded")


# --- rollback -------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--to", "ident", default=None, metavar="ID",
              help="The deployment to return to (see `cloudc status`); default: the one "
                   "before the latest.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@click.option("--stack-name", "root_name", default=None, help=STACK_HELP)
@click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", help="Override a value.")
@click.pass_obj
def rollback(opts: Options, file: str | None, env: str | None, ident: str | None, yes: bool,
             root_name: str | None, sets: tuple[str, ...]) -> None:
    """Redeploy an earlier deployment's templates, code and images, without building.

    Exit 0: rolled back (or already there); 1: not confirmed or errors in FILE; 3: AWS/API
    failure or a failed update; 130: stopped watching.
    """
    from cloudc.aws.rollback import rollback as run
    from cloudc.aws.session import AwsError

    aws, name, _ = _stack(opts, file, env, sets, root_name)
    if ident is not None and not ident.strip():
        raise SystemExit(EXIT_USAGE)
    try:
        outcome = run(aws, name, ident, _Terminal(opts, yes))
    except AwsError as exc:
        _fail(opts, exc)
        return
    raise SystemExit(_EXIT[outcome.value])

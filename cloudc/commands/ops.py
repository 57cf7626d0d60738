"""`cloudc destroy`, `outputs`, `status` and `rollback`: an environment's stacks, day to day."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
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
    set_option,
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
    if not build.diagnostics.has_errors:  # warnings are `build`'s and `deploy`'s to show
        report(opts, [])  # (json/sarif: still one document on stderr)
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
@set_option
@click.pass_obj
def destroy(opts: Options, file: str | None, env: str | None, yes: bool, typed: str | None,
            root_name: str | None, sets: tuple[str, ...]) -> None:
    """Delete the environment's stacks; list what their deletion policies keep.

    Production (or prod) is deleted only with `--yes --confirm production`, or when its name
    is typed at the prompt. Exit 0: deleted (or nothing there); 1: not confirmed or errors in
    FILE; 3: AWS/API failure or a failed deletion.
    """
    from cloudc.aws import locate
    from cloudc.aws.apps import deployed_roots, reverse_waves
    from cloudc.aws.destroy import Kept, retained
    from cloudc.aws.fetch import Deployed, fetch
    from cloudc.aws.session import AwsError

    aws, name, build = _stack(opts, file, env, sets, root_name)
    try:
        roots = deployed_roots(aws, build, name)
        there: list[tuple[Any, Deployed, list[Kept], int]] = []
        for root in roots:  # an app past 2,500 resources has several roots (cloudc/roots.py)
            deployed = fetch(aws, root.name)
            if not deployed.exists:
                continue
            status = deployed.status or ""
            if status.endswith("_IN_PROGRESS"):
                say(opts, f"stack {root.name} is busy ({status}); wait for it (`cloudc "
                          "status`), then destroy", fg="red")
                raise SystemExit(EXIT_AWS)
            found = locate.resources(aws, root.name)
            count = sum(1 for r in found.values() if r.type != "AWS::CloudFormation::Stack"
                        and r.status != "DELETE_COMPLETE")
            there.append((root, deployed, retained(deployed, found), count))
        registry = _registry_to_destroy(opts, aws, name)
        if not there and registry is None:
            say(opts, f"stack {name} does not exist: nothing to destroy")
            raise SystemExit(EXIT_OK)
        for root, deployed, _, count in there:
            n = len(deployed.nested_ids)
            say(opts, f"stack {root.name} ({deployed.status}) and its {n} nested "
                      f"stack{'s' if n != 1 else ''} will be deleted, with the {count} "
                      "resources they hold")
        if registry is not None:  # the ECR repositories (cloudc/aws/registry.py), last
            say(opts, f"stack {registry.name} ({registry.deployed.status}) will be deleted, "
                      f"with the {registry.repositories} ECR repositories it holds")
        kept = [k for _, _, ks, _ in there for k in ks] + (registry.kept if registry else [])
        if kept:
            click.echo(f"Retained by their DeletionPolicy ({len(kept)}); delete them yourself "
                       "when they are no longer needed:")
            several = len(there) > 1 or bool(there and registry and registry.kept)
            groups = [(f"root stack {r.name}", ks) for r, _, ks, _ in there]
            if registry is not None:
                groups.append((f"registry stack {registry.name}", registry.kept))
            for label, ks in groups:
                if several and ks:
                    click.echo(f"  in {label}:")
                for k in ks:
                    click.echo(("    " if several else "  ") + k.line())
        else:
            click.echo("Nothing is retained: every resource goes with its stack.")
        stacks = [r.name for r, _, _, _ in there] + ([registry.name] if registry else [])
        asked = name if len(there) == 1 and registry is None else ", ".join(stacks)
        if not _confirmed(opts, build.env, asked, yes, typed):
            say(opts, "not destroyed", fg="yellow")
            raise SystemExit(EXIT_INPUT)
        gone = _delete_in_waves(opts, aws, reverse_waves([r for r, _, _, _ in there]),
                                {r.name: d for r, d, _, _ in there})
        if gone is None and registry is not None:  # after the services that pull from it
            from cloudc.aws.registry import remove

            say(opts, f"deleting stack {registry.name} (the ECR repositories)")
            result, failure = remove(aws, registry, lambda m, fg=None: say(opts, m, fg=fg))
            if result != "DELETE_COMPLETE":
                gone = registry.name, result, failure
    except AwsError as exc:
        _fail(opts, exc)
        return
    if gone is not None:
        failed, result, failure = gone
        if failure:
            say(opts, failure, fg="red")
        say(opts, f"destroy failed: stack {failed} is {result}; fix the cause (a bucket that "
                  "still holds objects must be emptied, for one) and run `cloudc destroy` "
                  "again", fg="red")
        raise SystemExit(EXIT_AWS)
    say(opts, f"destroyed {asked}" + (f"; {len(kept)} retained resources are listed above"
                                      if kept else ""), fg="green")
    raise SystemExit(EXIT_OK)


def _registry_to_destroy(opts: Options, aws: Any, name: str) -> Any:
    """Return the app's deployed registry stack (None: there is none); exit when it is busy."""
    from cloudc.aws.registry import find

    registry = find(aws, name)
    status = registry.deployed.status or "" if registry is not None else ""
    if registry is not None and status.endswith("_IN_PROGRESS"):
        say(opts, f"stack {registry.name} is busy ({status}); wait for it (`cloudc "
                  "status`), then destroy", fg="red")
        raise SystemExit(EXIT_AWS)
    return registry


def _delete_in_waves(opts: Options, aws: Any, order: list[list[Any]],
                     deployed: dict[str, Any]) -> tuple[str, str, str] | None:
    """Delete the roots wave by wave (a wave's roots at once); stop at the first failure and
    return (stack, status, first failure), or None when every root is gone."""
    from concurrent.futures import ThreadPoolExecutor

    from cloudc.aws.destroy import delete

    def one(root: Any) -> tuple[str, str, str]:
        if len(deployed) > 1:  # the events below say `root` of each: name the one going
            say(opts, f"deleting root stack {root.name}")
        result, failure = delete(aws, deployed[root.name], lambda m, fg=None: say(opts, m, fg=fg))
        return root.name, result, failure

    for wave in order:
        if len(wave) > 1:
            with ThreadPoolExecutor(max_workers=len(wave)) as pool:
                results = list(pool.map(one, wave))
        else:
            results = [one(wave[0])]
        for name, result, failure in results:
            if result != "DELETE_COMPLETE":
                return name, result, failure
    return None


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
@set_option
@click.pass_obj
def outputs(opts: Options, file: str | None, env: str | None, fmt: str,
            root_name: str | None, sets: tuple[str, ...]) -> None:
    """Print the deployed stack's outputs (URLs, endpoints): `KEY = VALUE`, or JSON.

    Exit 0: printed; 1: errors in FILE; 3: not deployed, or an AWS/API failure.
    """
    from cloudc.aws.apps import deployed_roots
    from cloudc.aws.fetch import describe
    from cloudc.aws.session import AwsError

    aws, name, build = _stack(opts, file, env, sets, root_name)
    values: dict[str, str] = {}
    try:  # several roots (past 2,500 resources) each hold some outputs: their names differ
        for root in deployed_roots(aws, build, name):
            info = describe(aws, root.name)
            if info is None or info["StackStatus"] in ("REVIEW_IN_PROGRESS", "DELETE_COMPLETE"):
                raise AwsError(f"stack {root.name} is not deployed (run `cloudc deploy` first)")
            values.update({o["OutputKey"]: o.get("OutputValue", "")
                           for o in info.get("Outputs") or []})
    except AwsError as exc:
        _fail(opts, exc)
        return
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
@set_option
@click.pass_obj
def status(opts: Options, file: str | None, env: str | None, fmt: str, last: int,
           root_name: str | None, sets: tuple[str, ...]) -> None:
    """Print the stack's status, its nested stacks' and the last deployments.

    Exit 0: printed (also when nothing is deployed); 1: errors in FILE; 3: AWS/API failure.
    """
    from cloudc.aws import apps, history
    from cloudc.aws.session import AwsError

    aws, name, build = _stack(opts, file, env, sets, root_name)
    try:
        roots = apps.deployed_roots(aws, build, name)
        states = [_state(aws, r.name) for r in roots]
        registry = _registry_state(aws, name)
        bucket = history.bucket_of(aws)
        records = history.listing(aws, bucket, name)[:last] if bucket else []
        sets_ = apps.listing(aws, bucket, name, last) if bucket and len(roots) > 1 else []
    except AwsError as exc:
        _fail(opts, exc)
        return
    if len(roots) > 1:
        _status_of_roots(fmt, name, roots, states, sets_, registry)
        return
    info, nested = states[0]
    if fmt == "json":
        click.echo(json.dumps({**_state_json(name, info, nested),
                               "registry": _registry_json(registry),
                               "deployments": [vars(r) for r in records]},
                              indent=2, sort_keys=True, default=str))
        return
    _print_state(name, info, nested)
    _print_registry(registry)
    _print_records(records, lambda r: f"config {r.config_sha256[:12]}")


def _state(aws: Any, name: str) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """Return a root stack's DescribeStacks entry (None: not there) and its nested stacks'
    statuses by logical ID."""
    from cloudc.aws.fetch import describe
    from cloudc.aws.session import api_errors

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
    return info, nested


def _registry_state(aws: Any, name: str) -> tuple[str, dict[str, Any], int] | None:
    """Return the app's registry stack (`{name}-registry`): its name, DescribeStacks entry and
    how many ECR repositories it holds; None when there is none."""
    from cloudc.aws.fetch import ABSENT
    from cloudc.aws.registry import registry_name
    from cloudc.aws.session import api_errors

    stack = registry_name(name)
    info, _ = _state(aws, stack)
    if info is None or info["StackStatus"] in ABSENT:
        return None
    with api_errors(f"list the resources of stack {stack}"):
        pages = aws.client("cloudformation").get_paginator("list_stack_resources").paginate(
            StackName=info["StackId"])
        count = sum(1 for page in pages for r in page["StackResourceSummaries"]
                    if r["ResourceType"] == "AWS::ECR::Repository"
                    and r.get("ResourceStatus") != "DELETE_COMPLETE")
    return stack, info, count


def _registry_json(registry: tuple[str, dict[str, Any], int] | None) -> dict[str, Any] | None:
    if registry is None:
        return None
    stack, info, count = registry
    return {"stack": stack, "status": info["StackStatus"], "repositories": count}


def _print_registry(registry: tuple[str, dict[str, Any], int] | None) -> None:
    if registry is not None:
        stack, info, count = registry
        click.echo(f"registry   {stack}  {info['StackStatus']}  ({count} ECR "
                   f"repositor{'y' if count == 1 else 'ies'})")


def _state_json(name: str, info: dict[str, Any] | None, nested: dict[str, str]) -> dict[str, Any]:
    changed = (info.get("LastUpdatedTime") or info.get("CreationTime")) if info else None
    return {"stack": name, "status": info["StackStatus"] if info else "NOT_DEPLOYED",
            "changed": changed.isoformat() if changed else None,
            "termination_protection": bool(info and info.get("EnableTerminationProtection")),
            "nested": nested}


def _print_state(name: str, info: dict[str, Any] | None, nested: dict[str, str]) -> None:
    state = info["StackStatus"] if info else "NOT_DEPLOYED"
    changed = (info.get("LastUpdatedTime") or info.get("CreationTime")) if info else None
    click.echo(f"stack      {name}")
    click.echo(f"status     {state}" + (f"  (since {changed:%Y-%m-%d %H:%M:%S %Z})"
                                        if changed else ""))
    if info is not None:
        click.echo("protected  " + ("yes" if info.get("EnableTerminationProtection") else "no"))
    for lid, st in sorted(nested.items()):
        click.echo(f"  {lid:<28} {st}")


def _status_of_roots(fmt: str, name: str, roots: list[Any],
                     states: list[tuple[dict[str, Any] | None, dict[str, str]]],
                     records: list[Any],
                     registry: tuple[str, dict[str, Any], int] | None = None) -> None:
    """Print every root's state, the registry stack's, then the recorded deployments of the
    set of roots."""
    if fmt == "json":
        click.echo(json.dumps({
            "stack": name,
            "roots": [_state_json(r.name, *st) for r, st in zip(roots, states, strict=True)],
            "registry": _registry_json(registry),
            "deployments": [vars(r) for r in records]}, indent=2, sort_keys=True, default=str))
        return
    click.echo(f"{len(roots)} root stacks (the app is over one operation's 2,500 resources)")
    for root, (info, nested) in zip(roots, states, strict=True):
        _print_state(root.name, info, nested)
    _print_registry(registry)
    _print_records(records, lambda r: f"{len(r.roots)} root stacks")


def _print_records(records: list[Any], what: Callable[[Any], str]) -> None:
    """Print the recorded deployments, newest first: id, time, `what` of each, rollbacks."""
    if not records:
        click.echo("deployments: none recorded")
        return
    click.echo("deployments (newest first):")
    for r in records:
        note = f"  rollback to {r.rollback_of}" if r.rollback_of else ""
        click.echo(f"  {r.id}  {r.time}  {what(r)}{note}")


# --- rollback -------------------------------------------------------------------------------


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--to", "ident", default=None, metavar="ID",
              help="The deployment to return to (see `cloudc status`); default: the one "
                   "before the latest.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask.")
@click.option("--stack-name", "root_name", default=None, help=STACK_HELP)
@set_option
@click.pass_obj
def rollback(opts: Options, file: str | None, env: str | None, ident: str | None, yes: bool,
             root_name: str | None, sets: tuple[str, ...]) -> None:
    """Redeploy an earlier deployment's templates, code and images, without building.

    Exit 0: rolled back (or already there); 1: not confirmed or errors in FILE; 3: AWS/API
    failure or a failed update; 130: stopped watching.
    """
    from cloudc.aws import apps
    from cloudc.aws.history import NoSuchDeployment
    from cloudc.aws.rollback import rollback as run
    from cloudc.aws.rollback import rollback_roots
    from cloudc.aws.session import AwsError

    aws, name, build = _stack(opts, file, env, sets, root_name)
    if ident is not None and not ident.strip():
        raise SystemExit(EXIT_USAGE)
    try:
        roots = apps.deployed_roots(aws, build, name)
        if len(roots) > 1:  # every root back to one recorded deployment of the set
            outcome = rollback_roots(aws, name, build.env, roots, ident, _Terminal(opts, yes))
        else:
            outcome = run(aws, name, ident, _Terminal(opts, yes))
    except NoSuchDeployment as exc:  # a wrong --to, or nothing earlier: the user's input
        click.secho(f"cloudc: error: {exc}", err=True, fg="red" if opts.color else None)
        raise SystemExit(1) from None
    except AwsError as exc:
        _fail(opts, exc)
        return
    raise SystemExit(_EXIT[outcome.value])

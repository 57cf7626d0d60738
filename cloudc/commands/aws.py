"""`cloudc diff` and `cloudc deploy`: compare with and update the deployed stacks."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

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
from cloudc.diagnostics import Diagnostic, did_you_mean
from cloudc.project import find_config

if TYPE_CHECKING:
    from cloudc.aws.diff import Plan
    from cloudc.compile import Build

def _compile(opts: Options, file: str | None, env: str | None,
             sets: tuple[str, ...], *, warnings: bool = True) -> tuple[Path, Build]:
    """Compile, show the findings, exit 1 on errors. Commands that only need the stack's
    names (logs, exec, secrets) pass `warnings=False`: the warnings are build's to show."""
    from cloudc.compile import compile_config

    path = find_config(file)
    build = compile_config(path, default_env(env), list(sets))
    report(opts, [d for d in build.diagnostics.sorted() if warnings or d.severity == "error"])
    if build.diagnostics.has_errors:
        n = len(build.diagnostics.errors)
        say(opts, f"cannot compile {path}: {n} error{'s' if n != 1 else ''}", fg="red")
        raise SystemExit(EXIT_INPUT)
    return path, build


def _aws(opts: Options, build: Build) -> Any:
    from cloudc.aws.session import Aws

    return Aws(opts.region or str(build.config.project.region), opts.profile, opts.endpoint_url)


def _fail(opts: Options, exc: Exception) -> NoReturn:
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
@set_option
@click.pass_obj
def diff(opts: Options, file: str | None, env: str | None, only: str | None,
         root_name: str | None, fmt: str, sets: tuple[str, ...]) -> None:
    """Compare FILE, compiled, with the deployed stack and every nested stack.

    Exit 0: no changes; 1: changes (or errors in FILE); 3: AWS/API failure.
    """
    path, build = _compile(opts, file, env, sets)
    from cloudc.aws.diff import Side
    from cloudc.aws.diff import diff as compare
    from cloudc.aws.fetch import fetch
    from cloudc.aws.images import deployed_registry_changes
    from cloudc.aws.refactor import mark_carried, plan_refactor
    from cloudc.aws.render import render_json, render_text
    from cloudc.aws.rollout import stack_name, stack_tags
    from cloudc.aws.session import AwsError
    from cloudc.roots import part, root_stacks

    changed = False
    roots = root_stacks(build, root_name or stack_name(build))
    plans: list[Plan] = []
    for root in roots:  # an app past 2,500 resources has several roots: each is compared
        name, one = root.name, part(build, root)
        try:
            aws = _aws(opts, build)
            deployed = fetch(aws, name)
            # the ECR repositories' stack, beside the first root
            registry = deployed_registry_changes(aws, build, name) if not plans else []
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
        local = Side.from_build(name, one.root, one.nested, stack_tags(build))
        plan = compare(deployed.side, local)
        # Moves a stack refactor will carry are moves, not replacements (cloudc/aws/refactor.py).
        mark_carried(plan, plan_refactor(deployed.side, local, set(deployed.nested_ids)))
        plan.resources += registry
        if only:
            known = {"root", *local.labels.values(), *build.separate,
                     *(deployed.side.label(k) for k in deployed.side.nested)}
            if only not in known:
                if len(roots) > 1 and (root is not roots[-1] or plans):
                    continue  # another root holds it
                hint = did_you_mean(only, known)
                click.echo(f"cloudc: no nested stack `{only}`" + (f" ({hint})" if hint else "")
                           + f"; stacks: {', '.join(sorted(known))}", err=True)
                raise SystemExit(EXIT_USAGE)
            _only(plan, only)
        plans.append(plan)
        changed = changed or plan.changed
    if fmt == "json":
        click.echo(render_json(plans[0]) if len(plans) == 1 else
                   "[" + ",\n".join(render_json(p) for p in plans) + "]")
    else:
        click.echo("\n".join(render_text(p, color=opts.color, verbose=opts.verbose)
                             for p in plans))
    raise SystemExit(1 if changed else EXIT_OK)


# --- deploy ---------------------------------------------------------------------------------


class _Terminal:
    """The deploy's reporter: status on stderr, the plan and outputs on stdout, questions."""

    def __init__(self, opts: Options, yes: bool) -> None:
        self.opts = opts
        self.yes = yes

    def say(self, message: str, fg: str | None = None) -> None:
        say(self.opts, message, fg=fg)

    def plan(self, plan: Plan) -> None:
        from cloudc.aws.render import render_text

        click.echo(render_text(plan, color=self.opts.color, verbose=self.opts.verbose))

    def output(self, line: str) -> None:
        click.echo(line)

    def confirm(self, question: str) -> bool:
        """Ask on the terminal; without one, the answer is no (unless --yes)."""
        if self.yes:
            return True
        if not sys.stdin.isatty():
            self.say(f"{question} -- no terminal to ask on: treating as no (pass --yes)",
                     fg="yellow")
            return False
        return click.confirm(question, default=False, err=True)

    def findings(self, found: list[Diagnostic]) -> None:
        report(self.opts, found)


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
@set_option
@click.pass_obj
def deploy(opts: Options, file: str | None, env: str | None, yes: bool, watch: bool,
           root_name: str | None, sets: tuple[str, ...]) -> None:
    """Upload templates and code, create one change set, show it, execute it, stream events.

    Exit 0: deployed (or nothing to do); 1: errors in FILE, or not confirmed; 3: AWS/API
    failure or a failed deployment; 130: stopped watching with Ctrl-C.
    """
    path, build = _compile(opts, file, env, sets)
    from cloudc.aws.rollout import stack_name
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
    from cloudc.aws.rollout import deploy_roots

    outcome = deploy_roots(_aws(opts, build), path, build, name, _Terminal(opts, yes),
                           watch_only=watch_only, parallel=yes)
    return _EXIT[outcome.value]


def _follow(opts: Options, aws: Any, path: Path, build: Build, name: str,
            watcher: Any) -> int:
    """Stream events until the stack settles; return the exit code."""
    from cloudc.aws.rollout import follow

    return _EXIT[follow(aws, path, build, name, watcher, _Terminal(opts, False)).value]


# Exit codes of each deploy outcome (cloudc.aws.rollout.Outcome values).
# "unbuildable": an image to build and no container tool; the config (or the machine) must
# change, like an error in FILE, so 1.
_EXIT = {"done": EXIT_OK, "declined": EXIT_INPUT, "failed": EXIT_AWS, "stopped": 130,
         "unbuildable": EXIT_INPUT}

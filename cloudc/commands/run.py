"""`cloudc logs`, `cloudc exec` and `cloudc secrets`: look into and act on a deployed app."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

import click

from cloudc.cli import EXIT_INPUT, EXIT_OK, EXIT_USAGE, Options, cli, say, set_option
from cloudc.commands.aws import _aws, _compile, _fail
from cloudc.project import CONFIG_NAMES

ENV_HELP = "Environment (default $CLOUDC_ENV, else development)."
SUFFIXES = tuple({"." + n.rsplit(".", 1)[1] for n in CONFIG_NAMES})


def split_file(words: tuple[str, ...], most: int) -> tuple[str | None, list[str]]:
    """Split off a leading config file (named by its suffix: .yaml, .yml, .toml, .json).

    >>> split_file(("cloud.yaml", "functions.api"), 1), split_file(("functions.api",), 1)
    (('cloud.yaml', ['functions.api']), (None, ['functions.api']))
    """
    if words and words[0].endswith(SUFFIXES) and "." in words[0]:
        return words[0], list(words[1:])
    return None, list(words)


def _usage(message: str) -> None:
    click.echo(f"cloudc: {message}", err=True)
    raise SystemExit(EXIT_USAGE)


def _located(opts: Options, exc: Exception) -> NoReturn:
    """Report a target or secret the config does not declare: errors in the input (exit 1)."""
    click.secho(f"cloudc: error: {exc}", err=True, fg="red" if opts.color else None)
    raise SystemExit(EXIT_INPUT)


@contextlib.contextmanager
def _reported(opts: Options, *undeclared: type[Exception]) -> Iterator[None]:
    """Exit 1 for a target or secret the config does not declare (`undeclared`), 3 for an AWS
    failure, each in one line."""
    from cloudc.aws.session import AwsError

    try:
        yield
    except undeclared as exc:
        _located(opts, exc)
    except AwsError as exc:
        _fail(opts, exc)


def _progress(opts: Options) -> Any:
    from cloudc.aws.progress import Progress

    return Progress(lambda m: say(opts, m), enabled=not opts.quiet and opts.error_format == "text")


# --- logs -----------------------------------------------------------------------------------


@cli.command()
@click.argument("words", nargs=-1, required=True, metavar="[FILE] TARGET")
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--since", default="10m", show_default=True,
              help="How far back: 90s, 30m, 1h, 2d, 1w, or an ISO time (UTC unless it says).")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events (Ctrl-C stops).")
@click.option("--filter", "pattern", default=None, metavar="PATTERN",
              help="A CloudWatch Logs filter pattern, e.g. ERROR or '{ $.level = \"error\" }'.")
@click.option("--stack-name", "root_name", default=None, help="Root stack name.")
@set_option
@click.pass_obj
def logs(opts: Options, words: tuple[str, ...], env: str | None, since: str, follow: bool,
         pattern: str | None, root_name: str | None, sets: tuple[str, ...]) -> None:
    """Print the CloudWatch logs of TARGET: functions.X, services.X, servers.X, apis.X or
    workflows.X (the log groups cloudc made for it).

    Exit 0: printed; 1: an unknown TARGET or errors in FILE; 2: bad arguments; 3: AWS/API
    failure; 130: Ctrl-C while following.
    """
    from cloudc.aws import logs as lg
    from cloudc.aws.locate import NotFound
    from cloudc.aws.rollout import stack_name
    from cloudc.signals import Interrupted

    file, rest = split_file(words, 1)
    if len(rest) != 1:
        _usage("logs takes one TARGET, e.g. `cloudc logs --env staging functions.api`")
    try:
        start = lg.parse_since(since)
    except ValueError:
        _usage(f"--since {since}: give a duration like 30m, 1h, 2d, or an ISO time")
    _, build = _compile(opts, file, env, sets, warnings=False)
    aws = _aws(opts, build)
    name = root_name or stack_name(build)
    try:
        with _reported(opts, NotFound):
            groups = lg.groups(aws, name, build, rest[0])
            say(opts, "reading " + ", ".join(groups) + (" (Ctrl-C stops)" if follow else ""))
            shown = lg.tail(aws, groups, start, pattern, follow, click.echo)
    except (KeyboardInterrupt, Interrupted):
        raise SystemExit(130) from None
    if not shown:
        say(opts, f"no events since {start:%Y-%m-%d %H:%M:%S} UTC"
                  + (f" matching {pattern!r}" if pattern else ""))
    raise SystemExit(EXIT_OK)


# --- exec -----------------------------------------------------------------------------------


@cli.command("exec")
@click.argument("words", nargs=-1, required=True, metavar="[FILE] TARGET -- CMD...")
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--all", "every", is_flag=True,
              help="servers: run on every instance in service (default: the first one).")
@click.option("--workdir", default=None, metavar="DIR",
              help="servers: the folder the command runs in (default: the server's "
                   "`directory`, /srv/app).")
@click.option("--stack-name", "root_name", default=None, help="Root stack name.")
@set_option
@click.pass_obj
def exec_(opts: Options, words: tuple[str, ...], env: str | None, every: bool,
          workdir: str | None, root_name: str | None, sets: tuple[str, ...]) -> None:
    """Run CMD on servers.X (SSM Run Command) or as a one-off task of services.X (ECS); print
    its output, and exit with its exit code.

    Put `--` before CMD. One argument with spaces runs in a shell: -- 'cd /srv && ls'.
    Exit: the command's own code; 1: an unknown TARGET or errors in FILE; 3: AWS/API failure
    or a command that never ran.
    """
    from cloudc.aws import exec_ as ex
    from cloudc.aws.locate import NotFound, component
    from cloudc.aws.rollout import stack_name

    file, rest = split_file(words, 1)
    if len(rest) < 2:
        _usage("exec takes a TARGET and a command: `cloudc exec --env staging servers.app -- "
               "php artisan migrate --force`")
    target, command = rest[0], rest[1:]
    _, build = _compile(opts, file, env, sets, warnings=False)
    aws = _aws(opts, build)
    name = root_name or stack_name(build)
    p = ex.Printer(click.echo, lambda m: click.echo(m, err=True),
                   lambda m, fg=None: say(opts, m, fg=fg))
    with _reported(opts, NotFound):
        comp = component(build, target, ex.TARGETS)
        if comp.section == "servers":
            ids = ex.instances(aws, name, build, comp.key)
            chosen = ids if every else ids[:1]
            if not every and len(ids) > 1:
                say(opts, f"{comp.key} has {len(ids)} instances; running on {ids[0]} "
                          "(--all runs on each)")
            spec = build.config.servers[comp.name]
            folder = workdir or getattr(spec, "directory", None)
            code = ex.run_on_servers(aws, chosen, command, folder, p, _progress(opts))
        else:
            if every or workdir:
                _usage("--all and --workdir are for servers; a service runs one task")
            code = ex.run_on_service(aws, ex.task_of(build, comp.key), command, p,
                                     _progress(opts))
    raise SystemExit(code)


# --- secrets --------------------------------------------------------------------------------


@cli.group()
def secrets() -> None:
    """Set and read the values of the `secrets:` entries (never printed unless asked)."""


def _secret_env(opts: Options, file: str | None, env: str | None,
                sets: tuple[str, ...]) -> tuple[Any, Any]:
    _, build = _compile(opts, file, env, sets, warnings=False)
    return _aws(opts, build), build


@secrets.command("list")
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@set_option
@click.pass_obj
def secrets_list(opts: Options, file: str | None, env: str | None, fmt: str,
                 sets: tuple[str, ...]) -> None:
    """List the declared secrets: where each lives and whether it has a value (never the value)."""
    from cloudc.aws import secrets_cmd as sc

    aws, build = _secret_env(opts, file, env, sets)
    rows = []
    with _reported(opts):
        for e in sc.entries(build):
            rows.append({"name": e.name, "source": e.kind, "where": e.where, **sc.describe(aws, e)})
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    if not rows:
        say(opts, "no secrets declared (add one under `secrets:`; `name: {}` is a secret whose "
                  "value you set)")
    for r in rows:
        state = "set" if r["is_set"] else ("not created yet (deploy first)" if r.get("missing")
                                           else "NOT SET")
        when = f"  changed {r['changed']}" if r.get("changed") and r["is_set"] else ""
        click.echo(f"{r['name']:<20} {_SOURCES[r['source']]:<22} {r['where']:<40} {state}{when}")


_SOURCES = {"set": "set by you", "generated": "generated by AWS", "ssm": "SSM parameter",
            "arn": "existing secret"}


@secrets.command("get")
@click.argument("words", nargs=-1, required=True, metavar="[FILE] NAME")
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@click.option("--reveal", is_flag=True, help="Print the value itself (on stdout).")
@set_option
@click.pass_obj
def secrets_get(opts: Options, words: tuple[str, ...], env: str | None, reveal: bool,
                sets: tuple[str, ...]) -> None:
    """Say whether secret NAME has a value; print the value only with --reveal."""
    from cloudc.aws import secrets_cmd as sc

    file, rest = split_file(words, 1)
    if len(rest) != 1:
        _usage("secrets get takes one NAME")
    aws, build = _secret_env(opts, file, env, sets)
    with _reported(opts, sc.Refused):
        e = sc.entry(build, rest[0])
        if reveal:
            click.echo(sc.get(aws, e))
            return
        info = sc.describe(aws, e)
    if not info["is_set"]:
        click.echo(f"{e.name}: not set ({e.where})")
        raise SystemExit(EXIT_INPUT)
    click.echo(f"{e.name}: set ({e.where}, version {info.get('version') or '?'}, changed "
               f"{info.get('changed') or '?'}); --reveal prints it")


@secrets.command("set")
@click.argument("words", nargs=-1, required=True, metavar="[FILE] NAME [VALUE|-]")
@click.option("--env", "-e", "env", default=None, help=ENV_HELP)
@set_option
@click.pass_obj
def secrets_set(opts: Options, words: tuple[str, ...], env: str | None,
                sets: tuple[str, ...]) -> None:
    """Store the value of secret NAME: VALUE, `-` to read stdin, or asked for at a terminal.

    Only secrets with no source (`name: {}`), `ssm:` and `arn:` entries take a value.
    """
    from cloudc.aws import secrets_cmd as sc

    file, rest = split_file(words, 2)
    if len(rest) not in (1, 2):
        _usage("secrets set takes NAME and VALUE (or `-` to read it from stdin)")
    aws, build = _secret_env(opts, file, env, sets)
    with _reported(opts, sc.Refused):
        e = sc.entry(build, rest[0])
        value = _value(opts, rest[1] if len(rest) == 2 else None)
        version = sc.put(aws, e, value)
    say(opts, f"set {e.name} ({e.where})" + (f", version {version}" if version else ""),
        fg="green")


def _value(opts: Options, given: str | None) -> str:
    """Return the value: the argument, stdin for `-`, or a hidden prompt at a terminal."""
    if given == "-":
        text = sys.stdin.read()
        return text[:-2] if text.endswith("\r\n") else text.removesuffix("\n")
    if given is not None:
        say(opts, "note: a value on the command line stays in your shell history; `-` reads "
                  "it from stdin")
        return given
    if not sys.stdin.isatty():
        _usage("no VALUE and no terminal to ask on: give the value, or `-` to read stdin")
    return str(click.prompt("Value", hide_input=True, confirmation_prompt=True, err=True))




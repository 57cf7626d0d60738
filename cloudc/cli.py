"""The command line: stdout carries only the product, stderr everything else.

Exit codes: 0 success (diff: no changes), 1 errors in the user's input (diff: changes found),
2 usage errors, 3 AWS/API failures.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from typing import Any
from urllib.parse import urlsplit

import click

from cloudc import __version__
from cloudc.diagnostics import Diagnostic, render
from cloudc.signals import Interrupted

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_AWS = 0, 1, 2, 3


class Options:
    """Global options shared by every command."""

    def __init__(self, **kw: Any) -> None:
        self.region: str | None = kw.get("region")
        self.profile: str | None = kw.get("profile")
        self.endpoint_url: str | None = kw.get("endpoint_url")
        self.verbose: bool = kw.get("verbose", False)
        self.quiet: bool = kw.get("quiet", False)
        self.color: bool = not kw.get("no_color", False) and "NO_COLOR" not in os.environ
        self.error_format: str = kw.get("error_format", "text")


def say(opts: Options, message: str, *, fg: str | None = None) -> None:
    """Print a status line on stderr unless --quiet or --error-format json|sarif (whose stderr
    is one machine-readable document and nothing else)."""
    if not opts.quiet and opts.error_format == "text":
        click.secho(message, err=True, fg=fg if opts.color else None)


def report(opts: Options, diags: list[Diagnostic], *, notes: bool = True) -> None:
    """Print findings on stderr in the chosen format (notes only when asked or --verbose).

    With json or sarif the findings are one document, printed even when there are none (`[]`,
    or a SARIF run without results) so that tools can always parse stderr: call this once.
    """
    if not (notes or opts.verbose):
        diags = [d for d in diags if d.severity != "note"]
    if opts.error_format != "text":
        click.echo(render(diags, opts.error_format), err=True)
        return
    colors = {"error": "red", "warning": "yellow", "note": "cyan"}
    for d in diags:
        if opts.quiet and d.severity != "error":
            continue
        click.secho(d.text(), err=True, fg=colors[d.severity] if opts.color else None)


ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")
ENV_HINT = "an environment name is lowercase letters, digits and `-`, starts with a letter, " \
           "at most 32 characters (e.g. production, staging, pr-42)"


def env_problem(name: str) -> str | None:
    """Say what is wrong with an environment name (SPEC 1.1), or None when it is valid.

    >>> env_problem("staging") is None, env_problem("..")
    (True, 'invalid environment name `..`')
    """
    if ENV_NAME.fullmatch(name):
        return None
    shown = name if len(name) <= 40 else name[:37] + "..."
    return f"invalid environment name `{shown!s}`".replace("\0", "\\0")


class EnvName(click.ParamType):  # type: ignore[type-arg]  # generic only in click's stubs of some versions
    """An --env value, checked before anything touches the disk."""

    name = "env"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        """Return the name, or fail with a usage error (exit 2) and the rule."""
        problem = env_problem(str(value))
        if problem:
            self.fail(f"{problem}: {ENV_HINT}", param, ctx)
        return str(value)


def default_env(env: str | None = None) -> str:
    """Return `env`, else $CLOUDC_ENV, else development; an invalid name is a usage error."""
    if env:
        name, source = env, "--env"
    else:
        name, source = os.environ.get("CLOUDC_ENV") or "development", "$CLOUDC_ENV"
    problem = env_problem(name)
    if problem:
        raise click.UsageError(f"{source}: {problem}: {ENV_HINT}")
    return name


def _endpoint(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Check --endpoint-url: an http(s) URL with a host, else a usage error."""
    if value is None or value == "":
        return None
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok or any(c.isspace() for c in value):
        raise click.BadParameter(f"`{value}` is not a URL; give one like http://localhost:4566",
                                 ctx=ctx, param=param)
    return value


def _sets(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> tuple[str, ...]:
    """Check each --set: PATH=VALUE with a dotted path, else a usage error (exit 2)."""
    for expr in value:
        key = expr.split("=", 1)[0]
        if "=" not in expr or not [p for p in key.strip().split(".") if p]:
            raise click.BadParameter(f"`{expr}` must look like PATH=VALUE, e.g. "
                                     "--set services.api.scaling.min=2", ctx=ctx, param=param)
    return value


set_option = click.option("--set", "sets", multiple=True, metavar="PATH=VALUE", callback=_sets,
                          help="Override a value (PATH=VALUE; repeatable).")


class _Group(click.Group):
    """A command group whose commands' `--env` options all check the name (SPEC 1.1)."""

    group_class = type  # sub-groups (`cloudc secrets ...`) are _Groups too

    _loaded = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Return every command's name, after the command modules registered themselves."""
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """Return the command `cmd_name`, after the command modules registered themselves."""
        self._load()
        return super().get_command(ctx, cmd_name)

    def _load(self) -> None:
        """Import every module of `cloudc.commands`: each registers its commands on `cli`.

        The commands import the compiler inside their bodies, so this stays cheap, and
        `--version` never gets here at all.
        """
        if _Group._loaded:
            return
        _Group._loaded = True
        import importlib
        import pkgutil

        import cloudc.commands as package

        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
            importlib.import_module(f"{package.__name__}.{info.name}")

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Register `cmd`, giving its `--env` option the EnvName type."""
        for param in cmd.params:
            if isinstance(param, click.Option) and param.name == "env":
                param.type = EnvName()
        super().add_command(cmd, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cloudc")
@click.option("--region", help="AWS region (default: project.region).")
@click.option("--profile", help="AWS named profile.")
@click.option("--endpoint-url", envvar="AWS_ENDPOINT_URL", callback=_endpoint,
              help="Any AWS-compatible endpoint, e.g. a local emulator.")
@click.option("--verbose", "-v", is_flag=True, help="Say more.")
@click.option("--quiet", "-q", is_flag=True, help="Only errors.")
@click.option("--no-color", is_flag=True, help="No ANSI colours.")
@click.option("--error-format", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="How findings are printed on stderr.")
@click.pass_context
def cli(ctx: click.Context, /, **kw: Any) -> None:
    """Compile one cloud.yaml into nested-stack AWS CloudFormation."""
    ctx.obj = Options(**kw)




def _on_sigint(signum: int, frame: Any) -> None:
    raise Interrupted()


def interrupted() -> None:
    """Say so in one line and exit 130 (128 + SIGINT), as shells expect."""
    try:
        sys.stderr.write("cloudc: interrupted\n")
        sys.stderr.flush()
    finally:
        sys.exit(130)


def main() -> None:
    """Run the CLI; Ctrl-C is one line and exit 130, an unexpected crash one line too."""
    try:
        signal.signal(signal.SIGINT, _on_sigint)
    except ValueError:  # not the main thread (embedded use): keep the default handler
        pass
    try:
        code = cli.main(prog_name="cloudc", standalone_mode=False)
    except SystemExit:
        raise
    except (Interrupted, KeyboardInterrupt, click.exceptions.Abort):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not traceback
        interrupted()
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):  # `cloudc schema | head`: not an error
            sys.stderr.close()
            sys.exit(EXIT_OK)
        _internal(exc)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        _internal(exc)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


def _internal(exc: BaseException) -> None:
    if os.environ.get("CLOUDC_DEBUG"):
        raise exc
    click.echo(f"cloudc: internal error: {type(exc).__name__}: {exc} "
               "(set CLOUDC_DEBUG=1 for a traceback, and please report it)", err=True)
    sys.exit(EXIT_INPUT)

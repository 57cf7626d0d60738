"""The command line: stdout carries only the product, stderr everything else.

Exit codes: 0 success (diff: no changes), 1 errors in the user's input (diff: changes found),
2 usage errors, 3 AWS/API failures.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from cloudc import __version__
from cloudc.diagnostics import Diagnostic, render

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
    """Print a status line on stderr unless --quiet."""
    if not opts.quiet:
        click.secho(message, err=True, fg=fg if opts.color else None)


def report(opts: Options, diags: list[Diagnostic], *, notes: bool = True) -> None:
    """Print findings on stderr in the chosen format (notes only when asked or --verbose)."""
    if not (notes or opts.verbose):
        diags = [d for d in diags if d.severity != "note"]
    if not diags:
        return
    if opts.error_format != "text":
        click.echo(render(diags, opts.error_format), err=True)
        return
    colors = {"error": "red", "warning": "yellow", "note": "cyan"}
    for d in diags:
        if opts.quiet and d.severity != "error":
            continue
        click.secho(d.text(), err=True, fg=colors[d.severity] if opts.color else None)


def default_env() -> str:
    """Return $CLOUDC_ENV, else development."""
    return os.environ.get("CLOUDC_ENV") or "development"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cloudc")
@click.option("--region", help="AWS region (default: project.region).")
@click.option("--profile", help="AWS named profile.")
@click.option("--endpoint-url", envvar="AWS_ENDPOINT_URL",
              help="Any AWS-compatible endpoint, e.g. a local emulator.")
@click.option("--verbose", "-v", is_flag=True, help="Say more.")
@click.option("--quiet", "-q", is_flag=True, help="Only errors.")
@click.option("--no-color", is_flag=True, help="No ANSI colours.")
@click.option("--error-format", type=click.Choice(["text", "json", "sarif"]), default="text",
              show_default=True, help="How findings are printed on stderr.")
@click.pass_context
def cli(ctx: click.Context, **kw: Any) -> None:
    """Compile one cloud.yaml into nested-stack AWS CloudFormation."""
    ctx.obj = Options(**kw)


def main() -> None:
    """Run the CLI; turn an unexpected crash into one line instead of a traceback."""
    try:
        cli.main(prog_name="cloudc", standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        click.echo("cloudc: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence
        if os.environ.get("CLOUDC_DEBUG"):
            raise
        click.echo(f"cloudc: internal error: {type(exc).__name__}: {exc} "
                   "(set CLOUDC_DEBUG=1 for a traceback, and please report it)", err=True)
        sys.exit(EXIT_INPUT)


# Commands live in their own modules and register themselves on `cli`.
from cloudc.commands import build as _build  # noqa: E402,F401
from cloudc.commands import inspect as _inspect  # noqa: E402,F401
from cloudc.commands import scaffold as _scaffold  # noqa: E402,F401

try:
    from cloudc.commands import aws as _aws  # noqa: E402,F401
except ImportError:  # pragma: no cover - diff/deploy arrive with their own module
    pass

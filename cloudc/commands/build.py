"""`cloudc build` and `cloudc validate`.

The compiler is imported inside the commands, so `cloudc --help` stays fast.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cloudc.cli import (
    EXIT_INPUT,
    EXIT_USAGE,
    Options,
    cli,
    default_env,
    env_problem,
    report,
    say,
    set_option,
)
from cloudc.diagnostics import Diagnostic
from cloudc.project import BUILTIN_ENVIRONMENTS, find_config

if TYPE_CHECKING:
    from cloudc.compile import Build


def _summary(build: Build) -> str:
    n = sum(len(t["Resources"]) for t in build.nested.values())
    roots = f" under {1 + len(build.more_roots)} root stacks" if build.more_roots else ""
    extra = "".join(f", {len(t['Resources'])} in {name}.json (deployed first)"
                    for name, t in sorted(build.separate.items()))
    stacks = len(build.nested)
    return f"{n} resources in {stacks} nested stack{'' if stacks == 1 else 's'}{roots}{extra}"


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None,
              help="Environment (default $CLOUDC_ENV, else development).")
@click.option("--out", "-o", "out", default="build", show_default=True, help="Output folder.")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml"]), default="json",
              show_default=True)
@set_option
@click.option("--rebalance", is_flag=True,
              help="Place every owner afresh (ignoring cloud.lock.json); report the moves.")
@click.option("--frozen", is_flag=True,
              help="Fail if placement would differ from cloud.lock.json; do not write it (CI).")
@click.option("--no-lock", "no_lock", is_flag=True,
              help="Neither read nor write cloud.lock.json (placement as without one).")
@click.pass_obj
def build(opts: Options, file: str | None, env: str | None, out: str, fmt: str,
          sets: tuple[str, ...], rebalance: bool = False, frozen: bool = False,
          no_lock: bool = False) -> None:
    """Compile FILE (default cloud.yaml) into DIR/ENV/, and record placement in
    cloud.lock.json beside it."""
    from cloudc.compile import compile_config
    from cloudc.emit.writer import OutputError, check_target, write_tree

    env = default_env(env)
    path = find_config(file)
    target = Path(out) / env
    protect = [path.absolute().parent]  # the project: config, presets, code, sources
    try:
        check_target(target, protect)
    except OutputError as exc:
        _usage(opts, exc)
    if sum((rebalance, frozen, no_lock)) > 1:
        raise click.UsageError("--rebalance, --frozen and --no-lock exclude each other")
    result = compile_config(path, env, list(sets), lock=not no_lock, rebalance=rebalance)
    report(opts, result.diagnostics.sorted())
    if result.diagnostics.has_errors:
        n = len(result.diagnostics.errors)
        say(opts, f"build failed: {n} error{'s' if n != 1 else ''}; nothing written", fg="red")
        raise SystemExit(EXIT_INPUT)
    if frozen:
        _check_frozen(opts, path, result)
    try:
        write_tree(target, result.files(fmt), protect)
    except OutputError as exc:
        _usage(opts, exc)
    say(opts, f"built {env}: {_summary(result)} -> {target}/", fg="green")
    if not (frozen or no_lock):
        _write_lock(opts, path, result)


def _check_frozen(opts: Options, path: Path, result: Build) -> None:
    """Exit 1 when the build's placement is not exactly what cloud.lock.json records."""
    from cloudc.lock import LOCK_FILE, read_lock

    locked = (read_lock(path) or {}).get(result.env)
    placement = result.placement()
    if locked is None or placement is None or locked.as_json() != placement.as_json():
        what = "has no entry for" if locked is None else "does not match the placement of"
        say(opts, f"build failed: {LOCK_FILE} {what} {result.env} (--frozen); run `cloudc "
                  f"build --env {result.env}` and commit {LOCK_FILE}; nothing written", fg="red")
        raise SystemExit(EXIT_INPUT)


def _write_lock(opts: Options, path: Path, result: Build) -> None:
    """Record the build's placement in cloud.lock.json (atomically; other envs kept)."""
    from cloudc.lock import LOCK_FILE, LockError, lock_path, write_lock

    placement = result.placement()
    if placement is None:
        return
    try:
        changed = write_lock(path, result.env, placement)
    except (OSError, LockError) as exc:
        _usage(opts, OSError(f"cannot write {lock_path(path)}: {exc}"))
        return
    if changed:
        say(opts, f"wrote {LOCK_FILE}: placement of {result.env} (commit it)")


def _usage(opts: Options, exc: Exception) -> None:
    """Report an output-folder problem as a usage error (exit 2)."""
    click.secho(f"cloudc: error: {exc}", err=True, fg="red" if opts.color else None)
    raise SystemExit(EXIT_USAGE)


@cli.command()
@click.argument("files", nargs=-1)
@click.option("--env", "-e", "env", default=None, help="Only this environment.")
@set_option
@click.option("--against-last-build", "against", is_flag=True,
              help="Also diff with the last build in OUT/ENV/: warn on replacements and data loss.")
@click.option("--out", "-o", "out", default="build", show_default=True,
              help="Where the last build is (with --against-last-build).")
@click.option("--lint", "lint", is_flag=True,
              help="Also run cfn-lint over the built templates (pip install 'cloudc[lint]').")
@click.pass_obj
def validate(opts: Options, files: tuple[str, ...], env: str | None, sets: tuple[str, ...],
             against: bool = False, out: str = "build", lint: bool = False) -> None:
    """Run every check of build, for every environment; write nothing (for pre-commit).

    A finding that does not hold in every environment validated names the ones it holds in.
    """
    from cloudc.compile import compile_config

    if lint:
        from cloudc.lint import available

        if not available():
            raise click.UsageError("--lint needs cfn-lint: pip install 'cloudc[lint]'")
    paths = [Path(f) for f in files] or [find_config(None)]
    failed = False
    every: list[Diagnostic] = []  # json/sarif: every file's findings in one document
    if env:
        env = default_env(env)
    for path in paths:
        envs = [env] if env else _environments(path)
        found: list[tuple[str, Diagnostic]] = []
        ran: list[str] = []
        good: list[Build] = []
        for e in envs:
            result = compile_config(path, e, list(sets), dry=True)
            ran.append(e)
            found.extend((e, d) for d in result.diagnostics.sorted())
            if result.diagnostics.has_errors:
                failed = True
                if result.resolved is None:
                    break  # the file itself is unreadable: once is enough
            else:
                good.append(result)
        if lint:
            from cloudc.lint import lint_build

            for result in good:
                lint_found = lint_build(result)
                found.extend((result.env, d) for d in lint_found)
                failed = failed or any(d.severity == "error" for d in lint_found)
        merged = _by_environment(found, ran)
        if opts.error_format == "text":
            report(opts, merged, notes=False)
        else:
            every.extend(d for d in merged if d.severity != "note" or opts.verbose)
        if against:
            from cloudc.aws.lastbuild import compare

            for result in good:
                seen = compare(path, result.env, list(sets), Path(out))
                if seen is None:
                    continue
                if opts.error_format == "text":
                    report(opts, seen.findings)
                else:
                    every.extend(seen.findings)
                say(opts, seen.summary(), fg="red" if seen.data_loss else None)
                failed = seen.data_loss or failed
        if not failed:
            say(opts, f"{path}: ok ({', '.join(envs)})", fg="green")
    if opts.error_format != "text":
        report(opts, every)
    if failed:
        raise SystemExit(EXIT_INPUT)


def _by_environment(found: list[tuple[str, Diagnostic]], envs: list[str]) -> list[Diagnostic]:
    """Merge the findings of every environment, each once, naming the environments it holds in
    unless it holds in all of them (or its origin already names its one environment)."""
    where: dict[str, list[str]] = {}
    first: dict[str, Diagnostic] = {}
    for e, d in found:
        key = d.text()
        first.setdefault(key, d)
        if e not in where.setdefault(key, []):
            where[key].append(e)
    out = []
    for key, d in first.items():
        holds = where[key]
        layer = d.origin.layer if d.origin is not None else ""
        named = len(holds) == 1 and _layer_env(layer) == holds[0]
        if len(envs) > 1 and len(holds) < len(envs) and not named:
            d = replace(d, envs=tuple(holds))
        out.append(d)
    return sorted(out, key=Diagnostic.sort_key)


def _layer_env(layer: str) -> str | None:
    """Return the environment an overlay layer belongs to (`environments.X`, `cloud.X.yaml`)."""
    if layer.startswith("environments."):
        return layer.split(".", 1)[1]
    parts = layer.split(".")
    return parts[-2] if len(parts) >= 3 and not layer.startswith("preset ") else None


def _environments(path: Path) -> list[str]:
    """Return the built-in environments plus those the file declares."""
    from cloudc.diagnostics import Diagnostics
    from cloudc.load import load_file

    doc = load_file(path, Diagnostics())
    declared = []
    if doc is not None and isinstance(doc.data.get("environments"), dict):
        # an invalid name is reported (E1010) by the built-in environments' runs
        declared = [str(e) for e in doc.data["environments"] if env_problem(str(e)) is None]
    return list(dict.fromkeys([*BUILTIN_ENVIRONMENTS, *declared]))

"""`cloudc schema`, `presets`, `explain` and `graph`: read-only views of a config."""

from __future__ import annotations

from typing import Any

import click

from cloudc import presets as builtin
from cloudc.cli import EXIT_INPUT, EXIT_USAGE, Options, cli, default_env, report
from cloudc.diagnostics import did_you_mean, dotted
from cloudc.project import find_config
from cloudc.source import value_at


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the config file."""
    from cloudc.schema import json_schema_text

    click.echo(json_schema_text(), nl=False)


@cli.command()
@click.argument("name", required=False)
def presets(name: str | None) -> None:
    """List the built-in presets, or show one."""
    names = builtin.builtin_names()
    if name is None:
        width = max(map(len, names), default=0)
        for n in names:
            click.echo(f"{n.ljust(width)}  {builtin.describe(n)}")
        return
    path = builtin.builtin_path(name)
    if path is None:
        hint = did_you_mean(name, names)
        click.echo(f"cloudc: unknown preset `{name}`" + (f" ({hint})" if hint else ""), err=True)
        raise SystemExit(EXIT_USAGE)
    click.echo(path.read_text(encoding="utf-8"), nl=False)


def _compiled(opts: Options, file: str | None, env: str | None) -> Any:
    from cloudc.compile import compile_config

    result = compile_config(find_config(file), default_env(env), dry=True)
    report(opts, result.diagnostics.sorted())
    if result.diagnostics.has_errors or result.ir is None:
        raise SystemExit(EXIT_INPUT)
    return result


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None)
@click.argument("resource", required=False)
@click.pass_obj
def explain(opts: Options, file: str | None, env: str | None, resource: str | None) -> None:
    """Say where each resource and each value came from.

    RESOURCE is `section.name` or a logical ID; FILE may be omitted when RESOURCE is given.
    """
    if file and resource is None and not file.endswith((".yaml", ".yml", ".toml", ".json")):
        file, resource = None, file
    result = _compiled(opts, file, env)
    ir, res = result.ir, result.resolved
    comps = list(ir.components.values())
    if resource:
        picked = [c for c in comps if c.key == resource]
        if not picked:
            owner = ir.resources.get(resource)
            picked = [c for c in comps if owner is not None and c.key == owner.owner]
        if not picked:
            names = [c.key for c in comps] + list(ir.resources)
            hint = did_you_mean(resource, names)
            click.echo(f"cloudc: no resource `{resource}`" + (f" ({hint})" if hint else ""),
                       err=True)
            raise SystemExit(EXIT_INPUT)
        comps = picked
    by_owner = ir.by_owner()
    for comp in comps:
        o = comp.origin
        click.echo(f"{comp.key}  ({comp.kind}) {o.describe() if o else ''}".rstrip())
        for r in by_owner.get(comp.key, []):
            click.echo(f"  {r.logical_id}  {r.type}  in stacks/{ir.groups[r.logical_id]}.json")
            for what, at in ir.overridden.get(r.logical_id, []):  # `overrides:` patches
                where = res.origins.get(at)
                value = value_at(res.data, at)
                did = "deleted" if value is None else f"= {value!r}"
                click.echo(f"    {what} {did} by `{dotted(at)}` {where.describe() if where else ''}"
                           .rstrip())
        prefix = comp.path
        for path, origin in sorted(res.origins.items(), key=lambda kv: (str(kv[1]), kv[0])):
            if path[: len(prefix)] == prefix and len(path) > len(prefix):
                value = value_at(res.data, path)
                if isinstance(value, (dict, list)):
                    continue
                click.echo(f"    {dotted(path[len(prefix):])} = {value!r}  {origin.describe()}")


@cli.command()
@click.argument("file", required=False)
@click.option("--env", "-e", "env", default=None)
@click.option("--format", "fmt", type=click.Choice(["dot", "mermaid"]), default="dot",
              show_default=True)
@click.option("--resources", "level", flag_value="resources", help="One node per resource.")
@click.pass_obj
def graph(opts: Options, file: str | None, env: str | None, fmt: str, level: str | None) -> None:
    """Print the dependency graph (entries by default, or resources)."""
    result = _compiled(opts, file, env)
    ir = result.ir
    if level == "resources":
        nodes = {lid: f"{lid}\\n{r.type}" for lid, r in ir.resources.items()}
        edges = {(a, b) for a, deps in ir.edges.items() for b in deps}
    else:
        nodes = {c.key: f"{c.key}\\n{c.kind}" for c in ir.components.values()}
        edges = set()
        for a, deps in ir.edges.items():
            for b in deps:
                oa, ob = ir.resources[a].owner, ir.resources[b].owner
                if oa != ob and oa in nodes and ob in nodes:
                    edges.add((oa, ob))
        for c in ir.components.values():
            for target, _access, _path in c.links:
                if target in nodes:
                    edges.add((c.key, target))
    click.echo(_dot(nodes, edges) if fmt == "dot" else _mermaid(nodes, edges), nl=False)


def _dot(nodes: dict[str, str], edges: set[tuple[str, str]]) -> str:
    lines = ["digraph cloudc {", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    lines += [f'  "{n}" [label="{label}"];' for n, label in nodes.items()]
    lines += [f'  "{a}" -> "{b}";' for a, b in sorted(edges)]
    return "\n".join(lines + ["}"]) + "\n"


def _mermaid(nodes: dict[str, str], edges: set[tuple[str, str]]) -> str:
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    lines = ["graph LR"]
    newline = chr(92) + "n"
    lines += [f'  {ids[n]}["{label.replace(newline, "<br/>")}"]' for n, label in nodes.items()]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in sorted(edges)]
    return "\n".join(lines) + "\n"

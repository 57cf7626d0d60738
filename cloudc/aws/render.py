"""Print a Plan as text (for people) or JSON (for tools); diff and deploy share this."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from cloudc.aws.diff import Change, Plan, ResourceChange

MARK = {"add": "+", "remove": "-", "modify": "~", "move": "~", "change": "~"}
COLOR = {"add": "green", "remove": "red", "modify": "yellow", "move": "yellow",
         "change": "yellow"}
WIDTH = 100


def render_json(plan: Plan) -> str:
    """Return the plan as indented JSON."""
    return json.dumps(plan.as_dict(), indent=2, default=str)


def render_text(plan: Plan, *, color: bool = True, verbose: bool = False,
                title: str | None = None) -> str:
    """Return the plan as text: one block per stack, then parameters, outputs, tags."""
    def st(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    lines: list[str] = []
    if title is not None:
        lines.append(title)
    elif not plan.exists:
        lines.append(f"Stack {plan.stack_name} does not exist yet: everything is added.")
    else:
        lines.append(f"Stack {plan.stack_name} (root and nested stacks)")
    for c in plan.stacks:
        lines.append(st(f"{MARK[c.kind]} nested stack {c.path} "
                        f"({c.new if c.kind == 'add' else c.old})", fg=COLOR[c.kind]))
    shown = [r for r in plan.resources if verbose or not r.verbose_only]
    stacks: dict[str, list[ResourceChange]] = {}
    for r in shown:
        stacks.setdefault(r.stack, []).append(r)
    for stack, changes in stacks.items():
        lines.append("")
        lines.append(st(stack, bold=True))
        width = max(len(r.logical_id) for r in changes)
        types = max(len(r.type) for r in changes)
        for r in changes:
            lines.extend(_resource(r, width, types, st, verbose))
    for title_, items in (("Parameters", plan.parameters), ("Outputs", plan.outputs),
                          ("Stack tags", plan.tags)):
        if items:
            lines.append("")
            lines.append(st(title_, bold=True))
            for c in items:
                lines.append(st(f"  {MARK[c.kind]} {c.path}", fg=COLOR[c.kind])
                             + _values(c))
    if verbose and plan.other:
        lines.append("")
        lines.append(st("Other template changes", bold=True))
        for c in plan.other:
            lines.append(f"  ~ {c.path}")
    hidden = sum(r.verbose_only for r in plan.resources) if not verbose else 0
    lines.append("")
    lines.append(summary(plan, st))
    if hidden:
        lines.append(f"({hidden} resource{'s' if hidden != 1 else ''} differ only in cloudc's "
                     "source-line metadata; --verbose shows them)")
    return "\n".join(lines)


def summary(plan: Plan, st: Callable[..., str] | None = None) -> str:
    """Return the one-line count of changes."""
    st = st or (lambda text, **kw: text)
    if not plan.changed:
        return "No changes."
    n = plan.summary()
    text = (f"Plan: {n['add']} to add, {n['modify']} to change, {n['remove']} to remove"
            f" ({n['replace']} replaced)." if n["replace"] else
            f"Plan: {n['add']} to add, {n['modify']} to change, {n['remove']} to remove.")
    if n["data_loss"]:
        text += " " + st(f"DATA LOSS in {n['data_loss']} resource"
                         f"{'s' if n['data_loss'] != 1 else ''}.", fg="red", bold=True)
    return text


def _resource(r: ResourceChange, width: int, types: int, st: Callable[..., str],
              verbose: bool) -> list[str]:
    head = st(f"  {MARK[r.action]} {r.logical_id.ljust(width)}", fg=COLOR[r.action])
    head += f"  {r.type.ljust(types)}"
    if r.action == "move":
        head += f"  (moved from {r.from_stack})"
    if r.replacement == "yes":
        head += "  " + st("REPLACE", fg="magenta", bold=True)
    elif r.replacement == "maybe":
        head += "  " + st("MAY REPLACE", fg="magenta")
    if r.data_loss:
        word = "DATA LOSS" if r.data_loss == "yes" else "POSSIBLE DATA LOSS"
        head += "  " + st(f"{word}: {r.lost}", fg="red", bold=True)
    if r.origin:
        head += f"  {r.origin}"
    out = [head.rstrip()]
    for reason in r.reasons:
        out.append(f"      {reason}")
    if r.kept:
        out.append(f"      {r.kept}")
    for c in r.props:
        flag = ""
        if c.replacement == "yes":
            flag = "  " + st("(forces replacement)", fg="magenta")
        elif c.replacement == "maybe":
            flag = "  " + st("(may force replacement)", fg="magenta")
        out.append(f"      {c.path}:" + _values(c) + flag)
    if verbose:
        for c in r.bookkeeping:
            out.append(f"      {c.path}: {_short(c.old)} -> {_short(c.new)} (cloudc bookkeeping)")
    return out


def _values(c: Change) -> str:
    if c.kind == "add":
        return f" (added) {_short(c.new)}"
    if c.kind == "remove":
        return f" (removed) {_short(c.old)}"
    return f" {_short(c.old)} -> {_short(c.new)}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= WIDTH else text[:WIDTH - 3] + "..."

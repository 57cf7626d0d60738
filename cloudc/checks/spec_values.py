"""Property values outside what AWS accepts, from the provider schemas.

cloudc/data/resource_specs.json records, per resource type, the value constraints of the
provider schema (enum, minimum, maximum, pattern, minLength, maxLength) for top-level and
one-level nested properties. Every literal value the build puts there is checked; values
computed at deploy time (Ref, GetAtt, Sub, dynamic references) are not. The finding is at the
config value that produced the property when it can be found, else at the resource's entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from cloudc import resource_specs
from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean
from cloudc.ir import Expr, Resource
from cloudc.source import Path

CODES = (
    Code("E3105", "value outside what AWS accepts",
         "every literal property value is checked against the provider schema's enum, "
         "minimum, maximum, pattern and length, and reported at the config value behind it"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report each literal property value its resource type's schema rejects."""
    assert cx.ir is not None
    # Large apps repeat the same literals (runtimes, sizes, names' shapes) thousands of times:
    # judge each (type, property, value) once.
    judged: dict[tuple[str, str, Any], tuple[str, str] | None] = {}
    plans: dict[str, list[Step]] = {}
    for r in cx.ir.resources.values():
        plan = plans.get(r.type)
        if plan is None:
            plan = plans[r.type] = _plan(r.type)
        for pointer, rule, prop, value in literals(r.properties, plan):
            key = (r.type, pointer, (type(value), value))
            if key in judged:
                problem = judged[key]
            else:
                problem = judged[key] = violation(value, rule)
            if problem is not None:
                yield _finding(cx, r, prop, value, problem)


# One rule of a type: (top-level property, the rest of its pointer, pointer, rule).
Step = tuple[str, list[str], str, dict[str, Any]]


def _plan(type_name: str) -> list[Step]:
    """Return the rules of a resource type as steps, in the order of the rules."""
    return [(parts[0], parts[1:], pointer, rule)
            for pointer, rule in resource_specs.constraints(type_name).items()
            for parts in [pointer.split("/")] if parts[0] != "*"]


def literals(props: dict[str, Any], plan: list[Step]
             ) -> Iterator[tuple[str, dict[str, Any], Path, Any]]:
    """Yield (pointer, rule, property path, value) for every literal value a rule names."""
    for head, rest, pointer, rule in plan:
        # Most rules name a property the resource does not set: skipped without a walk.
        node = props.get(head)
        if node is None:
            continue
        if not rest:
            if not isinstance(node, (dict, list, Expr)):
                yield pointer, rule, (head,), node
            continue
        for prop, value in _values(node, rest, (head,)):
            yield pointer, rule, prop, value


def _finding(cx: CheckContext, r: Resource, prop: Path, value: Any,
             problem: tuple[str, str]) -> Finding:
    message, hint = problem
    name = "/".join(str(p) for p in prop)
    path = cx.locate(r.logical_id, prop, value)
    text = f"{message} for {name} of {r.type}"
    if not path:
        text = f"`{r.owner}` ({r.logical_id}): {text}"
    return Finding("E3105", text, path, hint, resource=r.logical_id)


def _values(node: Any, parts: list[str], prop: Path) -> Iterator[tuple[Path, Any]]:
    if not parts:
        if not isinstance(node, (dict, list, Expr)) and node is not None:
            yield prop, node
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _values(item, rest, prop + (i,))
    elif isinstance(node, dict) and head in node:
        yield from _values(node[head], rest, prop + (head,))


def violation(value: Any, rule: dict[str, Any]) -> tuple[str, str] | None:
    """Return (problem, hint) when `value` breaks `rule`, else None.

    >>> violation(64, {"minimum": 128, "maximum": 10240})
    ('64 is below the minimum 128', 'use a value from 128 to 10240')
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        low, high = rule.get("minimum"), rule.get("maximum")
        span = _span(low, high)
        if low is not None and value < low:
            return f"{value} is below the minimum {low}", span
        if high is not None and value > high:
            return f"{value} is above the maximum {high}", span
        enum = rule.get("enum")
        if enum and all(isinstance(e, (int, float)) for e in enum) and value not in enum:
            near = sorted(sorted(enum, key=lambda e: abs(e - value))[:2])
            return (f"{value} is not one of {', '.join(map(str, enum))}",
                    f"the nearest allowed values are {' and '.join(map(str, near))}")
        return None
    if not isinstance(value, str) or "{{resolve:" in value:
        return None
    enum = rule.get("enum")
    if enum and all(isinstance(e, str) for e in enum) and value not in enum:
        return (f"`{value}` is not an allowed value",
                did_you_mean(value, enum) or f"use one of: {', '.join(enum[:12])}")
    low, high = rule.get("minLength"), rule.get("maxLength")
    if low is not None and len(value) < low:
        return f"`{value}` is shorter than {low} characters", f"use {low} to {high} characters"
    if high is not None and len(value) > high:
        return (f"`{_cut(value)}` is {len(value)} characters, more than {high}",
                f"use at most {high} characters")
    pattern = _compiled(rule.get("pattern"))
    if pattern is not None and pattern.search(value) is None:
        return f"`{_cut(value)}` does not match {rule['pattern']}", "see the pattern"
    return None


def _span(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"use a value from {low} to {high}"
    return f"use at least {low}" if low is not None else f"use at most {high}"


def _cut(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


@lru_cache(maxsize=4096)
def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:  # an ECMA-only construct: cfn-lint checks it (validate --lint)
        return None

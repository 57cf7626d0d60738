"""Make cfn-lint (1.x) about a third faster in the test run, with the same findings.

Profiling the golden tests showed two costs in cfn-lint itself, neither of them checking:
- `Validator.extend` (called for every rule on every resource) calls `validators.create`, which
  defines a new dataclass each time: 23,500 class creations (`exec`) for the goldens. The class
  depends only on its arguments (the keyword validators, the function filter's settings, the
  function resolvers), so one class per distinct argument set serves every call.
- `evolve` on validators, contexts and function filters calls `dataclasses.fields(cls)` each
  time (3.5 million calls); a class's fields never change once it is made, so cache them.

Both are applied only when cfn-lint still has the shape they rely on; otherwise cfn-lint runs
unchanged. tests/test_golden.py::test_fast_cfnlint_finds_what_cfn_lint_finds compares findings
with and without them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Hashable, Mapping
from typing import Any

_applied = False


def apply() -> bool:
    """Install both speed-ups once; return whether they are in place."""
    global _applied
    if _applied:
        return True
    try:
        import cfnlint.context.context as context
        import cfnlint.jsonschema._filter as filters
        import cfnlint.jsonschema.validators as validators
    except ImportError:
        return False
    modules = (context, filters, validators)
    if not all(getattr(m, "fields", None) is dataclasses.fields for m in modules):
        return False
    if not callable(getattr(validators, "create", None)):
        return False
    for m in modules:
        m.fields = _fields  # type: ignore[attr-defined]
    validators.create = _memo_create(validators.create)  # type: ignore[attr-defined]
    _applied = True
    return True


@functools.cache
def _class_fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _fields(x: Any) -> tuple[dataclasses.Field[Any], ...]:
    """`dataclasses.fields`, cached for classes (instances are passed through)."""
    return _class_fields(x) if isinstance(x, type) else dataclasses.fields(x)


def _memo_create(create: Callable[..., type]) -> Callable[..., type]:
    """Wrap `cfnlint.jsonschema.validators.create` to return one class per argument set."""
    made: dict[Hashable, type] = {}

    def cached(validators: Mapping[str, Any] | None = None, function_filter: Any = None,
               fn_resolvers: Mapping[str, Any] | None = None) -> type:
        try:
            key = (tuple((validators or {}).items()), _filter_key(function_filter),
                   tuple((fn_resolvers or {}).items()))
            hash(key)
        except (TypeError, AttributeError):
            return create(validators, function_filter, fn_resolvers)
        if key not in made:
            made[key] = create(validators, function_filter, fn_resolvers)
        return made[key]

    return cached


def _filter_key(ff: Any) -> Hashable:
    """A FunctionFilter's settings: equal settings filter alike (it holds nothing else)."""
    if ff is None:
        return None
    return (type(ff), tuple((f.name, _frozen(getattr(ff, f.name))) for f in dataclasses.fields(ff)))


def _frozen(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]

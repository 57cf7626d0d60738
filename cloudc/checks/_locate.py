"""Map a resource property back to the config value that produced it.

Lowering records where each resource came from (its `origin`: the config entry, or the part of
it passed to `ctx.add`) and which entry owns it, but not which config key gave which property.
Most properties that carry a user's value carry it unchanged (`memory: 64` -> `MemorySize: 64`),
so the config subtree of the owning entry is searched for that value; a unique match, or the
match whose key reads most like the property name, is the answer.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from cloudc.source import Path, value_at

if TYPE_CHECKING:
    from cloudc.ir import IR
    from cloudc.resolve import Resolved


def locate(res: Resolved, ir: IR, logical_id: str, prop: Path, value: Any) -> Path:
    """Return the config path under the resource's owner whose value is `value`, or `()`."""
    r = ir.resources.get(logical_id)
    if r is None or isinstance(value, (dict, list)) or value is None:
        return ()
    comp = ir.components.get(r.owner)
    if comp is None:
        return ()
    tree = value_at(res.data, comp.path)
    found = [p for p, v in _scalars(tree, comp.path) if _same(v, value)]
    if len(found) == 1:
        return found[0]
    if not found:
        return ()
    name = _norm(next((str(p) for p in reversed(prop) if isinstance(p, str)), ""))
    scored = sorted(((_score(name, p), p) for p in found), key=lambda t: -t[0])
    if scored[0][0] > 0.5 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return scored[0][1]
    if r.origin is not None:  # the one written where the resource came from
        near = [p for p in found if res.origins.get(p) == r.origin]
        if len(near) == 1:
            return near[0]
    return ()


def _score(name: str, path: Path) -> float:
    key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
    k = _norm(key)
    if not k or not name:
        return 0.0
    if k in name or name in k:
        return 0.9
    return difflib.SequenceMatcher(None, k, name).ratio()


def _norm(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return isinstance(a, str) and isinstance(b, str) and a == b


def _scalars(value: Any, path: Path) -> Iterator[tuple[Path, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _scalars(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _scalars(v, path + (i,))
    elif value is not None:
        yield path, value

"""Source positions: where every value of the merged config came from."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Origin:
    """A 1-based position in a source file, plus the layer (preset, overlay) it came from."""

    file: str
    line: int
    col: int
    layer: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def describe(self) -> str:
        """Say where the value came from, for `cloudc explain`."""
        where = f"{self.file}, line {self.line}"
        if self.layer and not self.file.endswith(self.layer):
            return f"from {self.layer}, {where}"
        return f"from {where}"


_new = object.__new__
_slot: dict[str, Any] = dict(vars(Origin))  # the slots' member descriptors
_set_file, _set_line = _slot["file"].__set__, _slot["line"].__set__
_set_col, _set_layer = _slot["col"].__set__, _slot["layer"].__set__


def new_origin(file: str, line: int, col: int, layer: str) -> Origin:
    """Return `Origin(file, line, col, layer)`, built about twice as fast: the slots are set
    directly instead of through the frozen dataclass's `object.__setattr__` calls (the loader
    makes one per key and value of the config).

    >>> new_origin("a.yaml", 3, 1, "") == Origin("a.yaml", 3, 1)
    True
    """
    o = _new(Origin)
    _set_file(o, file)
    _set_line(o, line)
    _set_col(o, col)
    _set_layer(o, layer)
    return o


def value_at(data: Any, path: Path) -> Any:
    """Return the value at `path` in plain config data, or None when there is none.

    >>> value_at({"a": [{"b": 1}]}, ("a", 0, "b")), value_at({"a": 1}, ("x",))
    (1, None)
    """
    for p in path:
        try:
            data = data[p]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def origin_at(file: str, line0: int, col0: int, layer: str = "") -> Origin:
    """Build an Origin from the 0-based line and column a parser reports (the one conversion)."""
    return Origin(file, line0 + 1, col0 + 1, layer)


class Origins:
    """Map config paths to the Origin of the value (or key) at that path."""

    __slots__ = ("_map", "_keys")

    def __init__(
        self,
        mapping: dict[Path, Origin] | None = None,
        keys: dict[Path, Origin] | None = None,
    ) -> None:
        self._map: dict[Path, Origin] = mapping if mapping is not None else {}
        self._keys: dict[Path, Origin] = keys if keys is not None else {}

    def set(self, path: Path, origin: Origin) -> None:
        """Record where the value at `path` came from."""
        self._map[path] = origin

    def set_key(self, path: Path, origin: Origin) -> None:
        """Record where the key that names `path` was written."""
        self._keys[path] = origin

    def key(self, path: Path) -> Origin | None:
        """Return where the key naming `path` was written, else where its value is."""
        return self._keys.get(tuple(path)) or self.get(path)

    def get(self, path: Path) -> Origin | None:
        """Return the origin of `path`, or of its nearest ancestor that has one."""
        m = self._map
        p = tuple(path)
        while True:
            o = m.get(p)
            if o is not None:
                return o
            if not p:
                return None
            p = p[:-1]

    def exact(self, path: Path) -> Origin | None:
        """Return the origin recorded for exactly `path`."""
        return self._map.get(tuple(path))

    def update(self, other: Origins) -> None:
        """Take every origin of `other`, later layers winning."""
        self._map.update(other._map)
        self._keys.update(other._keys)

    def drop_under(self, prefix: Path) -> None:
        """Forget the origins of `prefix` and everything below it."""
        n = len(prefix)
        for table in (self._map, self._keys):
            for key in [k for k in table if k[:n] == prefix]:
                del table[key]

    def rebase(self, old: Path, new: Path) -> Origins:
        """Return the origins under `old`, re-rooted at `new`."""
        n = len(old)
        return Origins(
            {new + k[n:]: v for k, v in self._map.items() if k[:n] == old},
            {new + k[n:]: v for k, v in self._keys.items() if k[:n] == old},
        )

    def overlaid(
        self, over: Origins, drop: AbstractSet[Path], take: AbstractSet[Path]
    ) -> Origins:
        """Return these origins less those under `drop`, plus `over`'s under `take`.

        One pass over each table, whatever the number of prefixes (a merge replaces many
        values; scanning every origin once per value was quadratic).
        """
        mapping, keys = self._map, self._keys
        if drop:
            d = max(map(len, drop))
            if d == 1:  # whole sections (inline: one test per origin, no call)
                mapping = {k: v for k, v in mapping.items() if k[:1] not in drop}
                keys = {k: v for k, v in keys.items() if k[:1] not in drop}
            else:
                mapping = {k: v for k, v in mapping.items() if not _under(k, drop, d)}
                keys = {k: v for k, v in keys.items() if not _under(k, drop, d)}
        else:
            mapping, keys = dict(mapping), dict(keys)
        if take:
            d = max(map(len, take))
            if d == 1:  # the common case: a config over no preset takes whole sections
                mapping.update({k: v for k, v in over._map.items() if k[:1] in take})
                keys.update({k: v for k, v in over._keys.items() if k[:1] in take})
            else:
                mapping.update((k, v) for k, v in over._map.items() if _under(k, take, d))
                keys.update((k, v) for k, v in over._keys.items() if _under(k, take, d))
        return Origins(mapping, keys)

    def items(self) -> Iterable[tuple[Path, Origin]]:
        """Iterate over (path, origin) pairs."""
        return self._map.items()

    def __len__(self) -> int:
        return len(self._map)


def _under(path: Path, prefixes: AbstractSet[Path], depth: int) -> bool:
    """Say whether `path` is one of `prefixes` (none longer than `depth`) or lies below one."""
    if depth == 1:  # the common case: whole sections
        return path[:1] in prefixes
    for i in range(1, min(len(path), depth) + 1):
        if path[:i] in prefixes:
            return True
    return False

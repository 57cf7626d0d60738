"""Check stage: whole-app rules run after lowering and the passes, shaped like cfn-lint's rules.

Each module in this package is one rule (or a small family of rules). It declares the codes it
adds in `CODES` (and, in `USES`, codes of cloudc/diagnostics.py it reports too) and one
function, `check(cx) -> Iterable[Finding]`. A rule never computes a
line number: it names a config path (or a resource's logical ID), and `run_checks` is the one
place that turns that into `FILE:LINE:COL`. Adding a rule means adding a module; nothing here
changes.

Rules that only need the typed config set `NEEDS = "config"` and also run when lowering stopped
early (so an unknown reference never hides them); the rest (`NEEDS = "ir"`, the default) run on
the finished IR. A config rule's errors do not stop lowering (so IR rules still report), unless
the module sets `BLOCKING = True`: its errors would make lowering itself fail (two entries with
one logical ID).

The path -> line contract: a Finding's `path` is a path in the merged config (as the user wrote
it, after presets and overlays); the finding prints at the origin of the value there, or of the
key with `key=True`, or of the nearest ancestor that has one. With no path, a finding about a
resource prints at the resource's origin (the config entry, or the part of it, that produced it);
`CheckContext.locate` finds the config value behind a resource property when it can.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from cloudc.checks._locate import locate
from cloudc.diagnostics import CODES, Code, Diagnostics
from cloudc.source import Origin, Path

if TYPE_CHECKING:
    from cloudc.ir import IR
    from cloudc.resolve import Resolved


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports: a code, the config path (or resource) it is about, and a hint."""

    code: str
    message: str
    path: Path = ()
    hint: str | None = None
    resource: str | None = None  # a logical ID, when the finding is about generated output
    key: bool = False  # point at the key that names `path` rather than at its value


@dataclass
class CheckContext:
    """What a rule may read: the merged config (raw and typed), the IR, and the environment."""

    res: Resolved
    config: Any
    ir: IR | None

    @property
    def env(self) -> str:
        """Return the environment being checked."""
        return self.res.environment

    @property
    def data(self) -> dict[str, Any]:
        """Return the merged config as plain data."""
        return self.res.data

    def origin(self, path: Path) -> Origin | None:
        """Return where the value at `path` (or its nearest ancestor) came from."""
        return self.res.origins.get(path)

    def section(self, name: str) -> dict[str, Any]:
        """Return a map section of the typed config (`{}` when absent)."""
        value = getattr(self.config, name, None) if self.config is not None else None
        return dict(value or {})

    def locate(self, logical_id: str, prop: Path, value: Any) -> Path:
        """Return the config path whose value became `prop` of a resource, or `()`."""
        if self.ir is None:
            return ()
        return locate(self.res, self.ir, logical_id, prop, value)


Rule = Callable[[CheckContext], Iterable[Finding]]


@lru_cache(maxsize=1)
def rule_modules() -> tuple[ModuleType, ...]:
    """Import every rule module (sorted by name) and register the codes they declare."""
    mods = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        for code in getattr(mod, "CODES", ()):
            register(code)
        mods.append(mod)
    return tuple(mods)


def register(code: Code) -> None:
    """Add a rule's code to the table; a code means one thing only."""
    have = CODES.get(code.code)
    if have is not None and have.title != code.title:
        raise ValueError(f"diagnostic code {code.code} registered twice: {have.title!r}")
    CODES[code.code] = code


def run_checks(cx: CheckContext, diags: Diagnostics,
               needs: Literal["config", "ir"] = "ir") -> bool:
    """Run every rule that needs `needs`, record its findings at the user's line, and say
    whether a blocking rule reported an error."""
    blocked = False
    for mod in rule_modules():
        if getattr(mod, "NEEDS", "ir") != needs:
            continue
        for f in mod.check(cx):
            diags.add(f.code, f.message, origin=_origin(cx, f), path=f.path, hint=f.hint)
            if getattr(mod, "BLOCKING", False) and CODES[f.code].severity == "error":
                blocked = True
    return blocked


def _origin(cx: CheckContext, f: Finding) -> Origin | None:
    if f.path:
        return cx.res.origins.key(f.path) if f.key else cx.res.origins.get(f.path)
    if f.resource is not None and cx.ir is not None:
        r = cx.ir.resources.get(f.resource)
        if r is not None:
            return r.origin
    return None

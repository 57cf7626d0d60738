"""A scaling target on a group that cannot scale (W3182).

With `scaling.min` equal to `scaling.max` a target-tracking policy can never change the
capacity, so cloudc creates none (for server groups and Fargate services alike); a target the
user set there has no effect, and the build says so at the line of `scaling`. Built-in presets
that pin a size for an environment (development: 1..1) are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.presets import PRESET_DIR

NEEDS = "config"
CODES = (Code("W3182", "a scaling target on a group whose min equals its max"),)
TARGETS = {"servers": ("cpu_target",),
           "services": ("cpu_target", "memory_target", "requests_per_target")}


def check(cx: CheckContext) -> Iterable[Finding]:
    """Warn where a scaling target is set but min equals max."""
    for section, keys in TARGETS.items():
        raw = cx.data.get(section) or {}
        for name, spec in cx.section(section).items():
            scaling = getattr(spec, "scaling", None)
            if scaling is None or int(scaling.min) != int(scaling.max):
                continue
            given = (raw.get(name) or {}).get("scaling") or {}
            set_keys = [k for k in keys if given.get(k) is not None]
            path = (section, name, "scaling")
            if not set_keys or _from_builtin_preset(cx, path):
                continue
            what = "group" if section == "servers" else "service"
            yield Finding(
                "W3182", f"scaling.min equals scaling.max ({scaling.min}): the {what} cannot "
                f"scale, so no scaling policy is created and `{set_keys[0]}` has no effect",
                path, hint=f"raise scaling.max above {scaling.min} to scale, or drop "
                f"{', '.join(set_keys)} for a fixed size")


def _from_builtin_preset(cx: CheckContext, path: tuple[str, ...]) -> bool:
    origin = cx.origin(path)
    if origin is None:
        return False
    try:
        return Path(origin.file).resolve().parent == PRESET_DIR.resolve()
    except OSError:
        return False

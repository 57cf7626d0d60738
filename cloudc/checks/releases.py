"""Function releases that cannot work as written (E3250-E3252, W3250).

Provisioned concurrency lives on a version or an alias, never on `$LATEST`, so it needs
`release`; it cannot exceed the function's reserved concurrency. A gradual release rolls back
on the alarms it names: a name that is not `errors` or an enabled `monitoring.alarms` entry
would make every CodeDeploy deployment fail on a missing alarm, and no alarm at all leaves a
bad version live until the shift completes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code, did_you_mean

NEEDS = "config"
CODES = (
    Code("E3250", "provisioned concurrency without a release",
         "provisioned concurrency is configured on a version or an alias: the function needs "
         "`release`"),
    Code("E3251", "a release alarm names no alarm",
         "each `release.alarms` entry is `errors` or an enabled `monitoring.alarms` entry"),
    Code("E3252", "provisioned concurrency above reserved concurrency",
         "Lambda refuses provisioned concurrency greater than the function's reserved "
         "concurrency"),
    Code("W3250", "a gradual release with no alarms",
         "a canary or linear release with `alarms: []` rolls back only when the deployment "
         "itself fails"),
)
ERRORS = "errors"


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report provisioned concurrency and release alarms that cannot work."""
    user_alarms = _user_alarms(cx)
    for name, spec in cx.section("functions").items():
        path = ("functions", name)
        release = spec.release if spec.release not in (None, False, True) else None
        pc = spec.provisioned_concurrency
        if pc and spec.release in (None, False):
            yield Finding("E3250", "provisioned concurrency is set on a version or an alias, "
                          "and this function publishes neither",
                          path + ("provisioned_concurrency",),
                          hint="add `release: true` (an alias `live` that callers invoke)")
        reserved = spec.reserved_concurrency
        if pc and isinstance(reserved, int) and isinstance(pc, int) and pc > reserved:
            yield Finding("E3252", f"provisioned concurrency ({pc}) is above the reserved "
                          f"concurrency ({reserved}); Lambda refuses it",
                          path + ("provisioned_concurrency",),
                          hint=f"lower provisioned_concurrency to {reserved} or less, or raise "
                               "reserved_concurrency")
        if release is None or release.strategy == "all_at_once":
            continue
        if release.alarms is not None and not release.alarms:
            yield Finding("W3250", f"a {release.strategy} release with no alarms rolls back "
                          "only when the deployment fails, not when the new version errs",
                          path + ("release", "alarms"),
                          hint="list `errors` (cloudc's alarm on the alias's errors) or "
                               "alarms of `monitoring.alarms`")
        for i, alarm in enumerate(release.alarms or []):
            if alarm == ERRORS or alarm in user_alarms:
                continue
            yield Finding("E3251", f"`{alarm}` names no alarm: CodeDeploy would fail every "
                          "deployment that polls it", path + ("release", "alarms", i),
                          hint=did_you_mean(alarm, [ERRORS, *user_alarms])
                          or "use `errors`, or declare it under `monitoring.alarms`")


def _user_alarms(cx: CheckContext) -> list[str]:
    """Return the names of the enabled `monitoring.alarms` entries."""
    mon: Any = getattr(cx.config, "monitoring", None)
    if mon is None:
        return []
    return [n for n, a in mon.alarms.items() if a is not None and a.enabled is not False]

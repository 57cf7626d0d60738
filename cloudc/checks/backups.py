"""AWS Backup plans whose numbers AWS rejects or whose backups would all fail.

Moved from the lowering (cloudc/lower/backups.py): these are checks of the plan's own values.
Cold storage keeps a recovery point for 90 days at least; continuous backups keep 35 days at
most; the completion window must leave an hour after the start window.
https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-options-and-configuration.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding

NEEDS = "config"
CODES = ()
USES = ("E3005",)  # codes of cloudc/diagnostics.py this rule reports


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report retention and window settings AWS Backup rejects."""
    for name, spec in cx.section("backups").items():
        path = ("backups", name)
        days = path + ("retention_days",)
        if spec.lock is not None and spec.retention_days < spec.lock.min_days:
            yield Finding("E3005", f"retention_days ({spec.retention_days}) is below the vault "
                          f"lock's min_days ({spec.lock.min_days}): every backup would fail",
                          days)
        cold = spec.cold_storage_after_days
        if cold is not None and spec.retention_days < cold + 90:
            yield Finding("E3005", f"retention_days must be at least cold_storage_after_days + "
                          f"90 ({cold + 90}): cold storage keeps data for 90 days at least", days)
        if spec.continuous and spec.retention_days > 35:
            yield Finding("E3005", "continuous backups keep at most 35 days", days,
                          "make a second plan for long-term snapshots")
        if spec.completion_window_minutes < spec.start_window_minutes + 60:
            yield Finding("E3005", "completion_window_minutes must be at least "
                          "start_window_minutes + 60", path)

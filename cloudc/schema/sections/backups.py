"""backups: AWS Backup plans, vaults and selections."""

from __future__ import annotations

from pydantic import Field

from cloudc.schema.base import Bool, Model, PosInt, RefStr, Tagged

SECTION = "backups"
ORDER = 170
REFS = ("resources",)  # fields whose values name other entries (`section.name`)


class Lock(Model):
    """Vault lock (governance mode): recovery points cannot be deleted early."""

    min_days: PosInt = Field(description="Shortest retention any recovery point may have.")
    max_days: PosInt | None = Field(None, description="Longest retention allowed.")


class Plan(Tagged):
    """A backup plan: one schedule, a retention, and the resources it protects."""

    schedule: str = Field("cron(0 5 * * ? *)", pattern=r"^cron\(.+\)$",
                          description="When to back up, as `cron(m h dom mon dow y)` in UTC.")
    retention_days: PosInt = Field(35, description="Delete recovery points after this many days.")
    cold_storage_after_days: PosInt | None = Field(
        None, description="Move to cold storage after this many days (retention must be at "
                          "least 90 days longer).")
    continuous: Bool = Field(False, description="Continuous backup for point-in-time restore "
                                                "(RDS, S3; retention at most 35 days).")
    start_window_minutes: PosInt = Field(60, ge=60, description="Start within this window.")
    completion_window_minutes: PosInt = Field(
        480, description="Cancel a backup that has not finished in this time.")
    resources: list[RefStr] = Field(
        min_length=1, description="What to back up: databases.NAME, file_systems.NAME, "
                                  "storage.NAME (a versioned bucket).")
    key: str | None = Field(
        None, pattern=r"^security\.keys\.[a-z0-9][a-z0-9_-]*$",
        description="Encrypt the vault with `security.keys.NAME`; default the AWS managed key.")
    lock: Lock | None = Field(None, description="Vault lock.")


Entry = Plan

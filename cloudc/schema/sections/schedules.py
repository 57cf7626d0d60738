"""schedules: EventBridge Scheduler schedules."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, RefStr, Tagged

SECTION = "schedules"
ORDER = 50
REFS = ("target",)  # fields whose values name other entries (`section.name`)


class Schedule(Tagged):
    """Invoke a target on a cron or rate expression."""

    cron: str | None = Field(None, description='Six fields, e.g. "0 3 * * ? *".')
    rate: str | None = Field(None, description='e.g. "5 minutes".')
    at: str | None = Field(None, description="One-off: yyyy-mm-ddThh:mm:ss.")
    target: RefStr = Field(description="`functions.NAME`, `queues.NAME`, `topics.NAME`, "
                           "`workflows.NAME` or `services.NAME` (runs one task of it).")
    command: str | list[str] | None = Field(
        None, description="With a `services.NAME` target: the command the task runs instead of "
        "the image's (a list, or a string run by `sh -c`), e.g. `php artisan schedule:run`.")
    input: dict[str, Any] | None = Field(None, description="JSON passed to the target.")
    timezone: str = Field("UTC", description="IANA time zone of cron expressions.")
    enabled: Bool = Field(True, description="Run the schedule (false: created but paused).")

    @model_validator(mode="after")
    def _one_expression(self) -> Schedule:
        if sum(x is not None for x in (self.cron, self.rate, self.at)) != 1:
            raise ValueError("a schedule takes exactly one of cron, rate, at")
        return self  # the expression itself: checks/schedules.py (E3110), at the value


Entry = Schedule

"""monitoring: alarms, notifications, dashboards and log retention."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, Model, Number, PosInt

SECTION = "monitoring"
SINGLE = True
ORDER = 200


class Notify(Model):
    """Where alarm notifications go: exactly one of email, https or a chat webhook."""

    email: str | None = None
    https: str | None = Field(None, pattern=r"^https://", description=(
        "An endpoint that answers SNS's subscription confirmation and reads its JSON "
        "envelope; a chat webhook goes under `webhook`."))
    webhook: str | None = Field(None, pattern=r"^(https://|\$\{)", description=(
        "Chat incoming-webhook URL (Slack, Teams, Chime, Discord, Google Chat), or "
        "`${secret:NAME}`: a small function posts each alarm to it."))

    @model_validator(mode="after")
    def _one(self) -> Notify:
        if sum(x is not None for x in (self.email, self.https, self.webhook)) != 1:
            raise ValueError("a notify entry takes exactly one of email, https, webhook")
        return self


class Alarm(Model):
    """An alarm on a metric a resource exposes: `metric: functions.api.errors`."""

    metric: str = Field(description="`section.name.metric`, e.g. services.api.http_5xx.")
    threshold: Number
    period: PosInt = 300
    evaluation_periods: PosInt = 1
    statistic: Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount", "p90", "p99"] = "Sum"
    comparison: Literal[">", ">=", "<", "<="] = ">="
    enabled: Bool = True


class Monitoring(Model):
    """Alarms (defaults per resource, plus your own), a notify topic, a dashboard."""

    notify: list[Notify] = Field(default_factory=list)
    alarms: dict[str, Alarm | None] = Field(default_factory=dict)
    defaults: Bool | dict[str, Bool] = Field(
        True, description="Default alarms per resource kind; false, or a map kind: false."
    )
    dashboard: Bool = False
    log_retention_days: PosInt = 30


Entry = Monitoring

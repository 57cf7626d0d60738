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

    email: str | None = Field(
        None,
        description="An e-mail address that gets every alarm (confirm the subscription mail).")
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
    threshold: Number = Field(description="The value the statistic is compared with.")
    period: PosInt = Field(300, description="Length of one evaluation period.")
    evaluation_periods: PosInt = Field(
        1, description="Periods in a row that must breach before the alarm fires.")
    statistic: Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount", "p90", "p99"] = Field(
        "Sum", description="How the metric's data points in a period are combined.")
    comparison: Literal[">", ">=", "<", "<="] = Field(
        ">=", description="How the statistic is compared with the threshold.")
    enabled: Bool = Field(True, description="Send notifications when the alarm changes state.")


class Monitoring(Model):
    """Alarms (defaults per resource, plus your own), a notify topic, a dashboard."""

    notify: list[Notify] = Field(
        default_factory=list, description="Where alarms are sent: e-mail, HTTPS or chat webhooks.")
    alarms: dict[str, Alarm | None] = Field(
        default_factory=dict,
        description="Your own alarms by name.")
    defaults: Bool | dict[str, Bool] = Field(
        True, description="Default alarms per resource kind; false, or a map kind: false."
    )
    dashboard: Bool = Field(
        False, description="Create a CloudWatch dashboard of every resource's key metrics.")
    log_retention_days: PosInt = Field(
        30, description="Default retention of every log group cloudc creates.")


Entry = Monitoring

"""budgets: cost guard rails (AWS Budgets) with e-mail and topic alerts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Model, Number, RefStr

SECTION = "budgets"
ORDER = 205
REFS = ("notify",)  # fields whose values name other entries (`section.name`)


class BudgetEmail(Model):
    """An e-mail address that receives a budget's alerts."""

    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="The address to alert.")


class BudgetAlert(Model):
    """One alert: when actual or forecast spend passes a percentage of the amount."""

    at: Number = Field(gt=0, le=1000, description="Percent of the budget's amount, e.g. 80.")
    spend: Literal["actual", "forecast"] = Field(
        "actual", description="actual: spend so far; forecast: AWS's forecast for the period.")
    notify: list[RefStr | BudgetEmail] | None = Field(
        None, description="Recipients of this alert; the budget's `notify` when omitted.")


def _default_alerts() -> list[BudgetAlert]:
    return [BudgetAlert(at=80, spend="actual"), BudgetAlert(at=100, spend="forecast")]


class Budget(Model):
    """A cost budget for the app in one environment, alerting by e-mail or through a topic."""

    amount: Number = Field(gt=0, description="Spend limit per period, in `currency`.")
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD.")
    period: Literal["monthly", "quarterly", "annually"] = Field(
        "monthly", description="The budget's time unit: monthly, quarterly or annually.")
    scope: Literal["environment", "project", "account"] = Field(
        "environment", description=(
            "environment: costs tagged with this project and environment; project: every "
            "environment of the project; account: the whole account (no filter)."))
    notify: list[RefStr | BudgetEmail] = Field(
        default_factory=list, description="`{ email: ADDRESS }` or `topics.NAME`, for every alert.")
    alerts: list[BudgetAlert] = Field(
        default_factory=_default_alerts,
        description="Default: 80% of actual spend, and 100% of forecast spend.")


Entry = Budget

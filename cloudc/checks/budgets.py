"""Budget alerts AWS Budgets would refuse: no recipient, too many, too many alerts, duplicates.

A budget takes up to ten notifications; each needs at least one subscriber and takes at most
one SNS topic and ten e-mail addresses; two notifications of one budget may not have the same
spend type and threshold.
https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_NotificationWithSubscribers.html
https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_budgets_Notification.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.source import Path

NEEDS = "config"
CODES = (
    Code("E3265", "budget alert without a recipient",
         "every budget alert needs an e-mail address or a topic, its own `notify` or the "
         "budget's"),
    Code("E3266", "budget alert recipients or alerts over AWS's limits",
         "an alert takes at most one topic and ten e-mail addresses; a budget at most ten "
         "alerts, no two with the same `spend` and `at`"),
    Code("E3272", "budgets in a region without AWS::Budgets::Budget",
         "CloudFormation offers AWS::Budgets::Budget in some regions only; a stack elsewhere "
         "fails with an unrecognised resource type"),
)
# Regions whose CloudFormation has no AWS::Budgets::Budget (cfn-lint 1.58 region schemas,
# 2026-11); a budget is account-wide, so deploying it from any other region is the same budget.
NO_BUDGETS = frozenset({
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-3", "ap-south-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1",
    "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "il-central-1", "me-central-1",
    "mx-central-1", "us-gov-east-1", "us-gov-west-1",
})
MAX_ALERTS = 10
MAX_EMAILS = 10


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report budget alerts that CloudFormation would fail to create."""
    region = getattr(getattr(cx.config, "project", None), "region", None)
    for name, spec in cx.section("budgets").items():
        path: Path = ("budgets", name)
        if region in NO_BUDGETS:
            yield Finding("E3272", f"CloudFormation in {region} has no AWS::Budgets::Budget",
                          path, key=True, hint="budgets are account-wide: declare them in a "
                          "project deployed to us-east-1 (its `scope` tags still pick this app)")
        if len(spec.alerts) > MAX_ALERTS:
            yield Finding("E3266", f"budget `{name}` has {len(spec.alerts)} alerts; AWS Budgets "
                          f"takes at most {MAX_ALERTS}", path + ("alerts",),
                          hint="merge or drop alerts")
        seen: dict[tuple[str, float], int] = {}
        for i, alert in enumerate(spec.alerts):
            at = path + ("alerts", i)
            key = (alert.spend, float(alert.at))
            if key in seen:
                yield Finding("E3266", f"alert {i + 1} repeats alert {seen[key] + 1} "
                              f"({alert.spend} spend at {alert.at:g}%)", at + ("at",),
                              hint="give each alert its own threshold or spend type")
            seen.setdefault(key, i)
            own = alert.notify is not None
            recipients = alert.notify if alert.notify is not None else spec.notify
            where = at + ("notify",) if own else path + ("notify",)
            if not recipients:
                yield Finding("E3265", f"alert {i + 1} of budget `{name}` notifies nobody",
                              where if own else path, key=not own,
                              hint="add `notify: [{ email: ops@example.com }]` to the budget "
                              "or to the alert")
                continue
            topics = [r for r in recipients if isinstance(r, str)]
            emails = len(recipients) - len(topics)
            if len(topics) > 1:
                yield Finding("E3266", f"alert {i + 1} of budget `{name}` names {len(topics)} "
                              "topics; AWS Budgets sends each alert to at most one",
                              where, hint="subscribe the other recipients to one topic")
            if emails > MAX_EMAILS:
                yield Finding("E3266", f"alert {i + 1} of budget `{name}` names {emails} e-mail "
                              f"addresses; AWS Budgets takes at most {MAX_EMAILS}", where,
                              hint="send the alert to a topic and subscribe the addresses there")

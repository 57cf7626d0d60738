"""Lower `budgets` to AWS Budgets cost budgets with e-mail and SNS alerts.

A budget is filtered to the app by the tags cloudc puts on every resource (`project`, and
`environment` for `scope: environment`): AWS Budgets only sees a tag once it is activated as a
cost allocation tag in the Billing console, which the docs page says. An alert through a topic
of `topics:` gives that topic a policy that lets `budgets.amazonaws.com` publish (and, since
topics are encrypted, a key that names the service):
https://docs.aws.amazon.com/cost-management/latest/userguide/budgets-sns-policy.html
"""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, Pseudo, Ref, Sub
from cloudc.lower._topic_keys import allow_service
from cloudc.schema.base import RefStr
from cloudc.schema.sections.budgets import Budget, BudgetEmail
from cloudc.source import Path

SECTION = "budgets"
AFTER = ("topics",)  # alerts through a topic add its policy and key
TIME_UNIT = {"monthly": "MONTHLY", "quarterly": "QUARTERLY", "annually": "ANNUALLY"}
SPEND = {"actual": "ACTUAL", "forecast": "FORECASTED"}
SERVICE = "budgets.amazonaws.com"
# What the default SNS topic policy lets the owning account do; a topic policy replaces the
# default one, so cloudc's keeps it.
OWNER_ACTIONS = ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                 "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                 "SNS:ListSubscriptionsByTopic", "SNS:Publish"]


def declare(name: str, spec: Budget, ctx: Context) -> Component:
    """Declare a budget: its name is its only attribute."""
    path: Path = (SECTION, name)
    comp = Component(SECTION, name, "budget", path, ctx.origin(path))
    comp.physical = ctx.physical(name, 100)
    comp.attrs = {"name": Ref(ctx.logical(comp, "Budget"), derived=Sub(comp.physical))}
    return comp


def lower(comp: Component, spec: Budget, ctx: Context) -> None:
    """Emit the budget, its notifications, and the topic policies its alerts need."""
    budget: dict[str, Any] = {
        "BudgetName": comp.physical,
        "BudgetType": "COST",
        "TimeUnit": TIME_UNIT[spec.period],
        "BudgetLimit": {"Amount": spec.amount, "Unit": spec.currency},
    }
    tags = _tag_filters(spec, ctx)
    if tags:
        budget["FilterExpression"] = tags[0] if len(tags) == 1 else {"And": tags}
    notifications = []
    for i, alert in enumerate(spec.alerts):
        at = comp.path + ("alerts", i)
        recipients = alert.notify if alert.notify is not None else spec.notify
        subscribers = _subscribers(comp, recipients, ctx,
                                   at + ("notify",) if alert.notify is not None
                                   else comp.path + ("notify",))
        if not subscribers:
            continue  # reported by the budgets check (E3265)
        notifications.append({
            "Notification": {"NotificationType": SPEND[alert.spend],
                             "ComparisonOperator": "GREATER_THAN",
                             "Threshold": alert.at, "ThresholdType": "PERCENTAGE"},
            "Subscribers": subscribers,
        })
    props: dict[str, Any] = {"Budget": budget}
    if notifications:
        props["NotificationsWithSubscribers"] = notifications
    base = {"project": ctx.slug, "environment": ctx.env, **dict(ctx.config.tags or {})}
    props["ResourceTags"] = [{"Key": k, "Value": v} for k, v in sorted(base.items())]
    ctx.add(comp, "Budget", "AWS::Budgets::Budget", props)


def _tag_filters(spec: Budget, ctx: Context) -> list[dict[str, Any]]:
    """Return the tag expressions that keep a budget to the project (and environment)."""
    if spec.scope == "account":
        return []
    pairs = [("project", ctx.slug)]
    if spec.scope == "environment":
        pairs.append(("environment", ctx.env))
    return [{"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}}
            for key, value in pairs]


def _subscribers(comp: Component, recipients: list[RefStr | BudgetEmail], ctx: Context,
                 at: Path) -> list[dict[str, Any]]:
    """Return an alert's subscribers: e-mail addresses, then topics (policies added)."""
    out: list[dict[str, Any]] = []
    for j, r in enumerate(recipients):
        if isinstance(r, BudgetEmail):
            out.append({"SubscriptionType": "EMAIL", "Address": r.email})
            continue
        topic = _topic(r, ctx, at + (j,))
        if topic is not None:
            _allow_budgets(topic, ctx)
            out.append({"SubscriptionType": "SNS", "Address": topic.attrs["arn"]})
    return out


def _topic(ref: str, ctx: Context, at: Path) -> Component | None:
    """Return the standard topic an alert names, or report why it cannot be one."""
    target = ctx.component(ref)
    if target is None:
        return None  # an unknown name is reported by validate
    if target.topic is None or "arn" not in target.attrs:
        ctx.diags.add("E3002", f"budget alerts go to e-mail addresses and topics, not to "
                      f"`{ref}`", origin=ctx.origin(at), path=at,
                      hint="name a `topics:` entry, or write `{ email: ADDRESS }`")
        return None
    if target.topic.fifo:
        ctx.diags.add("E3005", f"AWS Budgets publishes to standard topics only; `{ref}` is a "
                      "FIFO topic", origin=ctx.origin(at), path=at,
                      hint="name a topic without `fifo: true`")
        return None
    return target


def _allow_budgets(topic: Component, ctx: Context) -> None:
    """Give the topic a policy that lets AWS Budgets of this account publish (once)."""
    lid = ctx.logical(topic, "BudgetsPolicy")
    if lid in ctx.ir.resources:
        return
    allow_service(topic, SERVICE, ctx)
    arn = topic.attrs["arn"]
    account = Pseudo("AWS::AccountId")
    ctx.add(topic, "BudgetsPolicy", "AWS::SNS::TopicPolicy", {
        "Topics": [arn],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Sid": "OwnerAccess", "Effect": "Allow", "Principal": {"AWS": "*"},
             "Action": OWNER_ACTIONS, "Resource": arn,
             "Condition": {"StringEquals": {"AWS:SourceOwner": account}}},
            {"Sid": "BudgetsPublish", "Effect": "Allow", "Principal": {"Service": SERVICE},
             "Action": "SNS:Publish", "Resource": arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account},
                           "ArnLike": {"aws:SourceArn": Sub(
                               "arn:${AWS::Partition}:budgets::${AWS::AccountId}:*")}}},
        ]},
    })

"""Lower `topics` entries to SNS topics and their subscriptions.

Placement (so nested stacks never depend on each other in a cycle):
- a queue subscriber's `AWS::SNS::Subscription` belongs to the topic (stack `topics`); the
  queue's policy that lets the topics deliver is one `AWS::SQS::QueuePolicy` per queue, owned by
  the queue but kept in the `topics` stack (`QueuesJobsTopicsPolicy`), shared by every topic
  that feeds that queue (SQS keeps one policy per queue, so two would overwrite each other);
- a function subscriber's subscription and invoke permission belong to the function (stack
  `functions`), exactly like a function's own `events: - topic: NAME`.
"""

from __future__ import annotations

import re
from typing import Any

from cloudc.capabilities import Metric, PublishTarget, TopicFacts, Widget
from cloudc.context import Context
from cloudc.diagnostics import did_you_mean
from cloudc.ir import Component, GetAtt, Ref, Resource, Sub, arn, pascal, statement
from cloudc.lower._metrics import named
from cloudc.lower._queue_keys import allow_service as allow_sending
from cloudc.lower._topic_keys import own_key
from cloudc.schema.sections.topics import Subscriber, Topic

SECTION = "topics"
AFTER = ("queues",)  # a queue subscriber gets the topics' policy; FIFO must match
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")

_T = named("TopicName")
# What `monitoring` can watch on a topic (no default alarms).
METRICS = {
    "messages_published": Metric("AWS/SNS", "NumberOfMessagesPublished", _T),
    "notifications_delivered": Metric("AWS/SNS", "NumberOfNotificationsDelivered", _T),
    "notifications_failed": Metric("AWS/SNS", "NumberOfNotificationsFailed", _T),
}
DASHBOARD = Widget("SNS", ("messages_published", "notifications_failed"))


def declare(name: str, spec: Topic, ctx: Context) -> Component:
    """Declare a topic's attributes and what a link to it grants (write = sns:Publish)."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "topic", path, ctx.origin(path))
    suffix = ".fifo" if spec.fifo else ""
    physical = ctx.physical(name, 256 - len(suffix)) + suffix
    lid = ctx.logical(comp, "Topic")
    topic_arn = arn("sns", physical)
    comp.physical = physical
    comp.attrs = {
        "id": Ref(lid, derived=topic_arn),
        "arn": Ref(lid, derived=topic_arn),
        "name": GetAtt(lid, "TopicName", derived=Sub(physical)),
    }
    publish = statement(["sns:Publish"], [topic_arn])
    comp.grants = {"read": [statement(["sns:GetTopicAttributes"], [topic_arn])],
                   "write": [publish]}
    comp.link_env = {"ARN": topic_arn, "NAME": Sub(physical)}
    comp.topic = TopicFacts(lid, comp.attrs["arn"], fifo=bool(spec.fifo))
    comp.publish = PublishTarget(topic_arn, [publish])
    comp.metrics, comp.dashboard = dict(METRICS), DASHBOARD
    return comp


def lower(comp: Component, spec: Topic, ctx: Context) -> None:
    """Emit the topic and one subscription per subscriber."""
    props: dict[str, Any] = {"TopicName": comp.physical}
    if spec.fifo:
        props["FifoTopic"] = True
    ctx.add(comp, "Topic", "AWS::SNS::Topic", props)
    if spec.encryption == "cmk":
        own_key(comp, ctx)
    seen: set[str] = set()
    for i, raw in enumerate(spec.subscribers):
        sub = raw if isinstance(raw, Subscriber) else Subscriber(to=raw)
        path = comp.path + ("subscribers", i)
        if sub.to is not None:
            _reference(comp, sub, i, path, seen, ctx)
        else:
            _endpoint(comp, sub, i, path, ctx)


def _reference(comp: Component, sub: Subscriber, i: int, path: tuple[Any, ...], seen: set[str],
               ctx: Context) -> None:
    """Subscribe a queue or a function named by `section.name`."""
    assert sub.to is not None
    key = sub.to
    where = path + ("to",) if ctx.origin(path + ("to",)) is not None else path
    target = ctx.component(key)
    if target is None:
        section = key.split(".", 1)[0]
        names = [c.name for c in ctx.ir.components.values() if c.section == section]
        ctx.diags.add("E3001", f"`{key}` is not declared", origin=ctx.origin(where), path=where,
                      hint=did_you_mean(key.split(".", 1)[-1], names))
        return
    if key in seen:
        ctx.diags.add("E3005", f"`{key}` subscribes to this topic twice",
                      origin=ctx.origin(where), path=where, hint="remove one of the entries")
        return
    seen.add(key)
    if target.section == "queues" and target.queue is not None:
        _queue(comp, target, sub, where, ctx)
    elif target.section == "functions" and target.invoke is not None:
        _function(comp, target, sub, where, ctx)
    else:
        ctx.diags.add("E3002", f"`{key}` ({target.kind}) cannot subscribe to a topic",
                      origin=ctx.origin(where), path=where,
                      hint="subscribers are queues.NAME, functions.NAME, email, https or sms")


def _queue(comp: Component, target: Component, sub: Subscriber, path: tuple[Any, ...],
           ctx: Context) -> None:
    assert target.queue is not None and comp.topic is not None
    queue = ctx.ir.resources.get(target.queue.queue)
    fifo_queue = bool(queue is not None and queue.properties.get("FifoQueue"))
    if comp.topic.fifo and not fifo_queue:
        ctx.diags.add("E3005", f"FIFO topic `{comp.name}` can only deliver to FIFO queues; "
                      f"`{target.key}` is a standard queue", origin=ctx.origin(path), path=path,
                      hint=f"set queues.{target.name}.fifo: true")
        return
    if fifo_queue and not comp.topic.fifo:
        ctx.diags.add("E3005", f"FIFO queue `{target.key}` can only subscribe to a FIFO topic",
                      origin=ctx.origin(path), path=path, hint=f"set topics.{comp.name}.fifo: true")
        return
    props: dict[str, Any] = {"Protocol": "sqs", "Endpoint": target.attrs["arn"],
                             "TopicArn": Ref(_topic(comp))}
    _options(props, sub)
    ctx.add(comp, f"Queue{pascal(target.name)}Subscription", "AWS::SNS::Subscription", props,
            path=path)
    _allow_topic(comp, target, ctx)
    allow_sending(target, "sns.amazonaws.com", ctx)  # the queue's own key, if it has one


def _allow_topic(comp: Component, target: Component, ctx: Context) -> None:
    """Let this topic send to the queue, in the queue's one topics policy."""
    # One policy on the queue for every topic that delivers to it (the first topic adds it).
    policy: Resource | None = ctx.ir.resources.get(ctx.logical(target, "TopicsPolicy"))
    topic_arn = comp.attrs["arn"]
    if policy is None:
        st = {"Sid": "AllowTopics", "Effect": "Allow",
              "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
              "Resource": target.attrs["arn"],
              "Condition": {"ArnEquals": {"aws:SourceArn": [topic_arn]}}}
        policy = ctx.add(target, "TopicsPolicy", "AWS::SQS::QueuePolicy", {
            "Queues": [target.attrs["url"]],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [st]},
        }, group=SECTION)
        return
    sources = policy.properties["PolicyDocument"]["Statement"][0]["Condition"]["ArnEquals"]
    sources["aws:SourceArn"].append(topic_arn)


def _function(comp: Component, target: Component, sub: Subscriber, path: tuple[Any, ...],
              ctx: Context) -> None:
    if comp.topic is not None and comp.topic.fifo:
        ctx.diags.add("E3005", f"FIFO topic `{comp.name}` can only deliver to SQS queues, not "
                      f"to `{target.key}`", origin=ctx.origin(path), path=path,
                      hint="subscribe a FIFO queue and consume it from the function")
        return
    if sub.raw:
        ctx.diags.add("E3005", "raw delivery applies to queues and HTTPS endpoints, not functions",
                      origin=ctx.origin(path), path=path)
        return
    assert target.invoke is not None
    stem = f"Topic{pascal(comp.name)}"
    props: dict[str, Any] = {"Protocol": "lambda", "Endpoint": target.invoke.arn,
                             "TopicArn": comp.attrs["arn"]}
    _options(props, sub)
    # Owned by the function, in its stack, like `events: - topic:`: topics never wait on
    # functions, so a function may both publish to and subscribe to topics.
    ctx.add(target, f"{stem}Subscription", "AWS::SNS::Subscription", props, path=path)
    ctx.add(target, f"{stem}Permission", "AWS::Lambda::Permission", {
        "Action": "lambda:InvokeFunction", "FunctionName": target.invoke.name,
        "Principal": "sns.amazonaws.com", "SourceArn": comp.attrs["arn"]}, path=path)


def _endpoint(comp: Component, sub: Subscriber, i: int, path: tuple[Any, ...],
              ctx: Context) -> None:
    """Subscribe an email address, an HTTPS endpoint, a chat webhook or a phone number."""
    protocol, key = next((p, k) for p, k in (("email", "email"), ("https", "https"),
                                               ("webhook", "webhook"), ("sms", "sms"))
                         if getattr(sub, k) is not None)
    where = path + (key,)
    if comp.topic is not None and comp.topic.fifo:
        ctx.diags.add("E3005", f"FIFO topic `{comp.name}` can only deliver to SQS queues, not "
                      f"to {protocol}", origin=ctx.origin(where), path=where)
        return
    if sub.raw and protocol != "https":
        ctx.diags.add("E3005", f"raw delivery applies to queues and HTTPS endpoints, not "
                      f"{protocol}", origin=ctx.origin(path + ("raw",)), path=path + ("raw",))
        return
    endpoint = getattr(sub, key)
    if protocol == "webhook":
        from cloudc.lower._webhook import forwarder

        if sub.raw or sub.filter:
            ctx.diags.add("E3005", "a chat webhook takes the message text: `raw` and `filter` "
                          "do not apply", origin=ctx.origin(where), path=where)
            return
        forwarder(comp, f"Subscriber{i + 1}", Ref(_topic(comp)),
                  ctx.value(endpoint, where), ctx, where,
                  name=f"{comp.name}-webhook-{i + 1}")
        return
    if protocol == "sms" and "${" not in endpoint and not _E164.match(endpoint):
        ctx.diags.add("E2005", f"`{endpoint}` is not a phone number in E.164 form",
                      origin=ctx.origin(where), path=where, hint="e.g. +15555550100")
        return
    props: dict[str, Any] = {"Protocol": protocol,
                             "Endpoint": ctx.value(endpoint, where),
                             "TopicArn": Ref(_topic(comp))}
    _options(props, sub)
    ctx.add(comp, f"Subscriber{i + 1}", "AWS::SNS::Subscription", props, path=path)


def _options(props: dict[str, Any], sub: Subscriber) -> None:
    if sub.filter:
        props["FilterPolicy"] = sub.filter
    if sub.raw:
        props["RawMessageDelivery"] = True


def _topic(comp: Component) -> str:
    """Return the logical ID of this topic's AWS::SNS::Topic."""
    assert comp.topic is not None
    return comp.topic.topic

"""Lower `queues` entries to SQS queues with optional dead-letter queues."""

from __future__ import annotations

from typing import Any

from cloudc.capabilities import (
    Default,
    EventSource,
    Metric,
    PublishTarget,
    QueueFacts,
    Widget,
)
from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, statement
from cloudc.lower._metrics import named
from cloudc.lower._queue_keys import own_key
from cloudc.schema.sections.queues import Queue

SECTION = "queues"
# Resource types whose replacement or deletion loses data, and what is lost (`cloudc diff`).
# Messages waiting in a queue (or its dead-letter queue) are work not yet done.
STATEFUL = {"AWS::SQS::Queue": "messages waiting in the queue"}

CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
           "sqs:GetQueueAttributes"]
SEND = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]

_Q = named("QueueName")


def _dlq(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
    dlq = ctx.ir.resources.get(c.queue.dlq or "") if c.queue is not None else None
    return [("QueueName", str(dlq.properties["QueueName"]))] if dlq is not None else None


# What `monitoring` can watch on a queue.
METRICS = {
    "age_of_oldest_message": Metric("AWS/SQS", "ApproximateAgeOfOldestMessage", _Q,
                                    stat="Maximum"),
    "messages_visible": Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", _Q,
                               stat="Maximum"),
    "messages_in_flight": Metric("AWS/SQS", "ApproximateNumberOfMessagesNotVisible", _Q),
    "messages_sent": Metric("AWS/SQS", "NumberOfMessagesSent", _Q),
    "messages_received": Metric("AWS/SQS", "NumberOfMessagesReceived", _Q),
    "messages_deleted": Metric("AWS/SQS", "NumberOfMessagesDeleted", _Q),
    "dlq_messages_visible": Metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", _dlq,
                                   stat="Maximum", missing="it has no dead-letter queue"),
}
ALARMS = (
    Default("AgeAlarm", "age_of_oldest_message", "Maximum", ">=", 900,
            "the oldest message has waited 15 minutes or more"),
    Default("DlqAlarm", "dlq_messages_visible", "Maximum", ">", 0,
            "messages are waiting in the dead-letter queue"),
)
DASHBOARD = Widget("SQS", ("messages_visible", "age_of_oldest_message", "dlq_messages_visible"))


def declare(name: str, spec: Queue, ctx: Context) -> Component:
    """Declare a queue's attributes and what a link to it grants."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "queue", path, ctx.origin(path))
    suffix = ".fifo" if spec.fifo else ""
    physical = ctx.physical(name, 80 - len(suffix)) + suffix
    lid = ctx.logical(comp, "Queue")
    q_arn = arn("sqs", physical)
    url = Sub(f"https://sqs.${{AWS::Region}}.${{AWS::URLSuffix}}/${{AWS::AccountId}}/{physical}")
    comp.physical = physical
    comp.queue = QueueFacts(lid)
    comp.metrics, comp.alarms, comp.dashboard = dict(METRICS), ALARMS, DASHBOARD
    comp.attrs = {
        "id": Ref(lid, derived=url),
        "url": Ref(lid, derived=url),
        "arn": GetAtt(lid, "Arn", derived=q_arn),
        "name": GetAtt(lid, "QueueName", derived=Sub(physical)),
    }
    comp.grants = {"read": [statement(CONSUME, [q_arn])], "write": [statement(SEND, [q_arn])]}
    comp.link_env = {"URL": url, "ARN": q_arn, "NAME": Sub(physical)}
    comp.event_source = EventSource(comp.attrs["arn"], [statement(CONSUME, [q_arn])],
                                    visibility_timeout=spec.visibility_timeout)
    comp.publish = PublishTarget(q_arn, [statement(["sqs:SendMessage"], [q_arn])])
    return comp


def lower(comp: Component, spec: Queue, ctx: Context) -> None:
    """Emit the queue and, when asked, its dead-letter queue."""
    props: dict[str, Any] = {
        "QueueName": comp.physical,
        "VisibilityTimeout": spec.visibility_timeout,
        "MessageRetentionPeriod": spec.retention_days * 86400,
    }
    if spec.delay:
        props["DelaySeconds"] = spec.delay
    if spec.receive_wait:
        props["ReceiveMessageWaitTimeSeconds"] = spec.receive_wait
    if spec.fifo:
        props["FifoQueue"] = True
        if spec.content_dedup:
            props["ContentBasedDeduplication"] = True
    if spec.dead_letter is not None:
        suffix = ".fifo" if spec.fifo else ""
        dlq_name = ctx.physical(f"{comp.name}-dlq", 80 - len(suffix)) + suffix
        dlq_props: dict[str, Any] = {
            "QueueName": dlq_name,
            "MessageRetentionPeriod": spec.dead_letter.retention_days * 86400,
        }
        if spec.fifo:
            dlq_props["FifoQueue"] = True
        dlq = ctx.add(comp, "Dlq", "AWS::SQS::Queue", dlq_props,
                      path=comp.path + ("dead_letter",))
        props["RedrivePolicy"] = {
            "deadLetterTargetArn": GetAtt(dlq.logical_id, "Arn"),
            "maxReceiveCount": spec.dead_letter.max_receives,
        }
        comp.attrs["dlq_arn"] = GetAtt(dlq.logical_id, "Arn", derived=arn("sqs", dlq_name))
        comp.attrs["dlq_url"] = Ref(dlq.logical_id)
        assert comp.queue is not None
        comp.queue.dlq = dlq.logical_id
    if spec.encryption == "kms":
        props["KmsMasterKeyId"] = "alias/aws/sqs"
        if spec.dead_letter is not None:
            ctx.ir.resources[ctx.logical(comp, "Dlq")].properties["KmsMasterKeyId"] = \
                "alias/aws/sqs"
    ctx.add(comp, "Queue", "AWS::SQS::Queue", props)
    if spec.encryption == "cmk":
        own_key(comp, ctx)

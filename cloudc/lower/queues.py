"""Lower `queues` entries to SQS queues with optional dead-letter queues."""

from __future__ import annotations

from typing import Any

from cloudc.context import Context
from cloudc.ir import Component, GetAtt, Ref, Sub, arn, statement
from cloudc.schema.sections.queues import Queue

SECTION = "queues"

CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
           "sqs:GetQueueAttributes"]
SEND = ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]


def declare(name: str, spec: Queue, ctx: Context) -> Component:
    """Declare a queue's attributes and what a link to it grants."""
    path = (SECTION, name)
    comp = Component(SECTION, name, "queue", path, ctx.origin(path))
    suffix = ".fifo" if spec.fifo else ""
    physical = ctx.physical(name, 80 - len(suffix)) + suffix
    lid = ctx.logical(comp, "Queue")
    q_arn = arn("sqs", physical)
    url = Sub(f"https://sqs.${{AWS::Region}}.${{AWS::URLSuffix}}/${{AWS::AccountId}}/{physical}")
    comp.extra.update(physical=physical, queue=lid)
    comp.attrs = {
        "id": Ref(lid, derived=url),
        "url": Ref(lid, derived=url),
        "arn": GetAtt(lid, "Arn", derived=q_arn),
        "name": GetAtt(lid, "QueueName", derived=Sub(physical)),
    }
    comp.grants = {"read": [statement(CONSUME, [q_arn])], "write": [statement(SEND, [q_arn])]}
    comp.link_env = {"URL": url, "ARN": q_arn, "NAME": Sub(physical)}
    comp.extra["consume"] = {"arn": comp.attrs["arn"], "statements": [statement(CONSUME, [q_arn])],
                             "starting_position": None}
    comp.extra["visibility_timeout"] = spec.visibility_timeout
    comp.extra["publish"] = {"arn": q_arn, "statements": [statement(["sqs:SendMessage"], [q_arn])]}
    return comp


def lower(comp: Component, spec: Queue, ctx: Context) -> None:
    """Emit the queue and, when asked, its dead-letter queue."""
    props: dict[str, Any] = {
        "QueueName": comp.extra["physical"],
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
        comp.extra["dlq"] = dlq.logical_id
    ctx.add(comp, "Queue", "AWS::SQS::Queue", props)

"""queues: SQS queues, with dead-letter queues."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt, Tagged

SECTION = "queues"
ORDER = 20


class DeadLetter(Model):
    """A dead-letter queue fed after `max_receives` failed receives."""

    max_receives: PosInt = Field(5, description="Receives before a message moves to the DLQ.")
    retention_days: PosInt = Field(14, le=14, description="How long the DLQ keeps messages.")


class Queue(Tagged):
    """An SQS queue, encrypted with SQS-managed keys unless told otherwise."""

    visibility_timeout: NonNegInt = Field(30, le=43200, description="Seconds.")
    retention_days: PosInt = Field(4, le=14, description="Message retention in days.")
    delay: NonNegInt = Field(0, le=900, description="Delivery delay in seconds.")
    fifo: Bool = Field(False, description="A FIFO queue (name gets .fifo).")
    content_dedup: Bool = Field(False, description="FIFO content-based deduplication.")
    receive_wait: NonNegInt = Field(0, le=20, description="Long-poll wait in seconds.")
    dead_letter: DeadLetter | None = Field(None, description="Dead-letter queue settings.")
    encryption: Literal["sqs", "kms", "cmk"] = Field("sqs", description=(
        "sqs: SQS-managed keys; kms: the AWS-managed key alias/aws/sqs (AWS services cannot "
        "deliver to it); cmk: a customer-managed key of the queue's own, whose policy names "
        "the services that deliver (S3, SNS)."))


Entry = Queue

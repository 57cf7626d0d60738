"""topics: SNS topics and their subscribers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, Model, RefStr, Tagged

SECTION = "topics"
ORDER = 30
REFS = ("subscribers", "to")  # fields whose values name other entries (`section.name`)


class Subscriber(Model):
    """A subscriber: a queue or function, an email, an HTTPS endpoint, a chat webhook or an SMS."""

    to: RefStr | None = Field(None, description="`queues.NAME` or `functions.NAME`.")
    email: str | None = Field(None, description="An e-mail address (confirms by mail).")
    https: str | None = Field(None, pattern=r"^https://", description=(
        "An endpoint that answers SNS's subscription confirmation and reads its JSON "
        "envelope; a chat webhook goes under `webhook`."))
    webhook: str | None = Field(None, pattern=r"^(https://|\$\{)", description=(
        "Chat incoming-webhook URL (Slack, Teams, Chime, Discord, Google Chat), or "
        "`${secret:NAME}`: a small function posts each message to it."))
    sms: str | None = Field(None, description="A phone number in E.164 form, e.g. +14155550100.")
    filter: dict[str, Any] | None = Field(None, description="SNS filter policy.")
    raw: Bool = Field(False, description="Raw message delivery (queues and HTTPS).")

    @model_validator(mode="after")
    def _one_target(self) -> Subscriber:
        given = [k for k in ("to", "email", "https", "webhook", "sms")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a subscriber takes exactly one of `to`, `email`, `https`, "
                             "`webhook`, `sms`")
        return self


class Topic(Tagged):
    """An SNS topic, encrypted with the AWS-managed key."""

    subscribers: list[RefStr | Subscriber] = Field(
        default_factory=list,
        description="Who gets each message: `queues.NAME`, `functions.NAME` or a subscriber.")
    fifo: Bool = Field(
        False, description="A FIFO topic (ordered, exactly-once; FIFO queue subscribers only).")
    encryption: Literal["aws", "cmk"] = Field("aws", description=(
        "aws: the AWS-managed key alias/aws/sns (a topic AWS services publish to gets a key of "
        "its own anyway); cmk: always a customer-managed key of the topic's own."))


Entry = Topic

"""storage: S3 buckets."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloudc.schema.base import Bool, Model, NonNegInt, PosInt, RefStr, Tagged

SECTION = "storage"
ORDER = 10


class LifecycleRule(Model):
    """Expire or transition objects under a prefix."""

    prefix: str = Field("", description="Key prefix the rule applies to.")
    expire_days: PosInt | None = Field(None, description="Delete objects after this many days.")
    transition_days: PosInt | None = Field(None, description="Move objects after this many days.")
    storage_class: Literal[
        "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE"
    ] = Field("STANDARD_IA", description="Class to transition to.")
    noncurrent_expire_days: PosInt | None = Field(None, description="Delete old versions after.")


class CorsRule(Model):
    """A browser CORS rule."""

    origins: list[str] = Field(description="Allowed origins.")
    methods: list[Literal["GET", "PUT", "POST", "DELETE", "HEAD"]] = Field(
        ["GET"], description="Allowed HTTP methods.")
    headers: list[str] = Field(["*"], description="Allowed request headers.")
    max_age: NonNegInt = Field(3000, description="How long browsers cache the preflight answer.")


class Notification(Model):
    """Send object events to a queue or a topic (functions subscribe with `events: bucket`)."""

    to: RefStr = Field(description="`queues.NAME` or `topics.NAME` (standard, not FIFO).")
    events: list[Literal["created", "removed", "restored"]] = Field(
        ["created"], description="Object events that are sent.")
    prefix: str | None = Field(None, description="Only keys starting with this.")
    suffix: str | None = Field(None, description="Only keys ending with this.")


class Bucket(Tagged):
    """An S3 bucket: private, encrypted and TLS-only unless told otherwise."""

    versioning: Bool = Field(False, description="Keep old object versions.")
    lifecycle: list[LifecycleRule] = Field(default_factory=list)
    cors: list[CorsRule] = Field(default_factory=list)
    public: Bool = Field(False, description="Turn off the public access block (warns).")
    encryption: Literal["s3", "kms"] = Field("s3", description="SSE-S3 or SSE-KMS (AWS key).")
    retain: Bool | None = Field(None, description="Keep the bucket when the stack is deleted.")
    eventbridge: Bool = Field(False, description="Send object events to EventBridge.")
    notifications: list[Notification] = Field(default_factory=list, description=(
        "Object events to queues and topics (with the policies S3 needs to deliver)."))


Entry = Bucket

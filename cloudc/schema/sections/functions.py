"""functions: Lambda functions and their event sources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from cloudc.schema.base import Bool, FileField, Link, Model, NonNegInt, PosInt, Tagged
from cloudc.schema.policies import Policy, policies_field

SECTION = "functions"
ORDER = 40
PATHS = (FileField(("code",), "folder", "code folder"),  # files and folders it names
         FileField(("layers", "*"), "folder", "layer folder", only="relative"))
REFS = ("link", "dead_letter")  # fields whose values name other entries (`section.name`)
FORBIDDEN_IN = ("server",)  # modes (`mode:`) that do not allow this section

Runtime = Literal[
    "nodejs18.x", "nodejs20.x", "nodejs22.x",
    "python3.9", "python3.10", "python3.11", "python3.12", "python3.13",
    "java17", "java21", "dotnet8", "ruby3.3", "ruby3.4",
    "provided.al2", "provided.al2023",
]


class BucketEvent(Model):
    """Invoke on S3 object events."""

    name: str = Field(description="A bucket in `storage` (NAME or storage.NAME).")
    events: list[Literal["created", "removed", "restored"]] = Field(
        ["created"], description="Object events that invoke the function.")
    prefix: str | None = Field(None, description="Only keys starting with this.")
    suffix: str | None = Field(None, description="Only keys ending with this.")


class QueueEvent(Model):
    """Consume a queue with settings."""

    name: str = Field(description="A queue in `queues` (NAME or queues.NAME).")
    batch_size: PosInt = Field(10, le=10000, description="Most messages per invocation.")
    batch_window: NonNegInt = Field(0, le=300, description="Longest wait to fill a batch.")


class Event(Model):
    """One event source: exactly one of queue, topic, schedule, stream or bucket."""

    queue: str | QueueEvent | None = Field(None, description="A queue in `queues`.")
    topic: str | None = Field(None, description="A topic in `topics`.")
    schedule: str | None = Field(None, description="rate(...) or cron(...).")
    stream: str | None = Field(None, description="A stream in `streams` or a DynamoDB table.")
    bucket: BucketEvent | None = Field(
        None, description="Invoke on S3 object events of a bucket in `storage`.")
    filter: dict[str, Any] | None = Field(None, description="SNS filter policy (topic events).")
    batch_size: PosInt | None = Field(
        None, le=10000, description="Most records per invocation (queue and stream events).")

    @model_validator(mode="after")
    def _exactly_one(self) -> Event:
        given = [k for k in ("queue", "topic", "schedule", "stream", "bucket")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an event takes exactly one of queue, topic, schedule, stream, bucket")
        if self.schedule is not None and not self.schedule.startswith(("rate(", "cron(", "at(")):
            raise ValueError("a schedule is `rate(...)` or `cron(...)`")
        return self


class Url(Model):
    """A function URL."""

    auth: Literal["iam", "none"] = Field(
        "iam", description="iam (signed requests) or none (public).")
    cors: list[str] = Field(default_factory=list, description="Allowed origins.")


class Release(Model):
    """Publish a version on every change and point an alias at it; callers invoke the alias."""

    alias: str = Field("live", pattern=r"^[A-Za-z_-][A-Za-z0-9_-]{0,127}$", description=(
        "The alias every caller invokes (API integrations, event sources, subscriptions, "
        "schedules, permissions)."))
    strategy: Literal["all_at_once", "canary", "linear"] = Field("all_at_once", description=(
        "How traffic moves to a new version: at once, or gradually through CodeDeploy."))
    percent: PosInt = Field(10, le=99, description=(
        "canary: the share of traffic the new version gets first; linear: the share added "
        "each step."))
    minutes: PosInt = Field(5, le=2880, description=(
        "canary: minutes before the rest moves; linear: minutes between steps."))
    alarms: list[str] | None = Field(None, description=(
        "Alarms that roll a gradual release back: `errors` (cloudc's alarm on the alias's "
        "errors) and names of `monitoring.alarms`. Default: [errors]."))


class Destinations(Model):
    """Where asynchronous invocations go when they succeed or finally fail."""

    on_success: str | None = Field(None, description=(
        "`queues.NAME`, `topics.NAME`, `functions.NAME` or an EventBridge bus ARN."))
    on_failure: str | None = Field(None, description=(
        "`queues.NAME`, `topics.NAME`, `functions.NAME` or an EventBridge bus ARN."))
    retries: NonNegInt | None = Field(None, le=2, description="Retries of a failed event (0-2).")
    max_event_age: PosInt | None = Field(None, ge=60, le=21600, description=(
        "Seconds an event may wait before it is discarded (or sent on_failure)."))


class Function(Tagged):
    """A Lambda function with its role, log group and event sources."""

    runtime: Runtime = Field("nodejs22.x", description="Lambda runtime.")
    handler: str = Field(
        "index.handler",
        description="Entry point: `file.function` (Node, Python) or the runtime's form.")
    code: str = Field(description="Folder with the function's code, zipped at build time.",
                      examples=["./functions/api"])
    memory: PosInt = Field(512, ge=128, le=10240, description="Memory; CPU grows with it.")
    timeout: PosInt = Field(10, le=900, description="Longest run of one invocation.")
    architecture: Literal["arm64", "x86_64"] = Field(
        "arm64", description="arm64 (Graviton, cheaper) or x86_64.")
    environment: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Environment variables (`${...}` allowed).")
    link: list[Link] = Field(
        default_factory=list,
        description="Resources this function uses: IAM grants and coordinates as env vars.")
    policies: list[Policy] = policies_field()
    events: list[Event] = Field(
        default_factory=list, description="Event sources that invoke the function.")
    reserved_concurrency: NonNegInt | None = Field(
        None, description="Concurrent executions reserved (and capped) for it.")
    tracing: Bool = Field(False, description="AWS X-Ray active tracing.")
    url: Url | None = Field(
        None, description="A function URL (HTTPS endpoint without API Gateway).")
    description: str | None = Field(None, description="Description shown in the Lambda console.")
    log_retention_days: PosInt | None = Field(
        None, description="Log retention (default: `monitoring.log_retention_days`).")
    ephemeral_storage: PosInt | None = Field(None, ge=512, le=10240, description="Size of /tmp.")
    vpc: Bool | None = Field(None, description="Run in the VPC's private subnets.")
    release: Release | Bool | None = Field(None, description=(
        "Versions and an alias (`true`), with gradual traffic shifting through CodeDeploy."))
    provisioned_concurrency: PosInt | None = Field(None, description=(
        "Environments kept initialised, on the release alias (needs `release`)."))
    layers: list[str] = Field(default_factory=list, max_length=5, description=(
        "Layer version ARNs, or folders (`./layers/common`) built as layers of this app."))
    dead_letter: str | None = Field(None, description=(
        "`queues.NAME` or `topics.NAME`: where asynchronous events go after their retries."))
    destinations: Destinations | None = None


Entry = Function

"""What a component offers to other components, as typed data.

A section's `declare` (or `lower`) fills these in on its `Component`; other sections and the
passes read them instead of asking which section a component comes from. Each capability is
a small dataclass named after what it lets others do: invoke it, consume events from it,
publish to it, route to its load balancer, put it behind a CDN, run in its VPC, mount it,
reference its secret, watch its metrics.

This module imports nothing from cloudc: values are CloudFormation expressions (`cloudc.ir`
`Expr` objects) or JSON-shaped data, typed `Any` here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# A metric's dimensions for one component (values: names, or deploy-time expressions), or None
# when the component does not have that metric (a queue without a dead-letter queue).
# Called as dims(component, context).
Dims = Callable[[Any, Any], "list[tuple[str, Any]] | None"]


@dataclass(frozen=True)
class Metric:
    """A CloudWatch metric (or a sum of metrics) that a kind of resource exposes."""

    namespace: str
    name: str
    dims: Dims
    parts: tuple[str, ...] = ()  # when set: the sum of these metrics of the same resource
    period: int | None = None    # metrics published once a day (S3 storage)
    stat: str = "Sum"            # the statistic a dashboard shows
    missing: str = "it does not publish it"  # why `dims` may find no such metric


@dataclass(frozen=True)
class Default:
    """A default alarm: logical-ID suffix, metric, statistic, comparison, threshold."""

    suffix: str
    metric: str
    statistic: str
    comparison: str
    threshold: float
    what: str
    evaluations: int = 1


@dataclass(frozen=True)
class Widget:
    """A component's dashboard widget: a title and the metrics it plots, in order."""

    title: str
    metrics: tuple[str, ...]


@dataclass
class Invocable:
    """A Lambda function others invoke (schedules, topics, user-pool triggers, e-mail rules)."""

    function: str  # logical ID of the AWS::Lambda::Function
    arn: Any   # what callers invoke: the release alias's ARN when releases are on
    name: Any  # what permissions and event source mappings name (the alias's ARN likewise)
    qualifier: str | None = None  # the release alias's name (function URLs take it apart)


@dataclass
class EventSource:
    """Something a function consumes through an event source mapping (queue, stream, table)."""

    arn: Any
    statements: list[dict[str, Any]]
    starting_position: str | None = None  # streams: "LATEST"; queues: None
    visibility_timeout: int | None = None  # queues: must cover the consumer's timeout


@dataclass
class PublishTarget:
    """Something messages can be sent to (a topic or a queue): its ARN and the grant to send."""

    arn: Any
    statements: list[dict[str, Any]]


@dataclass
class TopicFacts:
    """An SNS topic others subscribe to or let AWS services publish to."""

    topic: str  # logical ID of the AWS::SNS::Topic
    arn: Any
    fifo: bool = False


@dataclass
class QueueFacts:
    """An SQS queue others deliver to; topics share one queue policy on it."""

    queue: str  # logical ID of the AWS::SQS::Queue
    dlq: str | None = None  # logical ID of its dead-letter queue
    topics_policy: Any = None  # the AWS::SQS::QueuePolicy topics add statements to (a Resource)


@dataclass
class LoadBalancer:
    """An application load balancer API routes and site routes reach (never by its hostname)."""

    load_balancer: str  # logical IDs ...
    listener: str
    security_group: str
    internal: bool
    https: bool
    domain: str | None
    port: int
    dns_name: Any


@dataclass
class RunTask:
    """How to run one more task of a container service (schedules run commands with it).

    What ECS RunTask needs: the task definition (ARN, revision included), the cluster, the
    container to override, the service's network (subnets, security groups, public IP) and
    capacity, and the roles whoever starts the task must be allowed to pass.
    """

    task_definition: Any  # ARN expression
    task_family: str  # `arn:...:task-definition/<family>:*` grants RunTask on every revision
    cluster: Any  # ARN expression
    container: str
    subnets: list[Any]
    security_groups: list[Any]
    public_ip: bool
    spot: bool
    pass_roles: list[Any]  # ARN expressions of the execution and task roles


@dataclass
class CdnOrigin:
    """How CloudFront reaches a component given as a site route (an API's host and base path)."""

    domain: Any
    path: str


@dataclass
class Vpc:
    """The network: subnets per tier (one Ref a zone), zones, NAT mode, route tables."""

    vpc: str  # logical ID of the AWS::EC2::VPC
    zones: int
    nat: str  # "none" | "single" | "per-zone"
    spec: Any  # the typed `network` config (schema.sections.network.Network)
    public_subnets: list[Any] = field(default_factory=list)
    private_subnets: list[Any] = field(default_factory=list)
    isolated_subnets: list[Any] = field(default_factory=list)
    route_tables: dict[str, list[Any]] = field(default_factory=dict)
    auto_endpoints: list[Any] = field(default_factory=list)  # what needs each endpoint made

    def subnets(self, tier: str) -> list[Any]:
        """Return the subnets of one tier: public, private or isolated."""
        return {"public": self.public_subnets, "private": self.private_subnets,
                "isolated": self.isolated_subnets}[tier]


@dataclass
class Mountable:
    """A file system functions and services mount through its access points."""

    file_system: str  # logical ID of the AWS::EFS::FileSystem
    access_points: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretReference:
    """What `${secret:name}` becomes: a dynamic reference CloudFormation resolves at deploy.

    `value` is the secret's name or ARN (a string, or an expression named `var` in the Sub);
    SSM parameters have no JSON keys.
    """

    value: Any
    ssm: bool = False
    var: str = "Value"


@dataclass
class UserPool:
    """A Cognito user pool APIs authorize against: its app clients are the JWT audience."""

    pool: str  # logical ID of the AWS::Cognito::UserPool
    client_ids: list[Any] = field(default_factory=list)


@dataclass
class Sender:
    """An SES identity others send e-mail from (user pools)."""

    identity_arn: Any

"""The resource IR: typed resources, typed references and the components that own them.

Properties are plain JSON-shaped values in which every reference is an `Expr` object, so passes
can follow edges and the emitter is the only code that writes CloudFormation intrinsics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from cloudc.capabilities import (
    CdnOrigin,
    Default,
    EventSource,
    Invocable,
    LoadBalancer,
    Metric,
    Mountable,
    PublishTarget,
    QueueFacts,
    RunTask,
    SecretReference,
    Sender,
    TopicFacts,
    UserPool,
    Vpc,
    Widget,
)
from cloudc.source import Origin, Path


class Expr:
    """A CloudFormation value computed at deploy time."""

    __slots__ = ()

    def targets(self) -> Iterator[Ref | GetAtt]:
        """Yield every resource reference inside this expression."""
        return iter(())


@dataclass(frozen=True, slots=True)
class Pseudo(Expr):
    """A pseudo parameter such as AWS::Region."""

    name: str


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """`Ref` to a resource; `derived` is an equivalent Sub that needs no reference."""

    target: str
    derived: Sub | None = None

    def targets(self) -> Iterator[Ref | GetAtt]:
        yield self


@dataclass(frozen=True, slots=True)
class GetAtt(Expr):
    """`Fn::GetAtt` of a resource attribute; `derived` as for Ref."""

    target: str
    attr: str
    derived: Sub | None = None

    def targets(self) -> Iterator[Ref | GetAtt]:
        yield self


@dataclass(frozen=True, slots=True)
class Sub(Expr):
    """`Fn::Sub` with named variables; `${AWS::...}` pseudo parameters may appear inline."""

    template: str
    vars: tuple[tuple[str, Any], ...] = ()

    def targets(self) -> Iterator[Ref | GetAtt]:
        for _, value in self.vars:
            yield from iter_targets(value)


@dataclass(frozen=True, slots=True)
class Join(Expr):
    """`Fn::Join`."""

    sep: str
    parts: tuple[Any, ...]

    def targets(self) -> Iterator[Ref | GetAtt]:
        for part in self.parts:
            yield from iter_targets(part)


@dataclass(frozen=True, slots=True)
class Select(Expr):
    """`Fn::Select` of an index from a list expression."""

    index: int
    value: Any

    def targets(self) -> Iterator[Ref | GetAtt]:
        yield from iter_targets(self.value)


@dataclass(frozen=True, slots=True)
class GetAZs(Expr):
    """`Fn::GetAZs` for the stack's region."""


@dataclass(frozen=True, slots=True)
class Base64(Expr):
    """`Fn::Base64`."""

    value: Any

    def targets(self) -> Iterator[Ref | GetAtt]:
        yield from iter_targets(self.value)


def iter_targets(value: Any) -> Iterator[Ref | GetAtt]:
    """Yield every Ref/GetAtt inside a JSON-shaped value."""
    return iter(collect_targets(value))


def collect_targets(value: Any) -> list[Ref | GetAtt]:
    """Return every Ref/GetAtt inside a JSON-shaped value (iteratively: this is a hot path)."""
    out: list[Ref | GetAtt] = []
    stack = [value]
    pop = stack.pop
    push = stack.extend
    add = out.append
    while stack:
        v = pop()
        t = type(v)  # exact-type tests first: most values are plain strings, dicts and lists
        if t is str:
            continue
        if t is dict:
            push(v.values())
        elif t is list:
            push(v)
        elif t is Ref or t is GetAtt:
            add(v)
        elif isinstance(v, dict):
            push(v.values())
        elif isinstance(v, list):
            push(v)
        elif isinstance(v, (Ref, GetAtt)):
            add(v)
        elif isinstance(v, Expr):
            out.extend(v.targets())
    return out


# What a deploy-time value counts for in a template size estimate (the emitter writes an
# intrinsic or a parameter reference of about this size).
PLACEHOLDER = "x" * 64
# Groups emitted as templates of their own, deployed before the root stack rather than nested
# in it: `registry` holds the ECR repositories, which must exist before deploy pushes images
# that the root's task definitions name. Nothing may reference them except by name (`derived`).
SEPARATE_GROUPS = frozenset({"registry"})


Scan = Callable[[Any], "tuple[list[Ref | GetAtt], str]"]


def scanner() -> Scan:
    """Return `scan(value)`: every Ref/GetAtt in `value`, and its compact JSON with each Expr
    written as PLACEHOLDER, from one pass of the C JSON encoder (several times faster than
    walking the value in Python). Made once per pass, used for every resource."""
    box: list[list[Ref | GetAtt]] = [[]]

    def default(value: Any) -> str:
        if isinstance(value, (Ref, GetAtt)):
            box[0].append(value)
        elif isinstance(value, Expr):
            box[0].extend(value.targets())
        else:
            raise TypeError(f"{type(value).__name__} is not JSON-shaped")
        return PLACEHOLDER

    encode = json.JSONEncoder(default=default, separators=(",", ":"), check_circular=False).encode

    def scan(value: Any) -> tuple[list[Ref | GetAtt], str]:
        found: list[Ref | GetAtt] = []
        box[0] = found
        return found, encode(value)

    return scan


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> Sub:
    """Build an ARN as a Sub on pseudo parameters (no resource reference needed).

    >>> arn("sqs", "acme-dev-jobs").template
    'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:acme-dev-jobs'
    """
    r = "${AWS::Region}" if region else ""
    a = "${AWS::AccountId}" if account else ""
    return Sub(f"arn:${{AWS::Partition}}:{service}:{r}:{a}:{resource}")


# The DeletionPolicy of kept data: retained, except when the stack operation that created it
# rolls back. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
RETAIN_ON_DELETE = "RetainExceptOnCreate"


@dataclass(eq=False, slots=True)
class Resource:
    """One CloudFormation resource, owned by a declared config entry (`section.name`)."""

    logical_id: str
    type: str
    properties: dict[str, Any]
    owner: str
    group: str
    origin: Origin | None = None
    depends_on: list[str] = field(default_factory=list)
    deletion_policy: str | None = None
    update_replace_policy: str | None = None
    update_policy: dict[str, Any] | None = None  # e.g. AutoScalingRollingUpdate
    creation_policy: dict[str, Any] | None = None  # e.g. ResourceSignal (instances, groups)
    metadata: dict[str, Any] = field(default_factory=dict)
    stateful: bool = False
    # A connector (an event source mapping, a subscription) that may join the stack of this
    # resource (its source) when staying with its owner would make nested stacks a cycle.
    movable_to: str | None = None

    def retain(self, keep: bool = True) -> None:
        """Keep the resource when its stack deletes or replaces it (`keep`), or delete it.

        Deletion uses `RetainExceptOnCreate`: when the operation that created the resource rolls
        back (a failed first deploy), CloudFormation deletes it, so a retry does not fail with
        "already exists" on its name. UpdateReplacePolicy does not accept that value: `Retain`.
        """
        self.deletion_policy = RETAIN_ON_DELETE if keep else "Delete"
        self.update_replace_policy = "Retain" if keep else "Delete"


@dataclass(eq=False)
class Component:
    """A declared entry (`storage.uploads`): its resources, attributes and what links grant."""

    section: str
    name: str
    kind: str
    path: Path
    origin: Origin | None
    attrs: dict[str, Any] = field(default_factory=dict)
    # What a consumer's link gets: IAM statements per access level ("read", "write"),
    # environment variables (NAME suffix -> value) and secret references.
    grants: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    link_env: dict[str, Any] = field(default_factory=dict)
    link_secrets: dict[str, Any] = field(default_factory=dict)
    # (target `section.name`, access, config path) of each link this component declares.
    links: list[tuple[str, str, Path]] = field(default_factory=list)
    # Set on compute components (functions, services, servers), which links fill in.
    statements: list[dict[str, Any]] | None = None
    environment: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None
    security_group: str | None = None
    # Set on networked targets (databases, caches, file systems): how consumers reach them.
    ingress: tuple[str, int] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # What it offers to other components (see cloudc/capabilities.py), set by its section.
    # ("" when it has none)
    physical: str = ""  # its physical name (a Sub template when account-scoped)
    primary: str = ""   # logical ID of its main resource (the table, the stream, the service ...)
    role: str = ""      # logical ID of the IAM role its code runs as
    bucket: str = ""    # logical ID of the S3 bucket it holds (storage, sites)
    distribution: str = ""  # logical ID of its CloudFront distribution (sites)
    invoke: Invocable | None = None
    event_source: EventSource | None = None
    publish: PublishTarget | None = None
    topic: TopicFacts | None = None
    queue: QueueFacts | None = None
    load_balancer: LoadBalancer | None = None
    run_task: RunTask | None = None
    cdn_origin: CdnOrigin | None = None
    vpc: Vpc | None = None
    mountable: Mountable | None = None
    secret: SecretReference | None = None
    user_pool: UserPool | None = None
    sender: Sender | None = None
    # Secrets a container consumer injects when it links here (suffix -> ARN to read).
    container_secrets: dict[str, Any] = field(default_factory=dict)
    # What `monitoring` can watch: metrics by name, default alarms, a dashboard widget.
    metrics: dict[str, Metric] = field(default_factory=dict)
    alarms: tuple[Default, ...] = ()
    dashboard: Widget | None = None
    # The section's own typed state between declare, lower and after_links: only the
    # section that set it reads it (see `state_of`).
    state: object | None = None

    @property
    def key(self) -> str:
        """Return `section.name` (just `section` for single-map sections)."""
        return f"{self.section}.{self.name}" if self.name else self.section

    @property
    def env_prefix(self) -> str:
        """Return the prefix of the environment variables a link injects: `STORAGE_UPLOADS`."""
        return re.sub(r"[^A-Z0-9]+", "_", self.key.upper()).strip("_")


State = TypeVar("State")


def state_of(comp: Component, kind: type[State]) -> State:
    """Return the section-owned state of `comp`, checked to be a `kind`."""
    state = comp.state
    if not isinstance(state, kind):
        raise TypeError(f"{comp.key} has no {kind.__name__} state")
    return state


class IR:
    """All resources and components of one build, in declaration order."""

    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}
        self.components: dict[str, Component] = {}
        self.outputs: dict[str, tuple[Any, str | None, Origin | None]] = {}
        self.notes: list[str] = []
        self.groups: dict[str, str] = {}  # logical id -> nested stack name (after partition)
        self.edges: dict[str, list[str]] = {}  # logical id -> the ids it depends on
        self.targets: dict[str, list[Ref | GetAtt]] = {}  # logical id -> references it holds
        # logical id -> (size of its properties as compact JSON with PLACEHOLDERs, number of
        # dynamic references): set with `targets` by the dependencies pass, for partition.
        self.sizes: dict[str, tuple[int, int]] = {}
        self.stack_order: list[str] = []
        # logical id -> (what an `overrides:` entry set, e.g. "Properties.KmsMasterKeyId", and
        # the config path it came from): shown by `cloudc explain`.
        self.overridden: dict[str, list[tuple[str, Path]]] = {}
        # (owner, group) -> (nested stack, resources): what cloud.lock.json records (partition).
        self.units: dict[tuple[str, str], tuple[str, int]] = {}
        # nested stack -> root stack (1, 2, ...): more than one only past 2,500 resources.
        self.roots: dict[str, int] = {}
        # raw `resources:` entries whose logical ID a pass then gave a generated resource (a
        # VPC endpoint, an ingress rule): the generated one stays, the raw one is E3235
        # (cloudc/checks/raw_clash.py).
        self.displaced: dict[str, Resource] = {}

    def add(self, resource: Resource) -> Resource:
        """Add a resource. A generated resource takes the logical ID of a raw `resources:`
        entry added before it (recorded in `displaced`); any other clash is a compiler bug."""
        lid = resource.logical_id
        if lid in self.resources:
            old = self.resources[lid]
            if not (old.owner.startswith("resources.")
                    and not resource.owner.startswith("resources.")):
                raise ValueError(f"duplicate logical ID {lid}")
            self.displaced[lid] = old
            del self.resources[lid]
        self.resources[lid] = resource
        return resource

    def by_owner(self) -> dict[str, list[Resource]]:
        """Group resources by owner, in declaration order."""
        out: dict[str, list[Resource]] = {}
        for r in self.resources.values():
            out.setdefault(r.owner, []).append(r)
        return out

    def check(self) -> list[str]:
        """Return invariant violations: bad IDs, dangling references (an empty list is good)."""
        problems = []
        for lid, r in self.resources.items():
            if not _LOGICAL.match(lid):
                problems.append(f"bad logical ID {lid}")
            for t in iter_targets(r.properties):
                if t.target not in self.resources:
                    problems.append(f"{lid} references missing {t.target}")
            for d in r.depends_on:
                if d not in self.resources:
                    problems.append(f"{lid} depends on missing {d}")
        return problems


_LOGICAL = re.compile(r"^[A-Za-z0-9]{1,255}$")


def statement(actions: list[str], resources: list[Any], **extra: Any) -> dict[str, Any]:
    """Build an IAM Allow statement."""
    return {"Effect": "Allow", "Action": sorted(set(actions)), "Resource": resources, **extra}


def copy_tree(value: Any) -> Any:
    """Copy the dicts and lists of a property value; the IR's reference objects are immutable
    and shared (faster than copy.deepcopy, which would also copy them)."""
    if isinstance(value, dict):
        return {k: copy_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_tree(v) for v in value]
    return value


@lru_cache(maxsize=65536)
def pascal(text: str) -> str:
    """Turn a config name into a logical-ID fragment.

    >>> pascal("user-uploads_v2")
    'UserUploadsV2'
    """
    if text.isalnum() and text.isascii():  # one word (most sections and names): no split
        return text[:1].upper() + text[1:]
    return "".join(p[:1].upper() + p[1:] for p in _NOT_ALNUM.split(text) if p)


_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")

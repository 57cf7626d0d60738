"""services: containers on ECS Fargate, behind an Application Load Balancer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from cloudc.schema.base import Bool, FileField, Link, Model, NonNegInt, PosInt, Tagged
from cloudc.schema.policies import Policy, policies_field

SECTION = "services"
ORDER = 45
PATHS = (FileField(("image",), "file", "Dockerfile", only="dockerfile"),)  # files it names
REFS = ("link",)  # fields whose values name other entries (`section.name`)
FORBIDDEN_IN = ("server",)  # modes (`mode:`) that do not allow this section

# Fargate's allowed task sizes: cpu units -> memory (MiB) values.
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}


class HealthCheck(Model):
    """How the load balancer checks a task."""

    path: str = Field("/", pattern=r"^/", description="HTTP path that answers 200-399.")
    interval: PosInt = Field(
        30, ge=6, le=300, description="Seconds between checks (more than the 5 s timeout)."
    )
    healthy_threshold: PosInt = Field(
        2, ge=2, le=10, description="Successes in a row before a target is healthy.")
    unhealthy_threshold: PosInt = Field(
        3, ge=2, le=10, description="Failures in a row before a target is unhealthy.")
    grace_period: NonNegInt = Field(
        60, le=2147483647, description="Seconds after a task starts before checks count."
    )


class Scaling(Model):
    """Task count and target-tracking auto scaling."""

    min: NonNegInt = Field(1, description="Fewest running tasks (and the desired count).")
    max: PosInt = Field(1, description="Most running tasks.")
    cpu_target: PosInt | None = Field(
        None, le=100, description="Average CPU % to track (70 when max > min and no target set)."
    )
    memory_target: PosInt | None = Field(None, le=100, description="Average memory % to track.")
    requests_per_target: PosInt | None = Field(
        None, description="ALB requests a task should serve per minute."
    )
    cooldown: NonNegInt = Field(60, description="Seconds between scaling activities.")


class Deployment(Model):
    """How a new task definition replaces the running one."""

    strategy: Literal["rolling", "blue_green"] = Field("rolling", description=(
        "rolling: tasks are replaced a few at a time (circuit breaker with rollback); "
        "blue_green: ECS starts a full new revision on a second target group and moves the "
        "load balancer's traffic to it at once (needs `load_balancer`)."))
    bake_minutes: NonNegInt = Field(15, le=1440, description=(
        "blue_green: minutes both revisions keep running after traffic moved, to roll back "
        "at once."))


class Service(Tagged):
    """A Fargate service: ECR repository, task definition, service, ALB and auto scaling."""

    image: str = Field(
        description="A Dockerfile path (`./Dockerfile`, `./api/Dockerfile`): an ECR repository "
        "is created and deploy builds and pushes the image; or an image URI used as given.",
        examples=["./Dockerfile"])
    tag: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
        description="Image tag for a Dockerfile image; default: a hash of the build "
        "context, so the tag changes exactly when the code does (tags are immutable)."
    )
    cpu: Literal[256, 512, 1024, 2048, 4096, 8192, 16384] = Field(
        256, description="CPU units (1024 = 1 vCPU)."
    )
    memory: PosInt = Field(512, description="MiB; must be a Fargate size for the cpu.")
    port: PosInt = Field(80, le=65535, description="Port the container listens on.")
    load_balancer: Bool = Field(
        True, description="Put the service behind an ALB (false: a worker with no inbound port)."
    )
    public: Bool = Field(True, description="Internet-facing ALB (false: internal ALB).")
    health_check: Annotated[str, StringConstraints(pattern=r"^/")] | HealthCheck = Field(
        "/", description="Health check path, or settings."
    )
    scaling: Scaling = Field(
        default_factory=Scaling, description="Task count and target tracking.")
    domain: str | None = Field(None, description="Custom domain (needs `dns`): HTTPS on the ALB.")
    path: str | None = Field(
        None, description="Route only this path pattern (`/api/*`) to the service."
    )
    link: list[Link] = Field(
        default_factory=list,
        description="Resources this service uses: IAM grants and coordinates as env vars.")
    policies: list[Policy] = policies_field()
    environment: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Environment variables (`${...}` allowed).")
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="NAME: `${secret:x}`, `${secret:x.key}`, `secrets.x` or `${ssm:/path}`; "
        "injected by ECS from Secrets Manager or SSM, never as plain environment values.",
    )
    command: str | list[str] | None = Field(
        None, description="Override the image's command: a list, or a string run by `sh -c`."
    )
    entrypoint: list[str] | None = Field(None, description="Override the image's entrypoint.")
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="CPU architecture of the image: x86_64 or arm64.")
    mounts: dict[str, str] = Field(
        default_factory=dict,
        description="Container path: `file_systems.NAME` (or `file_systems.NAME.ACCESS_POINT`).",
    )
    spot: Bool = Field(False, description="Run on Fargate Spot (cheaper, can be interrupted).")
    deployment: Literal["rolling", "blue_green"] | Deployment = Field(
        "rolling", description="`rolling`, `blue_green`, or settings (strategy, bake_minutes)."
    )
    log_retention_days: PosInt | None = Field(
        None, description="Log retention (default: `monitoring.log_retention_days`).")


def deployment_of(spec: Service) -> Deployment:
    """Return the service's deployment settings (a strategy name is all defaults)."""
    if isinstance(spec.deployment, Deployment):
        return spec.deployment
    return Deployment(strategy=spec.deployment)


Entry = Service

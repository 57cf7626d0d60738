"""Blue/green deployments a service cannot have.

ECS blue/green moves traffic between two target groups of the service's load balancer, so a
service without one (`load_balancer: false`) has nothing to shift (E3260):
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-deployment-implementation.html
`scaling.requests_per_target` tracks ALBRequestCountPerTarget of one target group, which
stops receiving traffic after the first blue/green deployment (production moves to the
alternate group), so scaling would see no requests and scale in (E3261).
"""

from __future__ import annotations

from collections.abc import Iterable

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3260", "a blue/green deployment without a load balancer",
         "blue/green shifts the load balancer's traffic between two target groups; a service "
         "with `load_balancer: false` deploys `rolling`"),
    Code("E3261", "requests_per_target scaling on a blue/green service",
         "the request count is tracked on one target group, which loses its traffic at the "
         "first blue/green deployment; scale on cpu_target or memory_target"),
)


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report blue/green deployments without a load balancer or with request scaling."""
    services = cx.section("services")
    if not services:
        return
    from cloudc.schema.sections.services import deployment_of  # only for a config with services

    for name, spec in services.items():
        if deployment_of(spec).strategy != "blue_green":
            continue
        path = ("services", name)
        at = path + ("deployment",)
        if not spec.load_balancer:
            yield Finding("E3260", "blue/green deployment needs a load balancer to shift "
                          "traffic, and this service has `load_balancer: false`", at,
                          hint="use `deployment: rolling` (the default) for a worker, or "
                               "put the service behind its load balancer")
        elif spec.scaling.requests_per_target is not None:
            yield Finding("E3261", "requests_per_target tracks the first target group, which "
                          "receives no traffic after a blue/green deployment",
                          path + ("scaling", "requests_per_target"),
                          hint="scale on `cpu_target` or `memory_target`, or use "
                               "`deployment: rolling`")

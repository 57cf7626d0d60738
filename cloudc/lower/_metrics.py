"""Metric dimensions several sections share: by physical name, and load balancer metrics.

A section declares what `monitoring` can watch on its components: `comp.metrics` (name ->
`Metric`), `comp.alarms` (default `Default` alarms) and `comp.dashboard` (a `Widget`).
"""

from __future__ import annotations

from typing import Any

from cloudc.capabilities import Dims, Metric
from cloudc.context import Context
from cloudc.ir import Component, GetAtt

ELB = "AWS/ApplicationELB"
NO_LOAD_BALANCER = "it has no load balancer"


def named(dim: str) -> Dims:
    """Return dimensions that name the component's resource by its physical name."""
    def dims(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
        return [(dim, str(c.physical))]
    return dims


def _alb(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
    alb = ctx.logical(c, "Alb")
    if alb not in ctx.ir.resources:
        return None
    return [("LoadBalancer", GetAtt(alb, "LoadBalancerFullName"))]


def _target_group(c: Component, ctx: Context) -> list[tuple[str, Any]] | None:
    tg = ctx.logical(c, "TargetGroup")
    lb = _alb(c, ctx)
    if lb is None or tg not in ctx.ir.resources:
        return None
    return [("TargetGroup", GetAtt(tg, "TargetGroupFullName")), *lb]


LOAD_BALANCER: dict[str, Metric] = {
    "http_5xx": Metric(ELB, "HTTPCode_Target_5XX_Count", _alb, missing=NO_LOAD_BALANCER),
    "http_4xx": Metric(ELB, "HTTPCode_Target_4XX_Count", _alb, missing=NO_LOAD_BALANCER),
    "elb_5xx": Metric(ELB, "HTTPCode_ELB_5XX_Count", _alb, missing=NO_LOAD_BALANCER),
    "requests": Metric(ELB, "RequestCount", _alb, missing=NO_LOAD_BALANCER),
    "response_time": Metric(ELB, "TargetResponseTime", _alb, stat="Average",
                            missing=NO_LOAD_BALANCER),
    "unhealthy_hosts": Metric(ELB, "UnHealthyHostCount", _target_group, stat="Maximum",
                              missing=NO_LOAD_BALANCER),
    "healthy_hosts": Metric(ELB, "HealthyHostCount", _target_group, missing=NO_LOAD_BALANCER),
}

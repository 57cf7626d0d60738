"""What a section declares about its CloudWatch metrics and default alarms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from cloudc.context import Context
from cloudc.ir import Component


# A metric's dimensions for one resource (values: names, or deploy-time expressions), or None
# when the resource does not have that metric (a queue without a dead-letter queue).
Dims = Callable[[Component, Context], list[tuple[str, Any]] | None]


@dataclass(frozen=True)
class Metric:
    """A CloudWatch metric (or a sum of metrics) that a kind of resource exposes."""

    namespace: str
    name: str
    dims: Dims
    parts: tuple[str, ...] = ()  # when set: the sum of these metrics of the same resource
    period: int | None = None    # metrics published once a day (S3 storage)


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

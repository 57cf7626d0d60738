"""The app on servers (SPEC 1.6): code from the artifacts bucket, build, workers, cron, and the
CloudFormation signals that make a new code hash roll the instances one at a time.

With `code`, an instance signals its group (or itself) once the app answers its health check,
or FAILURE as soon as a boot step fails. CloudFormation waits for these signals when it creates
the group or instance (CreationPolicy) and, for a group, for each replaced instance of a rolling
update (UpdatePolicy WaitOnResourceSignals), and rolls back a release that does not come up.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-creationpolicy.html
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudc.assets import ARTIFACTS_BUCKET, ASSET_PREFIX
from cloudc.context import Context
from cloudc.ir import Component, Pseudo, Resource, Sub, statement
from cloudc.schema.sections.servers import Server

# Auto Scaling processes that would fight a rolling update (replace or rebalance instances
# while CloudFormation replaces them); Launch, Terminate and AddToLoadBalancer keep running.
# https://aws.amazon.com/premiumsupport/knowledge-center/auto-scaling-group-rolling-updates/
SUSPEND = ["HealthCheck", "ReplaceUnhealthy", "AZRebalance", "AlarmNotification",
           "ScheduledActions"]
HEALTH_WAIT_SECONDS = 300  # _ready.sh: how long the app has to answer after it is started


@dataclass
class AppState:
    """What `lower` learnt about the server's app, for `after_links`."""

    key: str = ""  # the code zip's key in the artifacts bucket, "" without `code`


def code_key(comp: Component, spec: Server, ctx: Context) -> str:
    """Zip the code folder (once per build) and return its key in the artifacts bucket."""
    if not spec.code:
        return ""
    local = ctx.code_asset(spec.code, comp.path + ("code",))  # ../assets/<sha256>.zip
    return ASSET_PREFIX + local.rsplit("/", 1)[-1]


def app_statements(key: str) -> list[dict[str, Any]]:
    """Return what the instance role needs for the app: read exactly its code zip, and signal
    CloudFormation about resources of its own stack."""
    obj = Sub(f"arn:${{AWS::Partition}}:s3:::{ARTIFACTS_BUCKET}/{key}")
    return [
        statement(["s3:GetObject"], [obj]),
        statement(["cloudformation:SignalResource"], [Pseudo("AWS::StackId")]),
    ]


def timeout(spec: Server) -> str:
    """Return the ISO 8601 duration an instance has to boot, build and answer."""
    return f"PT{int(spec.boot_minutes)}M"


def wait_for_group(group: Resource, spec: Server, lo: int, hi: int) -> None:
    """Make CloudFormation wait for each instance's signal on create and on rolling updates."""
    if lo > 0:
        group.creation_policy = {"ResourceSignal": {"Count": lo, "Timeout": timeout(spec)}}
    group.update_policy = {"AutoScalingRollingUpdate": {
        # One new instance at a time; with MinInstancesInService at the group's size the new
        # one starts before an old one stops (it must stay below MaxSize).
        "MinInstancesInService": min(lo, hi - 1) if hi > 1 else 0,
        "MaxBatchSize": 1,
        "PauseTime": timeout(spec),  # with WaitOnResourceSignals: how long to wait for one
        "WaitOnResourceSignals": True,
        "SuspendProcesses": list(SUSPEND),
    }}
    group.properties["HealthCheckGracePeriod"] = int(spec.boot_minutes) * 60


def wait_for_instance(instance: Resource, spec: Server) -> None:
    """Make CloudFormation wait for the instance's signal when it creates (or replaces) it."""
    instance.creation_policy = {"ResourceSignal": {"Count": 1, "Timeout": timeout(spec)}}


def render_context(spec: Server, key: str, signal_target: str, port: int, serving: bool,
                   hole: Any) -> dict[str, Any]:
    """Return the `recipes.render` keys for the app; `hole` turns an expression into text."""
    out: dict[str, Any] = {
        "build": spec.build or "",
        "workers": [(n, int(w.count), w.command) for n, w in spec.workers.items()],
        "cron": [(n, c.schedule, c.command) for n, c in spec.cron.items()],
    }
    if key:
        out["code_url"] = f"s3://{hole(Sub(ARTIFACTS_BUCKET))}/{key}"
        out["signal"] = (hole(Pseudo("AWS::StackName")), signal_target)
        out["health_url"] = f"http://127.0.0.1:{port}{spec.health_check}" if serving else ""
    return out

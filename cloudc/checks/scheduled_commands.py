"""A schedule's `command` runs in a container: it needs a service target, which takes no `input`.

`schedules.X.target: services.Y` runs one ECS task of the service on the schedule, with
`command` overriding the container's command (EventBridge Scheduler hands the schedule's Input
to RunTask as its overrides). A `command` on any other target would be silently dropped, and an
`input` on a service target would replace the command overrides with a payload ECS rejects.
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EcsParameters.html
"""

from __future__ import annotations

from collections.abc import Iterator

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

NEEDS = "config"
CODES = (
    Code("E3202", "schedule command without a container target",
         "`command` runs only on a `services.NAME` target; a service target takes `command`, "
         "not `input`"),
)


def check(cx: CheckContext) -> Iterator[Finding]:
    """Report commands on non-service targets and inputs on service targets."""
    for name, spec in cx.section("schedules").items():
        service = str(spec.target).startswith("services.")
        if spec.command is not None and not service:
            yield Finding("E3202", f"`schedules.{name}.command` runs a container command, but "
                          f"the target `{spec.target}` is not a service",
                          ("schedules", name, "command"),
                          hint="target a service (`target: services.NAME`), or drop `command` "
                               "and pass data with `input`")
        if spec.input is not None and service:
            yield Finding("E3202", f"`schedules.{name}.input` cannot be passed to a service "
                          "task (ECS takes only its command)", ("schedules", name, "input"),
                          hint="use `command: [php, artisan, report, --kind=nightly]`; values "
                               "the command needs can come from the service's `environment`")

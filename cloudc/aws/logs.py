"""CloudWatch Logs of a config entry: the log groups the compiler emitted for it, read back."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cloudc.aws import locate
from cloudc.aws.session import Aws, AwsError, api_errors, error_code

if TYPE_CHECKING:
    from cloudc.compile import Build

TARGETS = ("functions", "services", "servers", "apis", "workflows")
FOLLOW_SECONDS = 2.0  # between polls of --follow; tests lower it
# What to do when an entry has no log group, by section.
NO_LOGS = {
    "workflows": "set `logging: true` on the workflow to send its executions to CloudWatch Logs",
    "apis": "this API writes no access logs",
}
_SINCE = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """Return the start time `text` names: `90s`, `30m`, `1h`, `2d`, `1w`, or an ISO time.

    >>> parse_since("1h", datetime(2026, 11, 30, 12, tzinfo=UTC)).isoformat()
    '2026-11-30T11:00:00+00:00'
    """
    m = _SINCE.match(text.strip())
    if m:
        return (now or datetime.now(UTC)) - timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})
    when = datetime.fromisoformat(text.strip())
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def groups(aws: Aws, name: str, build: Build, target: str) -> list[str]:
    """Return the names of the log groups the compiler emitted for `target`."""
    comp = locate.component(build, target, TARGETS)
    found = locate.owned(build, comp.key, "AWS::Logs::LogGroup")
    if not found:
        raise locate.NotFound(f"{target} has no CloudWatch log group: "
                              + NO_LOGS.get(comp.section, "cloudc emits none for it"))
    out: list[str] = []
    deployed: dict[str, locate.Deployed] | None = None
    for r in found:
        group = locate.literal(r.properties.get("LogGroupName"))
        if group is None:  # a name CloudFormation computes: ask the stack
            deployed = deployed if deployed is not None else locate.resources(aws, name, build)
            group = locate.physical(aws, name, r, deployed)
        out.append(group)
    return out


def events(aws: Aws, group: str, start_ms: int, pattern: str | None) -> Iterator[dict[str, Any]]:
    """Yield the events of one group from `start_ms` on, matching `pattern` when given."""
    args: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    if pattern:
        args["filterPattern"] = pattern
    client = aws.client("logs")
    try:
        with api_errors(f"read the log group {group}"):
            for page in client.get_paginator("filter_log_events").paginate(**args):
                for ev in page.get("events") or []:
                    yield {**ev, "group": group}
    except AwsError as exc:
        if error_code(exc.__cause__) == "ResourceNotFoundException":
            raise AwsError(f"log group {group} does not exist: is the environment deployed?") \
                from exc
        raise


def _pause() -> None:
    time.sleep(FOLLOW_SECONDS)


def tail(aws: Aws, names: list[str], since: datetime, pattern: str | None, follow: bool,
         emit: Callable[[str], None]) -> int:
    """Print the events of `names` from `since` on, oldest first; with `follow`, keep polling
    (until Ctrl-C). Return the number of events printed."""
    start = int(since.timestamp() * 1000)
    seen: dict[str, int] = {}  # event ID -> timestamp, of the events at `start`
    shown = 0
    while True:
        batch = sorted((ev for g in names for ev in events(aws, g, start, pattern)
                        if ev.get("eventId") not in seen),
                       key=lambda ev: (ev.get("timestamp", 0), ev.get("eventId", "")))
        for ev in batch:
            emit(line(ev, len(names) > 1))
            seen[str(ev.get("eventId"))] = int(ev.get("timestamp", 0))
            shown += 1
        if batch:
            # Re-read from the newest timestamp (a later event may share it); skip those seen.
            start = max(seen.values())
            seen = {k: t for k, t in seen.items() if t >= start}
        if not follow:
            return shown
        _pause()


def line(ev: dict[str, Any], with_group: bool) -> str:
    """Format one event: time (UTC), stream, message.

    >>> line({"timestamp": 1764504000123, "logStreamName": "s", "message": "hi\\n"}, False)
    '2025-11-30T12:00:00.123Z s hi'
    """
    ms = int(ev.get("timestamp", 0))
    when = datetime.fromtimestamp(ms / 1000, UTC)
    stream = str(ev.get("logStreamName", ""))
    if with_group:
        stream = f"{ev.get('group', '')}:{stream}"
    return f"{when:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z {stream} " \
           f"{str(ev.get('message', '')).rstrip()}"

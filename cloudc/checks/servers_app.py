"""The app on servers (SPEC 1.6): shell text that would carry secrets into user data (E3210),
start, workers, cron and build without code to run (W3211), `start` listening on another port than
the one health-checked (W3212), cron on every instance of a group (W3213), and releases that
stop the only instance before the new one answers (W3214).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code
from cloudc.source import Path

if TYPE_CHECKING:  # the servers modules load only for a config with servers
    from cloudc.schema.sections.servers import Server

NEEDS = "config"
CODES = (
    Code("E3210", "a secret in server shell text would be written into user data"),
    Code("W3211", "start, workers, cron or build on a server without `code`"),
    Code("W3212", "`start` listens on another port than the one that is health-checked"),
    Code("W3213", "cron runs on every instance of an Auto Scaling group"),
    Code("W3214", "a code release stops the group's only instance before the new one answers"),
)
SECRET = re.compile(r"\$\{\s*(secret|ssm):")
# `--port=3000`, `--port 3000`, `-p 3000`, `--listen 0.0.0.0:3000`, `--bind=:3000`
PORT = re.compile(r"(?:--port[= ]|-p |(?:--listen|--bind|-b)[= ]\S*:)(\d{2,5})\b")


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report the whole-server rules above, each at the user's value."""
    for name, spec in cx.section("servers").items():
        path: Path = ("servers", name)
        yield from _secrets(path, spec)
        yield from _without_code(path, spec)
        yield from _start_port(path, spec)
        yield from _cron_everywhere(path, spec)
        yield from _single_instance_release(path, spec)


def _shell_texts(path: Path, spec: Server) -> Iterable[tuple[Path, str]]:
    """Yield every piece of shell text on the server with its config path."""
    for key in ("user_data", "start", "build"):
        text = getattr(spec, key)
        if text:
            yield path + (key,), text
    for n, w in spec.workers.items():
        yield path + ("workers", n, "command"), w.command
    for n, c in spec.cron.items():
        yield path + ("cron", n, "command"), c.command


def _secrets(path: Path, spec: Server) -> Iterable[Finding]:
    for where, text in _shell_texts(path, spec):
        m = SECRET.search(text)
        if m is None:
            continue
        what = "CloudFormation would resolve it into the user data, readable by anyone who " \
            "may describe the instance" if where[-1] == "user_data" else "commands are " \
            "written into the user data as they are, and cloudc does not fill in `${...}` there"
        yield Finding(
            "E3210", f"`${{{m.group(1)}:...}}` in server shell text: {what}", where,
            hint="put it in `environment` (e.g. `API_KEY: \"${secret:api_key}\"`), which the "
            "instance reads at boot with its role, and write `$API_KEY` in the command")


def _without_code(path: Path, spec: Server) -> Iterable[Finding]:
    from cloudc.schema.sections.servers import NAMED_IMAGES

    if spec.code or spec.user_data or spec.image not in NAMED_IMAGES:
        return  # user_data or a custom AMI may put the app in place themselves
    for key in ("start", "build", "workers", "cron"):
        if getattr(spec, key):
            then = "the app restarts in a loop and the health check fails" if key == "start" \
                else "the commands find no app"
            yield Finding(
                "W3211", f"`{key}` runs in `directory` ({spec.directory}), which stays empty "
                f"without `code`: {then}", path + (key,),
                hint="set `code: ./` (the app's folder, fetched by every instance at boot)")


def _start_port(path: Path, spec: Server) -> Iterable[Finding]:
    from cloudc.lower.servers import app_port, recipes_of, target_port

    m = PORT.search(spec.start or "")
    if m is None:
        return
    named = int(m.group(1))
    web = any(r in recipes_of(spec) for r in ("nginx", "caddy"))
    expected = app_port(spec) if web else target_port(spec)
    if named == expected:
        return
    why = f"nginx or caddy proxies to app_port {expected}" if web else \
        f"the health check and the load balancer ask port {expected}"
    yield Finding(
        "W3212", f"`start` listens on port {named}, but {why}: the health check fails and "
        "the release rolls back (or its instances are replaced in a loop)", path + ("start",),
        hint=f"listen on $PORT (cloudc exports PORT={app_port(spec)}), or set "
        f"`{'app_port' if web else 'port'}: {named}`")


def _cron_everywhere(path: Path, spec: Server) -> Iterable[Finding]:
    if not spec.cron or spec.scaling is None or int(spec.scaling.max) <= 1:
        return
    yield Finding(
        "W3213", f"cron runs on every instance: with up to {spec.scaling.max} instances each "
        "job runs up to that many times at once", path + ("cron",),
        hint="make the jobs safe to run side by side (Laravel: `->onOneServer()` with a shared "
        "cache), or run them once with `schedules:` (EventBridge)")


def _single_instance_release(path: Path, spec: Server) -> Iterable[Finding]:
    if not spec.code or spec.scaling is None or int(spec.scaling.max) > 1:
        return
    yield Finding(
        "W3214", "with `scaling.max: 1` a new release stops the only instance before its "
        "replacement answers: the app is down while the new one boots and builds",
        path + ("scaling", "max"),
        hint="set scaling.max to 2 or more: the rolling update then starts the new instance "
        "first")

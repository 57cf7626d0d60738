"""What a server runs: something must answer the load balancer's health checks on the target
port (W3180), and `start` must run a program that a recipe installs (W3181).

An Auto Scaling group behind a load balancer uses ELB health checks: an instance where nothing
answers on the target port fails them and is replaced, again and again. Both rules stand back
when the server has `user_data` or a custom AMI, which may start or install anything.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import TYPE_CHECKING

from cloudc import recipes as recipe_book
from cloudc.checks import CheckContext, Finding
from cloudc.diagnostics import Code

if TYPE_CHECKING:  # the servers modules load only for a config with servers
    from cloudc.schema.sections.servers import Server

NEEDS = "config"
CODES = (
    Code("W3180", "nothing answers the load balancer's health checks on the target port"),
    Code("W3181", "`start` runs a program that no recipe on the server installs"),
)


def check(cx: CheckContext) -> Iterable[Finding]:
    """Report servers whose health checks cannot pass and `start` commands without a runtime."""
    servers = cx.section("servers")
    if not servers:
        return
    from cloudc.lower.servers import recipes_of
    from cloudc.schema.sections.servers import NAMED_IMAGES

    for name, spec in servers.items():
        if spec.user_data or spec.image not in NAMED_IMAGES:
            continue
        names = recipes_of(spec)
        if spec.scaling is not None:
            yield from _health(name, spec, names)
        yield from _start(name, spec, names)


def _health(name: str, spec: Server, names: list[str]) -> Iterable[Finding]:
    from cloudc.lower.servers import app_port, target_port

    port = target_port(spec)
    app = bool(spec.start) and ("pm2" in names or "systemd" in names)
    web = next((r for r in ("nginx", "caddy") if r in names), None)
    if port == app_port(spec) and app:
        return
    if port == 80 and web is not None:
        if app or (web == "nginx" and "php" in names):
            return
        yield Finding(
            "W3180", f"{web} on port 80 proxies to app_port {app_port(spec)}, where nothing is "
            "started: every load-balancer health check fails, and the Auto Scaling group "
            "replaces its instances in a loop", ("servers", name), key=True,
            hint="set `start` to the command that runs the app on app_port; pm2 or a systemd "
            "service keeps it running")
        return
    yield Finding(
        "W3180", f"nothing listens on port {port}, where the load balancer health-checks the "
        "instances: every check fails, and the Auto Scaling group replaces its instances in a "
        "loop", ("servers", name), key=True,
        hint="add nginx or caddy (port 80), or a `start` command that listens on app_port "
        f"({app_port(spec)}); or set `port` to the port the app listens on")


def _start(name: str, spec: Server, names: list[str]) -> Iterable[Finding]:
    program = _program(spec.start or "")
    if program is None:
        return
    owner = next((r for r, rec in recipe_book.BOOK.items() if program in rec.provides), None)
    if owner is None or owner in names:
        return
    yield Finding(
        "W3181", f"`start` runs `{program}`, which no recipe on this server installs: the app "
        "cannot start", ("servers", name, "start"),
        hint=f"add `{owner}` to recipes")


def _program(command: str) -> str | None:
    """Return the program a shell command runs (after VAR=value words and `exec`/`env`).

    >>> _program("NODE_ENV=production exec bun run server.ts"), _program("/usr/bin/php x")
    ('bun', 'php')
    """
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    for word in words:
        if "=" in word.split("/", 1)[0] or word in ("exec", "env", "nohup"):
            continue
        return word.rsplit("/", 1)[-1]
    return None

"""Server recipes: named shell steps composed into one cloud-init user data script.

Each recipe is `cloudc/recipes/<name>.sh`, a bash fragment that checks before it changes
anything (so a second run is harmless) and branches at run time between Debian/Ubuntu (apt)
and Amazon Linux (dnf). `BOOK` declares, per recipe, the recipes it `needs` (pm2 runs on Node,
composer on PHP, lets-encrypt configures nginx), the commands it `provides` and the ports it
`serves`. `resolve` brings in what the chosen recipes need and orders them so that every
recipe comes after what it needs (ties broken by the order of `BOOK`, so the output is the
same whatever order the user lists them in); `render` composes the script from that list.
A test reads every fragment and checks that each command it runs is a bash builtin, part of
the base system, or provided by the prelude or by a recipe it needs.

>>> resolve(["bun", "caddy", "pm2"])
['node', 'bun', 'caddy', 'pm2']
>>> render(["nginx"], {"name": "app"}).splitlines()[0]
'#!/bin/bash'
"""

from __future__ import annotations

import heapq
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Recipe:
    """What one recipe needs, what it installs and what it listens on."""

    summary: str
    needs: tuple[str, ...] = ()  # recipes that must run before it (brought in automatically)
    provides: tuple[str, ...] = ()  # commands it installs
    serves: tuple[str, ...] = ()  # "80", "443", or "app" (the app port, when `start` is set)


# Declaration order is the tie-break of the topological order: runtimes, then tools, then the
# web server, then what starts the app.
BOOK: dict[str, Recipe] = {
    "node": Recipe("Node.js LTS from NodeSource, with npm", provides=("node", "npm", "npx")),
    "bun": Recipe("Bun, installed under /usr/local", provides=("bun", "bunx")),
    "php": Recipe("PHP-FPM and CLI with the extensions Laravel and WordPress use, run as `app`",
                  provides=("php", "php-fpm")),
    "composer": Recipe("Composer (installer signature checked)", needs=("php",),
                       provides=("composer",)),
    "postgres-client": Recipe("PostgreSQL client tools",
                              provides=("psql", "pg_dump", "pg_restore")),
    "mysql-client": Recipe("MySQL-compatible client tools and the RDS CA bundle "
                           "(/etc/cloudc/rds-global-bundle.pem)", provides=("mysql", "mysqldump")),
    "redis": Recipe("a local Redis server on 127.0.0.1", provides=("redis-server", "redis-cli")),
    "nginx": Recipe("nginx on port 80: PHP through PHP-FPM with `php`, else a proxy to app_port",
                    provides=("nginx",), serves=("80",)),
    "caddy": Recipe("Caddy on port 80 as a proxy to app_port (HTTPS itself when `public`)",
                    provides=("caddy",), serves=("80", "443")),
    "lets-encrypt": Recipe("a Let's Encrypt certificate for nginx (certbot), renewed by a timer",
                           needs=("nginx",), provides=("certbot",), serves=("443",)),
    "pm2": Recipe("pm2 runs `start` as `app` and starts it on boot", needs=("node",),
                  provides=("pm2",), serves=("app",)),
    "systemd": Recipe("`start` as a systemd service (restarted on failure, started on boot)",
                      serves=("app",)),
}
RECIPES: tuple[str, ...] = tuple(BOOK)
ALIASES: dict[str, str] = {"service": "systemd"}
# What the prelude and the internal parts install (prelude: curl, tar, gzip, unzip; aws: the
# AWS CLI; secrets: jq).
PRELUDE_PROVIDES: tuple[str, ...] = ("curl", "tar", "gzip", "unzip")
AWS_PROVIDES: tuple[str, ...] = ("aws",)
SECRETS_PROVIDES: tuple[str, ...] = ("aws", "jq")
CRON_PROVIDES: tuple[str, ...] = ("cron", "crond")

# Variables every fragment may read, with their defaults.
DEFAULTS: dict[str, Any] = {
    "name": "app",
    "app_dir": "/srv/app",
    "app_port": 3000,
    "health_check": "/",
    "domain": "",
    "email": "",
    "start": "",
    "service": "app",
    "tls_on_instance": False,
    "node_version": 22,
}


def canonical(name: str) -> str | None:
    """Return the recipe a name stands for (aliases resolved), or None if unknown."""
    name = ALIASES.get(name, name)
    return name if name in BOOK else None


def resolve(names: Iterable[str]) -> list[str]:
    """Return the recipes `names` stand for plus all they need, each once, needs first.

    Unknown names raise KeyError. The order is topological; among recipes whose needs are met,
    the one declared first in `BOOK` goes first, so the result is deterministic.
    """
    chosen: set[str] = set()
    todo = []
    for name in names:
        c = canonical(name)
        if c is None:
            raise KeyError(name)
        todo.append(c)
    while todo:
        c = todo.pop()
        if c not in chosen:
            chosen.add(c)
            todo.extend(BOOK[c].needs)
    rank = {n: i for i, n in enumerate(RECIPES)}
    waiting = {n: {d for d in BOOK[n].needs} for n in chosen}
    ready = [(rank[n], n) for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    out: list[str] = []
    while ready:
        _, n = heapq.heappop(ready)
        out.append(n)
        for m, deps in waiting.items():
            if n in deps:
                deps.discard(n)
                if not deps:
                    heapq.heappush(ready, (rank[m], m))
    if len(out) != len(chosen):  # only a mistake in BOOK can get here
        raise ValueError(f"recipe dependency cycle among {sorted(chosen - set(out))}")
    return out


def brought_by(names: Iterable[str]) -> dict[str, str]:
    """Map each recipe that `resolve` adds (not asked for) to the recipe that needs it."""
    asked = {c for c in (canonical(n) for n in names) if c is not None}
    out: dict[str, str] = {}
    for r in resolve(asked):
        for d in BOOK[r].needs:
            if d not in asked:
                out.setdefault(d, r)
    return out


def fragment(name: str) -> str:
    """Return the text of one recipe (or of an internal part such as `_prelude`)."""
    return resources.files(__name__).joinpath(f"{name}.sh").read_text(encoding="utf-8")


def render(recipes: list[str], context: dict[str, Any]) -> str:
    """Compose a `#!/bin/bash` cloud-init script from recipes and what they need.

    Unknown names raise KeyError. `context` takes the keys of `DEFAULTS`, plus `environment`
    (env file name -> value text, written as `NAME='value'`), `secrets` (a list of
    (NAME, reference, ...)) read at boot: a reference is a Secrets Manager ARN, optionally with
    `:json-key::`, or an SSM parameter ARN, and `user_data` (commands run last).

    The app (SPEC 1.6): `code_url` (the s3:// URL of the code zip), `build` (a command),
    `workers` ((name, count, command), ...), `cron` ((name, schedule, command), ...) and
    `signal` ((stack name, logical ID) of the resource CloudFormation waits on) with
    `health_url` (asked before SUCCESS is signalled; "" for none). The code is unpacked and
    built after the runtimes are installed and before pm2 or systemd starts the app.

    `log_group` (a CloudWatch Logs group name) adds the CloudWatch agent, which sends the files
    of /var/log/cloudc (`log_files` lists them) to that group.
    """
    ordered = resolve(recipes)
    extra_for = brought_by(recipes)
    ctx = {**DEFAULTS, **{k: v for k, v in context.items() if k in DEFAULTS and v is not None}}
    variables = {
        "CLOUDC_NAME": ctx["name"],
        "CLOUDC_APP_DIR": ctx["app_dir"],
        "CLOUDC_APP_PORT": ctx["app_port"],
        "CLOUDC_HEALTH_CHECK": ctx["health_check"],
        "CLOUDC_DOMAIN": ctx["domain"],
        "CLOUDC_EMAIL": ctx["email"],
        "CLOUDC_START": ctx["start"],
        "CLOUDC_SERVICE": ctx["service"],
        "CLOUDC_TLS_ON_INSTANCE": 1 if ctx["tls_on_instance"] else 0,
        "CLOUDC_PHP": 1 if "php" in ordered else 0,
        "CLOUDC_NODE_VERSION": ctx["node_version"],
    }
    signal = context.get("signal")
    code_url, build = context.get("code_url") or "", context.get("build") or ""
    workers, cron = context.get("workers") or [], context.get("cron") or []
    if code_url:
        variables["CLOUDC_CODE_URL"] = code_url
    if build:
        variables["CLOUDC_BUILD"] = build
    if signal:
        variables["CLOUDC_STACK"], variables["CLOUDC_SIGNAL_RESOURCE"] = signal
        variables["CLOUDC_HEALTH_URL"] = context.get("health_url") or ""
    log_group = context.get("log_group") or ""
    if log_group:
        variables["CLOUDC_LOG_GROUP"] = log_group
        variables["CLOUDC_LOG_FILES"] = " ".join(log_files(ordered, ctx["service"], workers,
                                                           cron))
    listed = [f"{r} (for {extra_for[r]})" if r in extra_for else r for r in ordered]
    out = [
        "#!/bin/bash",
        "# shellcheck disable=SC2034  # settings that only some recipes read",
        f"# cloudc user data for {ctx['name']}: recipes {', '.join(listed) or '(none)'}",
        *(f"{k}={shlex.quote(str(v))}" for k, v in variables.items()),
        "",
        _part("prelude", fragment("_prelude")),
    ]
    if log_group:
        out.append(_part("logs", fragment("_logs")))
    secrets = context.get("secrets") or []
    if secrets or code_url or signal:
        out.append(_part("aws", fragment("_aws")))
    if signal:
        out.append(_part("signal", fragment("_signal")))
    env = context.get("environment") or {}
    lines = [f"{k}='{_single(str(v))}'" for k, v in env.items()]
    out.append(_part("environment", fragment("_environment").replace(
        "@ENVIRONMENT@", "\n".join(lines) if lines else "# (no variables)")))
    if secrets:
        calls = [f"cloudc_secret {shlex.quote(n)} {shlex.quote(f)}" for n, f, *_ in secrets]
        out.append(_part("secrets", fragment("_secrets") + "\n".join(calls) + "\n"))
    runners = [r for r in ordered if "app" in BOOK[r].serves]  # what starts the app
    for name in ordered:
        if name in runners and name == runners[0]:
            out += _app_parts(code_url, build, workers, cron)
        out.append(_part(f"recipe {name}", fragment(name)))
    if not runners:
        out += _app_parts(code_url, build, workers, cron)
    if workers:
        calls = [f"cloudc_worker {shlex.quote(n)} {int(c)} {shlex.quote(cmd)}"
                 for n, c, cmd in workers]
        out.append(_part("workers", fragment("_workers") + "\n".join(calls) + "\n"))
    if cron:
        calls = [f"cloudc_cron {shlex.quote(n)} {shlex.quote(when)} {shlex.quote(cmd)}"
                 for n, when, cmd in cron]
        out.append(_part("cron", fragment("_cron") + "\n".join(calls) + "\n"))
    extra = context.get("user_data")
    if extra:
        # The user's own commands: still stopped by a failing command, not by unset variables.
        out.append(_part("user_data", "set +u\n" + str(extra).rstrip("\n") + "\n"))
    if signal:
        out.append(_part("ready", fragment("_ready")))
    out.append('echo "cloudc: ${CLOUDC_NAME} is set up"\n')
    return "\n".join(out)


def log_files(ordered: list[str], service: str, workers: list[Any],
              cron: list[Any]) -> list[str]:
    """Return the names of the files in /var/log/cloudc the script's units write (no `.log`).

    >>> log_files(["node", "systemd"], "web", [("queue", 2, "q")], [("nightly", "@daily", "n")])
    ['boot', 'web', 'web-queue', 'web-cron-nightly']
    >>> log_files(["node", "pm2"], "web", [], [])
    ['boot', 'app']
    """
    out = ["boot"]
    if "pm2" in ordered:
        out.append("app")  # pm2.sh names the process `app`
    if "systemd" in ordered and service not in out:
        out.append(service)
    out += [f"{service}-{w[0]}" for w in workers]
    out += [f"{service}-cron-{c[0]}" for c in cron]
    return out


def _app_parts(code_url: str, build: str, workers: list[Any], cron: list[Any]) -> list[str]:
    """Return the parts that put the app's code in place and build it (before it starts)."""
    out = []
    if code_url:
        out.append(_part("code", fragment("_code")))
    if build or workers or cron:
        out.append(_part("jobs", fragment("_jobs")))
    if build:
        out.append(_part("build", fragment("_build")))
    return out


def _part(title: str, text: str) -> str:
    """Title a part of the script; cloudc's own parts lose their comment lines (see `compact`)."""
    body = text if title == "user_data" else compact(text)
    return f"# --- {title} ---\n{body.rstrip()}\n"


HEREDOC = re.compile(r"<<-?\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?")


def compact(text: str) -> str:
    r"""Drop comment-only lines outside here-documents (shellcheck directives stay).

    EC2 takes at most 16 KB of user data; the comments stay in the fragments, for readers.

    >>> compact("# why\necho a  # kept\n# shellcheck disable=SC2034\ncat <<EOF\n# data\nEOF\n")
    'echo a  # kept\n# shellcheck disable=SC2034\ncat <<EOF\n# data\nEOF\n'
    """
    out, end = [], None
    for line in text.splitlines():
        if end is not None:
            out.append(line)
            if line.strip() == end:
                end = None
            continue
        stripped = line.strip()
        if stripped.startswith("#") and not stripped.startswith("# shellcheck"):
            continue
        m = HEREDOC.search(line)
        if m and "<<<" not in line:
            end = m.group(1)
        out.append(line)
    return "\n".join(out) + "\n"


def _single(text: str) -> str:
    """Escape a value for a single-quoted env file entry."""
    return text.replace("'", "'\\''")
